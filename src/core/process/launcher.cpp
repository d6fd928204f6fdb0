#include "process/launcher.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>

#include "process/child_guard.hpp"
#include "process/cgroup_entry.hpp"
#include "process/container_init.hpp"
#include "process/hook_points.hpp"
#include "process/id_mapping.hpp"
#include "process/namespace_plan.hpp"
#include "process/sync_channel.hpp"
#include "security/seccomp_notify.hpp"
#include "security/seccomp_profile.hpp"
#include "sys/cpu_placement.hpp"
#include "sys/error.hpp"
#include "sys/syscalls.hpp"

namespace hako::process {
namespace {

// Enters, for hako's children only, the pid namespace given by path and a new time namespace
// with the spec's offsets; leaves both again when destroyed, so hako's later children (hooks)
// live where hako does.
class ChildNamespaceScope {
public:
    ChildNamespaceScope(const NamespacePlan& plan, const spec::Linux& linux_config) {
        if (!plan.pid_join_path.empty()) {
            own_pid_ = open_own("pid");
            const sys::UniqueFd target(check_sys(
                ::open(plan.pid_join_path.c_str(), O_RDONLY | O_CLOEXEC), "open pid namespace",
                plan.pid_join_path));
            check_sys(::setns(target.get(), CLONE_NEWPID), "join pid namespace",
                      plan.pid_join_path);
        }
        if (plan.new_time) {
            own_time_ = open_own("time");
            check_sys(::unshare(static_cast<int>(sys::kCloneNewTime)), "unshare time namespace");
            write_time_offsets(linux_config);
        }
    }
    ~ChildNamespaceScope() { restore(); }
    ChildNamespaceScope(const ChildNamespaceScope&) = delete;
    ChildNamespaceScope& operator=(const ChildNamespaceScope&) = delete;

    void restore() noexcept {
        if (own_pid_) ::setns(own_pid_.get(), CLONE_NEWPID);
        if (own_time_) ::setns(own_time_.get(), static_cast<int>(sys::kCloneNewTime));
        own_pid_.reset();
        own_time_.reset();
    }

private:
    static sys::UniqueFd open_own(const char* name) {
        const std::string path = fmt::format("/proc/self/ns/{}", name);
        return sys::UniqueFd(check_sys(::open(path.c_str(), O_RDONLY | O_CLOEXEC), "open", path));
    }

    static void write_time_offsets(const spec::Linux& linux_config) {
        std::string text;
        for (const auto& [clock, offset] : linux_config.time_offsets)
            text += fmt::format("{} {} {}\n", clock, offset.secs, offset.nanosecs);
        if (text.empty()) return;
        const sys::UniqueFd fd(check_sys(
            ::open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC), "open",
            "/proc/self/timens_offsets"));
        if (::write(fd.get(), text.data(), text.size()) < 0)
            throw_sys_error("write linux.timeOffsets to", "/proc/self/timens_offsets");
    }

    sys::UniqueFd own_pid_;
    sys::UniqueFd own_time_;
};

void write_oom_score_adj(pid_t pid, int value) {
    const std::string path = fmt::format("/proc/{}/oom_score_adj", pid);
    const sys::UniqueFd fd(check_sys(::open(path.c_str(), O_WRONLY | O_CLOEXEC), "open", path));
    const std::string text = std::to_string(value);
    if (::write(fd.get(), text.data(), text.size()) < 0)
        throw_sys_error(fmt::format("process.oomScoreAdj {}: write", value), path);
}

// Sends to the init, which is mounting meanwhile. When it failed and exited first, the send
// fails, and its own error (already on the channel) is the one to report.
void send_to_init(const SyncChannel& channel, const std::function<void()>& send) {
    try {
        send();
    } catch (const Error&) {
        std::optional<SyncMessage> message;
        try {
            message = channel.receive_unless_closed();
        } catch (const Error&) {
        }
        if (message && message->type == SyncType::kError)
            throw Error(message->text, message->errno_value);
        throw;
    }
}

// The agent at linux.seccomp.listenerPath gets the init's SCMP_ACT_NOTIFY listener with the
// container's state while `create` runs, as runc does; create fails if it cannot.
void forward_seccomp_listener(const LaunchRequest& request, pid_t pid, const SyncMessage& message) {
    if (!message.fd) fail("sync channel: seccomp listener message without an fd");
    const spec::Spec& spec = *request.spec;
    const auto profile = security::parse_seccomp_profile(spec.linux_config.seccomp_json);
    security::ContainerProcessState state;
    state.oci_version = spec.oci_version;
    state.id = request.container_id;
    state.pid = pid;
    state.bundle = request.bundle;
    state.annotations = spec.annotations;
    state.metadata = profile.listener_metadata;
    security::send_to_seccomp_agent(profile.listener_path,
                                    security::container_process_state_json(state),
                                    message.fd.get());
}

}  // namespace

