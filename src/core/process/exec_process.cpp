#include "process/exec_process.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>  // umask
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <optional>
#include <string_view>

#include "process/cgroup_entry.hpp"
#include "process/child_guard.hpp"
#include "process/executable.hpp"
#include "process/fd_hygiene.hpp"
#include "process/process_setup.hpp"
#include "process/sync_channel.hpp"
#include "process/terminal.hpp"
#include "security/capabilities.hpp"
#include "security/lsm.hpp"
#include "security/private_procfs.hpp"
#include "security/exec_trampoline.hpp"
#include "security/seccomp_init.hpp"
#include "security/seccomp_notify.hpp"
#include "security/seccomp_profile.hpp"
#include "sys/error.hpp"
#include "sys/syscalls.hpp"

namespace hako::process {
namespace {

struct NamespaceEntry {
    const char* proc_name;
    int flag;
};

// setns order for the by-path fallback: the user namespace first (it grants the rights to
// join the others), the mount namespace last (after it /proc is the container's).
constexpr std::array<NamespaceEntry, 8> kNamespaces{{
    {"user", CLONE_NEWUSER},
    {"ipc", CLONE_NEWIPC},
    {"uts", CLONE_NEWUTS},
    {"net", CLONE_NEWNET},
    {"pid", CLONE_NEWPID},
    {"cgroup", CLONE_NEWCGROUP},
    {"time", static_cast<int>(sys::kCloneNewTime)},
    {"mnt", CLONE_NEWNS},
}};

// Whether the ns entry name is the same namespace in both /proc/PID/ns directories; missing
// when either has no such entry. The link text ("net:[4026531840]") carries the inode, which is
// unique on the one nsfs. readlink only formats it, where stat() resolves the link to an nsfs
// dentry: 16 readlinks cost a third of 16 stats (~30 against ~90 us per exec).
bool same_namespace(int dir_a, int dir_b, const char* name, bool& missing) {
    std::array<char, 64> a{}, b{};
    const ssize_t length_a = ::readlinkat(dir_a, name, a.data(), a.size());
    const ssize_t length_b = ::readlinkat(dir_b, name, b.data(), b.size());
    if (length_a <= 0 || length_b <= 0) {
        missing = true;
        return false;
    }
    return std::string_view(a.data(), static_cast<std::size_t>(length_a)) ==
           std::string_view(b.data(), static_cast<std::size_t>(length_b));
}

// Enters the container's pid namespace for hako's children only, and leaves it again.
class ChildPidNamespace {
public:
    ChildPidNamespace(int pidfd, bool join) {
        if (!join) return;
        own_.reset(check_sys(::open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC), "open",
                             "/proc/self/ns/pid"));
        check_sys(::setns(pidfd, CLONE_NEWPID), "join the container's pid namespace");
    }
    ~ChildPidNamespace() { restore(); }
    ChildPidNamespace(const ChildPidNamespace&) = delete;
    ChildPidNamespace& operator=(const ChildPidNamespace&) = delete;
    void restore() noexcept {
        if (own_) ::setns(own_.get(), CLONE_NEWPID);
        own_.reset();
    }

private:
    sys::UniqueFd own_;
};

void join_container(const ExecRequest& request, int pidfd, int flags) {
    if (flags == 0) return;
    if (::setns(pidfd, flags) == 0) return;
    // Before 5.8 setns() takes no pidfd (EINVAL); anything else is a real refusal.
    if (errno != EINVAL) throw_sys_error("join the container's namespaces (setns)");
    join_namespaces_by_path(request.init_pid, pidfd, flags);
}

void hand_over_listener(const SyncChannel& channel, const sys::UniqueFd& listener) {
    if (listener) channel.send(SyncType::kSeccompListener, 0, {}, listener.get());
}

struct PreparedExec {
    std::string path;
    std::vector<std::string> env;
};

PreparedExec set_up_child(const ExecRequest& request, int pidfd, int join_flags, bool waits_for_go,
                          const SyncChannel& channel, std::vector<std::string>& warnings,
                          security::InitSeccomp& seccomp) {
    const spec::Spec& spec = *request.spec;
    const spec::Process& process = *spec.process;
    if (waits_for_go) channel.receive(SyncType::kGo);
    seccomp = request.seccomp != nullptr ? *request.seccomp : security::InitSeccomp(spec);
    // hako's own procfs of the container's pid namespace, for the LSM label writes: the
    // container's /proc may be anything once we are inside (CVE-2019-16884). Only with labels
    // to write: a procfs instance costs a mount, and its release an RCU grace period.
    std::optional<security::PrivateProcfs> procfs;
    if (security::has_exec_labels(process)) procfs = security::PrivateProcfs::open();

    // The pid namespace is ours from birth; joining the mount namespace makes the
    // container's root our root and cwd, so no path below can reach the host.
    join_container(request, pidfd, join_flags & ~CLONE_NEWPID);
    ::close(pidfd);

    if (process.terminal) {
        Pty pty = open_pty(process.console_size);
        make_controlling_terminal(pty.slave.get());
        channel.send(SyncType::kConsole, 0, pty.name, pty.master.get());
    }
    if (procfs) security::apply_exec_labels(*procfs, process);
    apply_rlimits(process.rlimits);
    if (process.no_new_privileges)
        check_sys(::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl PR_SET_NO_NEW_PRIVS");
    const auto capabilities = security::Capabilities::resolve(
        process.capabilities.value_or(spec::Capabilities{}), warnings);
    hand_over_listener(channel, seccomp.load_at(security::SeccompStage::before_user_switch));
    capabilities.prepare_for_user_switch();
    switch_user(process.user, (join_flags & CLONE_NEWUSER) != 0);
    capabilities.apply();
    ::umask(process.user.umask.value_or(022));
    enter_cwd(process.cwd);

    PreparedExec prepared;
    prepared.env = process.env;
    add_home(prepared.env, process.user.uid);
    prepared.path = find_executable(process.args.front(), prepared.env);
    hand_over_listener(channel, seccomp.load_at(security::SeccompStage::before_ready));
    return prepared;
}

std::vector<char*> as_argv(std::vector<std::string>& strings) {
    std::vector<char*> pointers;
    pointers.reserve(strings.size() + 1);
    for (auto& s : strings) pointers.push_back(s.data());
    pointers.push_back(nullptr);
    return pointers;
}

void report_and_exit(const SyncChannel& channel, const std::exception& error, int code) noexcept {
    const auto* hako_error = dynamic_cast<const Error*>(&error);
    try {
        channel.send(SyncType::kError, hako_error != nullptr ? hako_error->errno_value() : 0,
                     error.what());
    } catch (...) {
    }
    ::_exit(code);
}

[[noreturn]] void run_exec_child(const ExecRequest& request, int pidfd, int join_flags,
                                 bool waits_for_go, cgroups::SelfJoin& self_join,
                                 const SyncChannel& channel) noexcept {
    std::vector<std::string> warnings;
    PreparedExec prepared;
    security::InitSeccomp seccomp;
    try {
        // Nothing in the container may inspect or ptrace us until execve (CVE-2016-9962),
        // and a hako that dies takes the half-made process with it.
        ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        // (getppid() is 0 in the container's pid namespace; a parent that died before this
        // line shows as EOF on the channel instead.)
        ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        self_join.join();
        std::vector<int> keep{channel.fd(), pidfd};
        if (request.exec_trampoline_fd >= 0) keep.push_back(request.exec_trampoline_fd);
        for (int fd = 3; fd < 3 + request.preserve_fds; ++fd) keep.push_back(fd);
        close_fds_except(keep);
        prepared =
            set_up_child(request, pidfd, join_flags, waits_for_go, channel, warnings, seccomp);
        std::string joined;
        for (const auto& warning : warnings) joined += warning + "\n";
        channel.send(SyncType::kReady, 0, joined);
    } catch (const std::exception& error) {
        report_and_exit(channel, error, 1);
    }
    auto args = request.spec->process->args;
    auto argv = as_argv(args);
    auto envp = as_argv(prepared.env);
    const std::string prefix = fmt::format("exec: \"{}\": ", args.front());
    const security::ContainerExec container_exec(request.exec_trampoline_fd,
                                                 security::ExecFailureReport::sync_frame,
                                                 channel.fd(), prefix, prepared.path, argv.data());
    prepare_fds_for_exec(request.preserve_fds);
    ::prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
    reset_signals();
    try {
        (void)seccomp.load_at(security::SeccompStage::before_exec);
    } catch (const std::exception& error) {
        report_and_exit(channel, error, 1);
    }
    const int err = container_exec.exec(envp.data());
    report_and_exit(channel, Error(prefix + exec_error_text(err), err), err == ENOENT ? 127 : 126);
    ::_exit(127);
}

void forward_seccomp_listener(const ExecRequest& request, pid_t pid, const SyncMessage& message) {
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

int namespaces_to_join(pid_t pid) {
    // Both ns directories looked up once: each /proc/PID path costs a task lookup.
    const std::string theirs_path = fmt::format("/proc/{}/ns", pid);
    const sys::UniqueFd theirs(::open(theirs_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    const sys::UniqueFd ours(::open("/proc/self/ns", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!theirs || !ours) return 0;  // the init is gone: the pidfd checks report that
    int flags = 0;
    for (const auto& ns : kNamespaces) {
        bool missing = false;
        const bool same = same_namespace(theirs.get(), ours.get(), ns.proc_name, missing);
        if (!same && !missing) flags |= ns.flag;
    }
    return flags;
}

void join_namespaces_by_path(pid_t pid, int pidfd, int flags) {
    std::vector<std::pair<sys::UniqueFd, const NamespaceEntry*>> opened;
    for (const auto& ns : kNamespaces) {
        if ((flags & ns.flag) == 0) continue;
        const std::string path = fmt::format("/proc/{}/ns/{}", pid, ns.proc_name);
        sys::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd) throw_sys_error("open namespace", path);
        opened.emplace_back(std::move(fd), &ns);
    }
    // Still alive after the opens: the pid was not reused, the fds are the init's namespaces.
    if (sys::pidfd_send_signal(pidfd, 0) < 0) fail("container not running");
    for (const auto& [fd, ns] : opened)
        check_sys(::setns(fd.get(), ns->flag),
                  fmt::format("join {} namespace", ns->proc_name),
                  fmt::format("/proc/{}/ns/{}", pid, ns->proc_name));
}

LaunchedExec launch_exec(const ExecRequest& request) {
    const spec::Spec& spec = *request.spec;
    if (!spec.process) fail("exec: no process to run");
    if (request.init_pidfd < 0) fail("exec: no pidfd of the container init");
    const int join_flags = namespaces_to_join(request.init_pid);
    // The child inherits this; no container process may ptrace or read it (CVE-2016-9962).
    ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

    auto [parent_channel, child_channel] = SyncChannel::make_pair();
    CgroupEntry cgroup_entry(request.cgroups);
    ChildPidNamespace pid_namespace(request.init_pidfd, (join_flags & CLONE_NEWPID) != 0);

    int pidfd = -1;
    sys::CloneArgs args;
    args.flags = CLONE_PIDFD;
    args.pidfd = reinterpret_cast<std::uint64_t>(&pidfd);
    args.exit_signal = SIGCHLD;
    const pid_t pid = cgroup_entry.clone(args);
    if (pid < 0) throw_sys_error("clone3 exec process");
    // The child needs hako's go only when hako must first move it into a cgroup it could not
    // enter itself; otherwise it goes straight on (no round trip). Known on both sides.
    const bool child_waits_for_go = cgroup_entry.needs_add_process();
    if (pid == 0) {
        parent_channel.close();
        run_exec_child(request, request.init_pidfd, join_flags, child_waits_for_go,
                       cgroup_entry.self_join(), child_channel);
    }
    LaunchedExec launched;
    launched.pid = pid;
    launched.pidfd.reset(pidfd);
    ChildGuard guard(pid, pidfd);
    child_channel.close();
    pid_namespace.restore();

    if (child_waits_for_go) {
        cgroup_entry.add_process(pid);
        parent_channel.send(SyncType::kGo);
    }
    bool ready = false;
    for (;;) {
        std::optional<SyncMessage> message = parent_channel.receive_unless_closed();
        if (!message) break;
        switch (message->type) {
            case SyncType::kError: throw Error(message->text, message->errno_value);
            case SyncType::kConsole:
                if (!message->fd) fail("sync channel: console message without an fd");
                launched.console_master = std::move(message->fd);
                launched.console_name = message->text;
                break;
            case SyncType::kSeccompListener: forward_seccomp_listener(request, pid, *message); break;
            case SyncType::kReady:
                ready = true;
                for (std::size_t start = 0; start < message->text.size();) {
                    const auto end = message->text.find('\n', start);
                    launched.warnings.push_back(message->text.substr(start, end - start));
                    if (end == std::string::npos) break;
                    start = end + 1;
                }
                break;
            default:
                fail("sync channel: unexpected message {}", static_cast<int>(message->type));
        }
    }
    if (!ready) fail("exec process exited during setup");
    guard.release();
    return launched;
}

}  // namespace hako::process
