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

#include <climits>
#include <cstring>
#include <fstream>

#include "fs/rootfs.hpp"
#include "fs/safe_path.hpp"
#include "process/exec_gate.hpp"
#include "process/executable.hpp"
#include "process/fd_hygiene.hpp"
#include "process/kernel_parameters.hpp"
#include "security/capabilities.hpp"
#include "sys/error.hpp"

namespace hako::process {
namespace {

constexpr long kKeyctlJoinSessionKeyring = 1;  // KEYCTL_JOIN_SESSION_KEYRING

void join_namespaces(const NamespacePlan& plan) {
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

void apply_rlimits(const std::vector<spec::Rlimit>& rlimits) {
    for (const auto& limit : rlimits) {
        const rlimit value{limit.soft, limit.hard};
        if (::prlimit(0, static_cast<__rlimit_resource>(limit.resource), &value, nullptr) < 0)
            throw_sys_error(fmt::format("setrlimit {} {}/{}", limit.type, limit.soft, limit.hard));
    }
}

void switch_user(const spec::User& user, bool in_user_namespace) {
    if (!user.additional_gids.empty()) {
        std::vector<gid_t> groups(user.additional_gids.begin(), user.additional_gids.end());
        check_sys(::setgroups(groups.size(), groups.data()), "setgroups",
                  "process.user.additionalGids");
    } else if (::setgroups(0, nullptr) < 0 && !(in_user_namespace && errno == EPERM)) {
        throw_sys_error("setgroups");
    }
    check_sys(::setresgid(user.gid, user.gid, user.gid), "setresgid",
              fmt::format("{}", user.gid));
    check_sys(::setresuid(user.uid, user.uid, user.uid), "setresuid",
              fmt::format("{}", user.uid));
}

// HOME from the rootfs's /etc/passwd when the spec's env has none, as runc does.
void add_home(std::vector<std::string>& env, std::uint32_t uid) {
    if (find_env(env, "HOME") != nullptr) return;
    std::string home = "/";
    std::ifstream passwd("/etc/passwd");
    for (std::string line; std::getline(passwd, line);) {
        std::vector<std::string> fields;
        std::size_t start = 0;
        for (std::size_t colon; (colon = line.find(':', start)) != std::string::npos;
             start = colon + 1)
            fields.push_back(line.substr(start, colon - start));
        fields.push_back(line.substr(start));
        if (fields.size() >= 6 && fields[2] == std::to_string(uid)) {
            home = fields[5];
            break;
        }
    }
    env.push_back("HOME=" + home);
}

// The cwd is entered by path only after pivot_root, with every host fd closed, so it cannot
// reach the host; getcwd then proves it lies inside the container's root.
void enter_cwd(const std::string& cwd) {
    check_sys(::chdir(cwd.c_str()), "chdir to process.cwd", cwd);
    char buffer[PATH_MAX];
    if (::getcwd(buffer, sizeof(buffer)) == nullptr || buffer[0] != '/')
        fail("process.cwd {}: resolves outside the container", cwd);
}

void reset_signals() {
    for (int signal = 1; signal < NSIG; ++signal) {
        if (signal == SIGKILL || signal == SIGSTOP) continue;
        ::signal(signal, SIG_DFL);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

struct PreparedExec {
    std::string path;
    std::vector<std::string> env;
};

PreparedExec set_up(const LaunchRequest& request, const NamespacePlan& plan,
                    SyncChannel& channel, std::vector<std::string>& warnings) {
    const spec::Spec& spec = *request.spec;
    const spec::Process& process = *spec.process;

    join_namespaces(plan);
    channel.send(SyncType::kNamespacesReady);
    const SyncMessage go = channel.receive();
    if (go.type != SyncType::kGo) fail("sync channel: expected go, got message {}", static_cast<int>(go.type));

    if (plan.has_user) become_namespace_root();
    if (plan.new_cgroup) check_sys(::unshare(CLONE_NEWCGROUP), "unshare cgroup namespace");
    if (!request.no_new_keyring) join_session_keyring(request.container_id);
    set_names(spec, plan);

    fs::RootfsPlan rootfs_plan;
    rootfs_plan.spec = &spec;
    rootfs_plan.rootfs = request.rootfs;
    rootfs_plan.bundle = request.bundle;
    rootfs_plan.no_pivot = request.no_pivot;
    rootfs_plan.in_user_namespace = plan.has_user;
    rootfs_plan.cgroup_layout = request.cgroup_layout;
    if (request.cgroups != nullptr) rootfs_plan.cgroup_paths = request.cgroups->paths();
    fs::prepare_rootfs(rootfs_plan);
    {
        // process.cwd is created when missing, as runc does, before the root turns read-only.
        const sys::UniqueFd root(check_sys(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), "open /"));
        fs::mkdir_all_in_root(root.get(), process.cwd);
    }
    write_sysctls(spec.linux_config.sysctl);
    fs::finalize_rootfs(rootfs_plan);

    apply_rlimits(process.rlimits);
    if (process.no_new_privileges)
        check_sys(::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl PR_SET_NO_NEW_PRIVS");

    // Without a capabilities object the process gets none: the safe reading of "optional".
    const auto capabilities = security::Capabilities::resolve(
        process.capabilities.value_or(spec::Capabilities{}), warnings);
    capabilities.prepare_for_user_switch();
    switch_user(process.user, plan.has_user);
    capabilities.apply();

    ::umask(process.user.umask.value_or(022));
    enter_cwd(process.cwd);

    PreparedExec prepared;
    prepared.env = process.env;
    add_home(prepared.env, process.user.uid);
    prepared.path = find_executable(process.args.front(), prepared.env);
    return prepared;
}

std::vector<char*> as_argv(std::vector<std::string>& strings) {
    std::vector<char*> pointers;
    pointers.reserve(strings.size() + 1);
    for (auto& s : strings) pointers.push_back(s.data());
    pointers.push_back(nullptr);
    return pointers;
}

}  // namespace

void run_container_init(const LaunchRequest& request, const NamespacePlan& plan,
                        SyncChannel& channel) noexcept {
    std::vector<std::string> warnings;
    PreparedExec prepared;
    try {
        // Until execve nothing in the container may ptrace or inspect us (CVE-2016-9962), and
        // if hako dies during setup the half-made init goes with it.
        ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        ::umask(0);
        std::vector<int> keep{channel.fd(), request.exec_gate_fd};
        for (int fd = 3; fd < 3 + request.preserve_fds; ++fd) keep.push_back(fd);
        close_fds_except(keep);
        prepared = set_up(request, plan, channel, warnings);
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
    channel.close();

    sys::UniqueFd start_connection;
    try {
        start_connection = await_start(request.exec_gate_fd);
    } catch (...) {
        ::_exit(1);
    }
    ::close(request.exec_gate_fd);
    auto args = request.spec->process->args;
    auto argv = as_argv(args);
    auto envp = as_argv(prepared.env);
    prepare_fds_for_exec(request.preserve_fds);
    reset_signals();
    ::execve(prepared.path.c_str(), argv.data(), envp.data());
    const int err = errno;
    const std::string message =
        fmt::format("exec: \"{}\": {}", request.spec->process->args.front(), std::strerror(err));
    [[maybe_unused]] const auto written =
        ::write(start_connection.get(), message.data(), message.size());
    ::_exit(err == ENOENT ? 127 : 126);
}

}  // namespace hako::process