LaunchedInit launch_init(const LaunchRequest& request) {
    const spec::Spec& spec = *request.spec;
    if (!spec.process) fail("process: required to create a container");
    const NamespacePlan plan = plan_namespaces(spec.linux_config);
    if (plan.new_user && (spec.linux_config.uid_mappings.empty() ||
                          spec.linux_config.gid_mappings.empty()))
        fail("linux.uidMappings: a new user namespace needs uid and gid mappings");

    ChildNamespaceScope scope(plan, spec.linux_config);
    auto [parent_channel, child_channel] = SyncChannel::make_pair();
    CgroupEntry cgroup_entry(request.cgroups, CgroupEntry::V1::when_sent);
    // Read here, on the host's /proc: the init must not trust the container's.
    const IdleMemoryPlan idle =
        request.release_idle_memory ? plan_idle_memory() : IdleMemoryPlan{};

    std::vector<MadeNamespace> made_ahead;
    std::vector<fs::FilesystemAhead> filesystems_ahead;
    if (request.namespaces_ahead != nullptr) {
        made_ahead = request.namespaces_ahead->take();
        filesystems_ahead = request.namespaces_ahead->take_filesystems();
    }

    int pidfd = -1;
    sys::CloneArgs args;
    args.flags = (plan.clone_flags & ~flags_of(made_ahead)) | CLONE_PIDFD;
    args.pidfd = reinterpret_cast<std::uint64_t>(&pidfd);
    args.exit_signal = SIGCHLD;
    const pid_t pid = cgroup_entry.clone(args);
    if (pid < 0) throw_sys_error("clone3 container init");
    // Whether hako has anything to do on the init before it goes on past its namespaces; a
    // plain container's init goes straight on (no round trip). Known on both sides.
    const bool init_waits_for_go = plan.new_user || spec.process->oom_score_adj.has_value() ||
                                   cgroup_entry.needs_add_process();
    if (pid == 0) {
        parent_channel.close();
        run_container_init(request, plan, idle, made_ahead, filesystems_ahead, init_waits_for_go,
                           child_channel);
    }
    made_ahead.clear();  // the init has its own copies
    filesystems_ahead.clear();
    sys::UniqueFd pidfd_owner(pidfd);
    ChildGuard guard(pid, pidfd);
    child_channel.close();
    scope.restore();

    if (init_waits_for_go) {
        parent_channel.receive(SyncType::kNamespacesReady);
        if (plan.new_user)
            write_id_maps(pid, spec.linux_config.uid_mappings, spec.linux_config.gid_mappings);
        cgroup_entry.add_process(pid);
        if (spec.process->oom_score_adj) write_oom_score_adj(pid, *spec.process->oom_score_adj);
    }
    {
        // Off the init's CPU before a go, so the cgroup work overlaps its mounts
        // (sys/cpu_placement.hpp); without a go the init was started on the other one.
        std::optional<sys::OnAnotherCpu> elsewhere;
        if (init_waits_for_go && request.cgroups != nullptr) elsewhere.emplace();
        if (init_waits_for_go) parent_channel.send(SyncType::kGo, 0, std::to_string(pid));
        if (request.cgroups != nullptr) {
            if (request.make_cgroups) request.make_cgroups();
            send_to_init(parent_channel, [&] { cgroup_entry.send_v1(parent_channel); });
            // The init joins while the limits are written; it waits for them before it
            // makes the devices.
            if (request.apply_resources) request.apply_resources();
            send_to_init(parent_channel,
                         [&] { parent_channel.send(SyncType::kResourcesApplied); });
        }
        if (request.while_init_prepares) request.while_init_prepares(pid);
    }
    LaunchedInit launched;
    SyncMessage ready;
    for (;;) {
        ready = parent_channel.receive();
        if (ready.type == SyncType::kError) throw Error(ready.text, ready.errno_value);
        if (ready.type == SyncType::kReady) break;
        if (ready.type == SyncType::kSeccompListener) {
            forward_seccomp_listener(request, pid, ready);
        } else if (ready.type == SyncType::kHooks) {
            // The init waits before pivot_root; a failing hook throws and the guard kills it.
            run_runtime_hooks(request, pid);
            parent_channel.send(SyncType::kHooksDone);
        } else if (ready.type == SyncType::kConsole && ready.fd) {
            // process.terminal: the pty master, for --console-socket or run's relay.
            launched.console_master = std::move(ready.fd);
            launched.console_name = ready.text;
        } else {
            fail("sync channel: unexpected message {}", static_cast<int>(ready.type));
        }
    }
    launched.pid = pid;
    launched.pidfd = std::move(pidfd_owner);
    for (std::size_t start = 0; start < ready.text.size();) {
        const auto end = ready.text.find('\n', start);
        launched.warnings.push_back(ready.text.substr(start, end - start));
        if (end == std::string::npos) break;
        start = end + 1;
    }
    if (request.starts_at_once) launched.exec_channel = std::move(parent_channel);
    guard.release();
    return launched;
}

void await_exec_on_channel(const SyncChannel& channel) {
    const std::optional<SyncMessage> message = channel.receive_unless_closed();
    if (!message) return;
    if (message->type == SyncType::kError) throw Error(message->text, message->errno_value);
    fail("sync channel: unexpected message {} after ready", static_cast<int>(message->type));
}

}  // namespace hako::process
