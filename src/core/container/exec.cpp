// `hako exec`: a new process in a running container (process/exec_process.hpp does the
// joining), as runc's exec behaves towards containerd, conmon and CRI-O.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>

#include "cgroups/layout.hpp"
#include "cgroups/manager.hpp"
#include "container/exec_spec.hpp"
#include "container/lifecycle.hpp"
#include "container/pid_file.hpp"
#include "fs/safe_path.hpp"
#include "process/console_socket.hpp"
#include "process/exec_process.hpp"
#include "process/foreground.hpp"
#include "security/lsm.hpp"
#include "security/exec_trampoline.hpp"
#include "security/seccomp_cache.hpp"
#include "security/seccomp_init.hpp"
#include "spec/spec.hpp"
#include "state/proc_stat.hpp"
#include "sys/error.hpp"
#include "sys/syscalls.hpp"

namespace hako::container {
namespace {

void require_execable(const state::ContainerDir& dir, const state::ContainerState& state,
                      bool ignore_paused) {
    switch (dir.current_status(state)) {
        case state::Status::stopped:
            fail("cannot exec in a stopped container: container {} not running", state.id);
        case state::Status::paused:
            if (!ignore_paused)
                fail("cannot exec in a paused container, use --ignore-paused to override");
            break;
        case state::Status::creating:
            fail("cannot exec in container {}: it is still being created", state.id);
        default: break;
    }
}

void check_preserved_fds(int count) {
    for (int fd = 3; fd < 3 + count; ++fd) {
        if (::fcntl(fd, F_GETFD) < 0)
            fail("--preserve-fds {}: fd {} is not open", count, fd);
    }
}

sys::UniqueFd open_live_init(const state::ContainerState& state) {
    sys::UniqueFd pidfd(sys::pidfd_open(state.pid, 0));
    // The pidfd pins the process it was opened for; the start time proves it is the init.
    if (!pidfd || !state::process_alive(state.pid, state.init_start_time))
        fail("cannot exec in a stopped container: container {} not running", state.id);
    return pidfd;
}

// runc's --cgroup: "[controller[,controller]:]path", a plain path at most once. A v1
// hierarchy takes the path given for one of its controllers, else the plain one; the unified
// hierarchy only the plain one. Every resulting directory must exist.
std::map<std::string, std::string> sub_cgroup_paths(const std::map<std::string, std::string>& paths,
                                                    const cgroups::Layout& layout,
                                                    const std::vector<std::string>& args) {
    std::map<std::string, std::string> by_controller;  // "" = every hierarchy
    for (const auto& arg : args) {
        const auto colon = arg.find(':');
        if (colon != std::string::npos && arg.find(':', colon + 1) != std::string::npos)
            fail("invalid --cgroup argument: {}", arg);
        if (colon == std::string::npos) {
            if (args.size() != 1)
                fail("invalid --cgroup argument: {} (missing <controller>: prefix)", arg);
            by_controller[""] = arg;
            continue;
        }
        const std::string controllers = arg.substr(0, colon);
        for (std::size_t start = 0; start <= controllers.size();) {
            auto comma = controllers.find(',', start);
            if (comma == std::string::npos) comma = controllers.size();
            const std::string controller = controllers.substr(start, comma - start);
            if (controller.empty())
                fail("invalid --cgroup argument: {} (empty <controller> prefix)", arg);
            if (!by_controller.emplace(controller, arg.substr(colon + 1)).second)
                fail("invalid --cgroup argument(s): controller {} specified multiple times",
                     controller);
            start = comma + 1;
        }
    }
    std::map<std::string, std::string> result;
    for (const auto& [mount_point, dir] : paths) {
        std::optional<std::string> sub;
        const auto hierarchy =
            std::find_if(layout.hierarchies.begin(), layout.hierarchies.end(),
                         [&](const cgroups::Hierarchy& h) { return h.mount_point == mount_point; });
        if (hierarchy != layout.hierarchies.end() && !hierarchy->unified) {
            for (const auto& controller : hierarchy->controllers) {
                const auto it = by_controller.find(controller);
                if (it != by_controller.end()) {
                    sub = it->second;
                    break;
                }
            }
        }
        if (!sub && by_controller.count("") != 0) sub = by_controller.at("");
        if (!sub) {
            result[mount_point] = dir;
            continue;
        }
        const std::string clean = fs::clean_path(*sub);  // ".." cannot climb out
        const std::string target = clean == "/" ? dir : dir + clean;
        struct stat st {};
        if (::stat(target.c_str(), &st) < 0 || !S_ISDIR(st.st_mode))
            fail("--cgroup {}: cgroup {} does not exist", *sub, target);
        result[mount_point] = target;
    }
    return result;
}

}  // namespace

int exec(state::StateStore& store, const ExecOptions& options) {
    std::optional<state::ContainerDir> dir(store.open(options.id));
    const state::ContainerState state = dir->load();
    require_execable(*dir, state, options.ignore_paused);

    spec::Spec spec = spec::load_spec(state.bundle);
    spec.process = build_exec_process(spec, options);
    process::check_console_options(spec.process->terminal, options.detach,
                                   options.console_socket);
    check_preserved_fds(options.preserve_fds);
    security::check_lsm_support(spec);
    if (spec.process->terminal && !options.detach && options.console_socket.empty()) {
        if (auto size = process::caller_terminal_size()) spec.process->console_size = size;
    }

    std::unique_ptr<cgroups::Manager> cgroup_manager;
    if (!state.cgroup_paths.empty()) {
        const cgroups::Layout layout = state::cgroup_layout(state);
        cgroup_manager = cgroups::load_manager(
            options.cgroups.empty() ? state.cgroup_paths
                                    : sub_cgroup_paths(state.cgroup_paths, layout, options.cgroups),
            layout);
    }
    else if (!options.cgroups.empty())
        fail("--cgroup: container {} has no cgroups of its own", options.id);

    const security::SeccompCache seccomp_cache(store.root() + "/.seccomp-cache");
    const security::InitSeccomp seccomp(spec, &seccomp_cache);
    const std::optional<security::ExecTrampoline> trampoline =
        security::trampoline_or_sealed_binary(spec, seccomp, options.seal_binary);
    const sys::UniqueFd init_pidfd = open_live_init(state);
    process::ExecRequest request;
    request.container_id = options.id;
    request.bundle = state.bundle;
    request.init_pid = state.pid;
    request.init_pidfd = init_pidfd.get();
    request.spec = &spec;
    request.preserve_fds = options.preserve_fds;
    request.cgroups = cgroup_manager.get();
    request.seccomp = &seccomp;
    request.exec_trampoline_fd = trampoline ? trampoline->fd() : -1;

    std::optional<process::BlockedSignals> blocked;
    if (!options.detach) blocked.emplace();
    process::LaunchedExec launched = process::launch_exec(request);
    // From here on kill/delete of the container must not wait for us.
    dir.reset();
    try {
        for (const auto& warning : launched.warnings)
            if (options.on_warning) options.on_warning(warning);
        if (launched.console_master && !options.console_socket.empty()) {
            process::send_console(options.console_socket, launched.console_name,
                                  launched.console_master.get());
            launched.console_master.reset();
        }
        if (!options.pid_file.empty()) write_pid_file(options.pid_file, launched.pid);
    } catch (...) {
        // An engine that never learns of the process cannot manage it: it must not run.
        sys::pidfd_send_signal(launched.pidfd.get(), SIGKILL);
        int status = 0;
        ::waitpid(launched.pid, &status, 0);
        throw;
    }
    if (options.detach) return 0;
    const int status = process::supervise_foreground(
        launched.pid, launched.console_master ? launched.console_master.get() : -1);
    return process::exit_code(status);
}

}  // namespace hako::container
