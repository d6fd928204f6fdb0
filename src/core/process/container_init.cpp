#include "process/container_init.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <fstream>
#include <optional>

#include "fs/rootfs.hpp"
#include "fs/safe_path.hpp"
#include "process/cgroup_entry.hpp"
#include "process/exec_gate.hpp"
#include "process/idle_memory.hpp"
#include "process/executable.hpp"
#include "process/fd_hygiene.hpp"
#include "process/hook_points.hpp"
#include "process/kernel_parameters.hpp"
#include "process/process_setup.hpp"
#include "process/terminal.hpp"
#include "security/capabilities.hpp"
#include "security/lsm.hpp"
#include "security/private_procfs.hpp"
#include "security/exec_trampoline.hpp"
#include "security/seccomp_init.hpp"
#include "sys/error.hpp"

namespace hako::process {
namespace {

constexpr long kKeyctlJoinSessionKeyring = 1;  // KEYCTL_JOIN_SESSION_KEYRING

void join_namespaces(const NamespacePlan& plan, std::vector<MadeNamespace>& made_ahead) {
    // Made for this container by hako itself; a plan with namespaces made ahead joins none by
    // path.
    for (auto& made : made_ahead) {
        check_sys(::setns(made.fd.get(), static_cast<int>(made.flag)),
                  "enter the namespace made ahead");
        made.fd.reset();  // nothing of it stays open in the waiting init
    }
    for (const auto& join : plan.joins) {
        const sys::UniqueFd fd(check_sys(::open(join.path.c_str(), O_RDONLY | O_CLOEXEC),
                                         fmt::format("open {} namespace",
                                                     spec::namespace_type_name(join.type)),
                                         join.path));
        check_sys(::setns(fd.get(), static_cast<int>(spec::namespace_clone_flag(join.type))),
                  fmt::format("join {} namespace", spec::namespace_type_name(join.type)),
                  join.path);
    }
    if (plan.unshare_flags != 0)
        check_sys(::unshare(static_cast<int>(plan.unshare_flags)), "unshare namespaces");
}

// Inside a user namespace the init starts with the overflow ids; becoming the namespace's
// root lets it set up the rootfs with the mapped ids.
void become_namespace_root() {
    check_sys(::setresgid(0, 0, 0), "setresgid 0 in user namespace");
    check_sys(::setresuid(0, 0, 0), "setresuid 0 in user namespace");
    if (::setgroups(0, nullptr) < 0 && errno != EPERM) throw_sys_error("setgroups");
}

void join_session_keyring(const std::string& id) {
    const std::string name = "_ses." + id;
    if (::syscall(SYS_keyctl, kKeyctlJoinSessionKeyring, name.c_str()) < 0 && errno != ENOSYS &&
        errno != EACCES && errno != EPERM)
        throw_sys_error("join session keyring", name);
}

void set_names(const spec::Spec& spec, const NamespacePlan& plan) {
    if (spec.hostname.empty() && spec.domainname.empty()) return;
    if (!plan.has_uts) fail("hostname: setting it needs a private uts namespace");
    if (!spec.hostname.empty())
        check_sys(::sethostname(spec.hostname.data(), spec.hostname.size()), "sethostname",
                  spec.hostname);
    if (!spec.domainname.empty())
        check_sys(::setdomainname(spec.domainname.data(), spec.domainname.size()),
                  "setdomainname", spec.domainname);
}

// The listener fd exists only once the filter is loaded; the parent hands it to the agent.
void hand_over_seccomp_listener(const SyncChannel& channel, const sys::UniqueFd& listener) {
    if (listener) channel.send(SyncType::kSeccompListener, 0, {}, listener.get());
}

struct PreparedExec {
    std::string path;
    std::vector<std::string> env;
    pid_t host_pid = 0;  // for the startContainer hooks' state
};

PreparedExec set_up(const LaunchRequest& request, const NamespacePlan& plan,
                    std::vector<MadeNamespace>& made_ahead,
                    std::vector<fs::FilesystemAhead>& filesystems_ahead, bool waits_for_go,
                    SyncChannel& channel,
                    std::vector<std::string>& warnings, security::InitSeccomp& seccomp) {
    const spec::Spec& spec = *request.spec;
    const spec::Process& process = *spec.process;
    // Normally compiled by `create` before the clone; a bad profile failed there.
    seccomp = request.seccomp != nullptr ? *request.seccomp : security::InitSeccomp(spec);
    security::check_lsm_support(spec);

    join_namespaces(plan, made_ahead);
    pid_t host_pid = 0;
    if (waits_for_go) {
        channel.send(SyncType::kNamespacesReady);
        host_pid = host_pid_from_go(channel.receive(SyncType::kGo));
    } else {
        host_pid = host_pid_from_host_procfs(request);
    }

    if (plan.has_user) become_namespace_root();
    if (!request.no_new_keyring) join_session_keyring(request.container_id);
    set_names(spec, plan);
    // hako's own /proc for its sysctl and LSM writes, opened while the container's /proc
    // (whatever the image and the mounts make of it) is not yet in the way. Only when there
    // are such writes: a procfs instance costs a mount, and its release an RCU grace period.
    std::optional<security::PrivateProcfs> procfs;
    if (!spec.linux_config.sysctl.empty() || security::has_exec_labels(process))
        procfs = security::PrivateProcfs::open();

    fs::RootfsPlan rootfs_plan;
    rootfs_plan.spec = &spec;
    rootfs_plan.rootfs = request.rootfs;
    rootfs_plan.bundle = request.bundle;
    rootfs_plan.no_pivot = request.no_pivot;
    rootfs_plan.in_user_namespace = plan.has_user;
    rootfs_plan.in_cgroup_namespace = std::any_of(
        spec.linux_config.namespaces.begin(), spec.linux_config.namespaces.end(),
        [](const spec::Namespace& ns) { return ns.type == spec::NamespaceType::cgroup; });
    rootfs_plan.cgroup_layout = request.cgroup_layout;
    if (request.cgroups != nullptr) rootfs_plan.cgroup_paths = request.cgroups->paths();
    rootfs_plan.before_cgroups = [&] {
        if (request.cgroups != nullptr) CgroupEntry::receive_v1_and_join(channel);
        // After the join: the namespace's root is the container's cgroup.
        if (plan.new_cgroup) check_sys(::unshare(CLONE_NEWCGROUP), "unshare cgroup namespace");
    };
    rootfs_plan.before_devices = [&] {
        if (request.cgroups != nullptr) channel.receive(SyncType::kResourcesApplied);
    };
    rootfs_plan.before_pivot = [&] { run_pre_pivot_hooks(request, channel, host_pid); };
    rootfs_plan.filesystems_ahead = &filesystems_ahead;
    fs::prepare_rootfs(rootfs_plan);
    filesystems_ahead.clear();  // attached; any left unused must not reach the container
    if (process.terminal) {
        // A pty of the container's own devpts becomes /dev/console and the init's stdio and
        // controlling terminal; the parent gets the master.
        const Pty pty = open_pty(process.console_size);
        mount_console(pty.slave.get());
        make_controlling_terminal(pty.slave.get());
        channel.send(SyncType::kConsole, 0, pty.name, pty.master.get());
    }
    {
        // process.cwd is created when missing, as runc does, before the root turns read-only.
        const sys::UniqueFd root(check_sys(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), "open /"));
        fs::mkdir_all_in_root(root.get(), process.cwd);
    }
    if (procfs) write_sysctls(spec.linux_config.sysctl, *procfs);
    fs::finalize_rootfs(rootfs_plan);
    if (procfs) security::apply_exec_labels(*procfs, process);

