#include <poll.h>
#include <signal.h>
#include <time.h>

#include <functional>
#include <optional>

#include "cgroups/manager.hpp"
#include "container/lifecycle.hpp"
#include "container/lifecycle_hooks.hpp"
#include "container/lifecycle_steps.hpp"
#include "process/exec_gate.hpp"
#include "process/launcher.hpp"
#include "state/proc_stat.hpp"
#include "sys/cpu_placement.hpp"
#include "sys/error.hpp"
#include "sys/syscalls.hpp"

namespace hako::container {
namespace {

// A pidfd for the init only if the pid still belongs to it (same start time), so a signal can
// never reach a process that recycled the pid.
sys::UniqueFd open_init(const state::ContainerState& state) {
    sys::UniqueFd pidfd(sys::pidfd_open(state.pid, 0));
    if (!pidfd) return pidfd;
    if (!state::process_alive(state.pid, state.init_start_time)) return {};
    return pidfd;
}

// Waits (bounded) until the init is gone or a zombie; the host's pid 1 may reap it late.
// With its pidfd, the kernel wakes us when it exits (a pidfd polls readable from the moment
// the process is a zombie); without one, /proc is polled.
void wait_until_dead(const state::ContainerState& state, int pidfd) {
    if (pidfd >= 0) {
        pollfd exited{pidfd, POLLIN, 0};
        int ready = 0;
        do {
            ready = ::poll(&exited, 1, 2000);
        } while (ready < 0 && errno == EINTR);
        if (ready > 0) return;
    }
    for (int i = 0; i < 2000; ++i) {
        if (!state::process_alive(state.pid, state.init_start_time)) return;
        const timespec pause{0, 1'000'000};
        ::nanosleep(&pause, nullptr);
    }
    fail("container {}: init {} did not die after SIGKILL", state.id, state.pid);
}

void thaw(const state::ContainerState& state) {
    if (!state.cgroup_paths.empty()) state::cgroup_manager(state)->freeze(false);
}

void destroy_resources(state::ContainerDir& dir, const state::ContainerState* state) {
    if (state != nullptr && state->cgroup_created && !state->cgroup_paths.empty())
        state::cgroup_manager(*state)->destroy();
    dir.remove();
}

}  // namespace

void start(state::StateStore& store, const std::string& id, const WarningSink& on_warning) {
    state::ContainerDir dir = store.open(id);
    state::ContainerState state = dir.load();
    switch (dir.current_status(state)) {
        case state::Status::created: break;
        case state::Status::stopped: fail("cannot start a container that has stopped");
        case state::Status::creating: fail("cannot start a container that is still being created");
        default: fail("cannot start an already running container");
    }
    start_created(dir, state, on_warning);
}

void start_created(state::ContainerDir& dir, state::ContainerState& state,
                   const WarningSink& on_warning) {
    {
        // Saved while the init execs, each on its own CPU (sys/cpu_placement.hpp). Should
        // the exec fail, the init exits, and the status derived from it is "stopped"
        // whatever the file says.
        const sys::OnAnotherCpu elsewhere;
        sys::UniqueFd connection = process::open_exec_gate(dir.fd());
        state.status = state::Status::running;
        dir.save(state);
        process::await_exec(dir.fd(), std::move(connection));
    }
    for (const auto& warning : run_poststart_hooks(state))
        if (on_warning) on_warning(warning);
}

void await_started(CreatedContainer& container, const WarningSink& on_warning) {
    if (!container.exec_channel) fail("container {}: not started at once", container.state.id);
    process::await_exec_on_channel(*container.exec_channel);
    container.exec_channel.reset();
    for (const auto& warning : run_poststart_hooks(container.state))
        if (on_warning) on_warning(warning);
}

void kill(state::StateStore& store, const std::string& id, int signal, bool all) {
    state::ContainerDir dir = store.open(id);
    const state::ContainerState state = dir.load();
    const state::Status status = dir.current_status(state);
    if (status == state::Status::stopped || status == state::Status::creating) {
        if (!all) fail("container not running");
    }
    if (all) {
        if (!state.cgroup_paths.empty()) state::cgroup_manager(state)->signal_all(signal);
        return;
    }
    const sys::UniqueFd pidfd = open_init(state);
    if (!pidfd) fail("container not running");
    if (sys::pidfd_send_signal(pidfd.get(), signal) < 0) {
        if (errno == ESRCH) fail("container not running");
        throw_sys_error("kill", fmt::format("container {} (pid {})", id, state.pid));
    }
    // As runc: a frozen init acts on SIGKILL only once thawed; other signals wait for resume.
    if (signal == SIGKILL && status == state::Status::paused) thaw(state);
}

void remove(state::StateStore& store, const std::string& id, bool force,
            const WarningSink& on_warning) {
    std::optional<state::ContainerDir> opened;
    try {
        opened.emplace(store.open(id));
    } catch (const Error& error) {
        // As runc: forcing the delete of a container that is already gone succeeds.
        if (force && error.errno_value() == ENOENT) return;
        throw;
    }
    state::ContainerDir& dir = *opened;
    const auto state = dir.try_load();
    if (!state) {
        // A create killed before it saved anything: only the directory exists.
        dir.remove();
        return;
    }
    remove_loaded(dir, *state, force, on_warning);
}

void remove_loaded(state::ContainerDir& dir, const state::ContainerState& state, bool force,
                   const WarningSink& on_warning) {
    const state::Status status = dir.current_status(state);
    if (status != state::Status::stopped) {
        if (!force && status != state::Status::created)
            fail("cannot delete container {} that is not stopped: {}", state.id,
                 state::status_name(status));
        const sys::UniqueFd pidfd = open_init(state);
        if (pidfd) sys::pidfd_send_signal(pidfd.get(), SIGKILL);
        // Killed first, then thawed: a paused container runs none of its code meanwhile.
        if (status == state::Status::paused) thaw(state);
        if (state.pid > 0) wait_until_dead(state, pidfd.get());
    }
    destroy_resources(dir, &state);
    for (const auto& warning : run_poststop_hooks(state))
        if (on_warning) on_warning(warning);
}

std::string state_json(state::StateStore& store, const std::string& id) {
    const state::ContainerDir dir = store.open_for_reading(id);
    const std::optional<state::ContainerState> state = dir.try_load();
    // No state.json: a create still writing it, or a delete that already removed it.
    if (!state) fail("container {} does not exist", id);
    return state::to_oci_json(*state, dir.current_status(*state));
}

std::string ListEntry::oci_json() const {
    state::ContainerState state;
    state.oci_version = oci_version;
    state.id = id;
    state.pid = pid;
    state.bundle = bundle;
    state.rootfs = rootfs;
    state.created = created;
    state.owner = owner;
    state.annotations = annotations;
    return state::to_oci_json(state, status);
}

void list(state::StateStore& store, const std::function<void(const ListEntry&)>& visit) {
    const std::vector<std::string> ids = store.list_ids();
    // The states are read without their saved cgroup hierarchies (most of the parsing), so
    // the freezer is found through the host's layout, read once for all of them.
    std::optional<cgroups::Layout> host_layout;
    for (const auto& id : ids) {
        std::optional<ListEntry> entry;
        try {
            const state::ContainerDir dir = store.open_for_reading(id);
            auto state = dir.try_load_for_listing();
            if (!state) continue;
            if (!state->cgroup_paths.empty() && !host_layout)
                host_layout = cgroups::detect_layout();
            const state::Status status =
                dir.current_status(*state, host_layout ? &*host_layout : nullptr);
            entry = ListEntry{std::move(state->oci_version), std::move(state->id), state->pid,
                              status, std::move(state->bundle), std::move(state->rootfs),
                              std::move(state->created), std::move(state->owner),
                              std::move(state->annotations)};
        } catch (const Error&) {
            // Deleted between listing and opening: not a container any more.
            continue;
        }
        visit(*entry);
    }
}

}  // namespace hako::container
