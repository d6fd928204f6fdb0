#include "process/process_setup.hpp"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>

#include "process/executable.hpp"
#include "sys/error.hpp"
#include "sys/file_io.hpp"
#include "sys/text.hpp"
#include "sys/unique_fd.hpp"

namespace hako::process {

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

namespace {

// The container's /etc/passwd (we are inside it by now), or "" when it is missing or not a
// regular file: a FIFO or a device there must not stall or feed the runtime.
std::string container_passwd() {
    const sys::UniqueFd fd(::open("/etc/passwd", O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    struct stat st {};
    if (!fd || ::fstat(fd.get(), &st) < 0 || !S_ISREG(st.st_mode)) return {};
    try {
        return sys::read_regular_file(fd.get(), "/etc/passwd");
    } catch (const Error&) {
        return {};
    }
}

}  // namespace

void add_home(std::vector<std::string>& env, std::uint32_t uid) {
    if (find_env(env, "HOME") != nullptr) return;
    std::string home = "/";
    const std::string passwd = container_passwd();
    const std::string wanted = std::to_string(uid);
    for (std::string_view line : sys::split(passwd, '\n')) {
        const std::vector<std::string_view> fields = sys::split(line, ':');
        if (fields.size() >= 6 && fields[2] == wanted) {
            home = fields[5];
            break;
        }
    }
    env.push_back("HOME=" + home);
}

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

}  // namespace hako::process