    apply_rlimits(process.rlimits);
    if (process.no_new_privileges)
        check_sys(::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl PR_SET_NO_NEW_PRIVS");

    // Without a capabilities object the process gets none: the safe reading of "optional".
    const auto capabilities = security::Capabilities::resolve(
        process.capabilities.value_or(spec::Capabilities{}), warnings);
    hand_over_seccomp_listener(
        channel, seccomp.load_at(security::SeccompStage::before_user_switch));
    capabilities.prepare_for_user_switch();
    switch_user(process.user, plan.has_user);
    capabilities.apply();

    ::umask(process.user.umask.value_or(022));
    enter_cwd(process.cwd);

    PreparedExec prepared;
    prepared.env = process.env;
    prepared.host_pid = host_pid;
    add_home(prepared.env, process.user.uid);
    prepared.path = find_executable(process.args.front(), prepared.env);
    hand_over_seccomp_listener(channel, seccomp.load_at(security::SeccompStage::before_ready));
    return prepared;
}

std::vector<char*> as_argv(std::vector<std::string>& strings) {
    std::vector<char*> pointers;
    pointers.reserve(strings.size() + 1);
    for (auto& s : strings) pointers.push_back(s.data());
    pointers.push_back(nullptr);
    return pointers;
}

// Where the init reports what fails between `start` and the user process's execve: the exec
// gate's connection (text, which `start` reads), or for `run` the sync channel (a frame).
struct StartReport {
    security::ExecFailureReport kind;
    int fd;
    const SyncChannel* channel = nullptr;  // sync_frame: the channel whose fd that is

    void send(std::string_view text, int errno_value) const noexcept {
        try {
            if (channel != nullptr) {
                channel->send(SyncType::kError, errno_value, text);
            } else {
                [[maybe_unused]] const auto written = ::write(fd, text.data(), text.size());
            }
        } catch (...) {
        }
    }
};

// After start: the startContainer hooks, then the user process through the trampoline.
[[noreturn]] void exec_user_process(const LaunchRequest& request, PreparedExec& prepared,
                                    security::InitSeccomp& seccomp,
                                    const StartReport& report) noexcept {
    try {
        run_start_container_hooks(request, prepared.host_pid);
    } catch (const std::exception& error) {
        report.send(error.what(), 0);
        ::_exit(1);
    }
    auto args = request.spec->process->args;
    auto argv = as_argv(args);
    auto envp = as_argv(prepared.env);
    const std::string prefix = fmt::format("exec: \"{}\": ", args.front());
    const security::ContainerExec container_exec(request.exec_trampoline_fd, report.kind,
                                                 report.fd, prefix, prepared.path,
                                                 argv.data());
    prepare_fds_for_exec(request.preserve_fds);
    reset_signals();
    try {
        (void)seccomp.load_at(security::SeccompStage::before_exec);
    } catch (const std::exception& error) {
        report.send(error.what(), 0);
        ::_exit(1);
    }
    const int err = container_exec.exec(envp.data());
    report.send(prefix + exec_error_text(err), err);
    ::_exit(err == ENOENT ? 127 : 126);
}

}  // namespace

void run_container_init(const LaunchRequest& request, const NamespacePlan& plan,
                        const IdleMemoryPlan& idle, std::vector<MadeNamespace>& made_ahead,
                        std::vector<fs::FilesystemAhead>& filesystems_ahead,
                        bool waits_for_go, SyncChannel& channel) noexcept {
    std::vector<std::string> warnings;
    PreparedExec prepared;
    security::InitSeccomp seccomp;
    try {
        // Until execve nothing in the container may ptrace or inspect us (CVE-2016-9962), and
        // if hako dies during setup the half-made init goes with it.
        ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        ::umask(0);
        std::vector<int> keep{channel.fd(), request.exec_gate_fd};
        if (request.exec_trampoline_fd >= 0) keep.push_back(request.exec_trampoline_fd);
        for (const auto& made : made_ahead) keep.push_back(made.fd.get());
        for (const auto& filesystem : filesystems_ahead)
            if (filesystem.made) keep.push_back(filesystem.made.get());
        for (int fd = 3; fd < 3 + request.preserve_fds; ++fd) keep.push_back(fd);
        close_fds_except(keep);
        prepared = set_up(request, plan, made_ahead, filesystems_ahead, waits_for_go, channel,
                          warnings, seccomp);
        std::string joined;
        for (const auto& warning : warnings) joined += warning + "\n";
        ::prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
        channel.send(SyncType::kReady, 0, joined);
    } catch (const std::exception& error) {
        const auto* hako_error = dynamic_cast<const Error*>(&error);
        try {
            channel.send(SyncType::kError, hako_error != nullptr ? hako_error->errno_value() : 0,
                         error.what());
        } catch (...) {
        }
        ::_exit(1);
    }
    if (request.starts_at_once) {
        // `run`: no gate to wait at; failures go to hako over the channel (a kError frame).
        exec_user_process(request, prepared, seccomp,
                          {security::ExecFailureReport::sync_frame, channel.fd(), &channel});
    }
    channel.close();
    if (request.release_idle_memory) release_idle_memory_until_readable(idle, request.exec_gate_fd);

    sys::UniqueFd start_connection;
    try {
        start_connection = await_start(request.exec_gate_fd);
    } catch (...) {
        ::_exit(1);
    }
    ::close(request.exec_gate_fd);
    exec_user_process(request, prepared, seccomp,
                      {security::ExecFailureReport::text, start_connection.get()});
}

}  // namespace hako::process
