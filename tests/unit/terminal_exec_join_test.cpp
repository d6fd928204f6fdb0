// The namespace selection and the pre-5.8 by-path join of process/exec_process, run on real
// namespaces (root only).
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "process/exec_process.hpp"
#include "sys/error.hpp"
#include "sys/syscalls.hpp"

namespace {

// A child in a new uts namespace with its own hostname, killed on destruction.
class UtsChild {
public:
    UtsChild() {
        int ready[2];
        if (::pipe(ready) < 0) return;
        pid_ = ::fork();
        if (pid_ == 0) {
            ::close(ready[0]);
            const char name[] = "hako-join-test";
            const bool ok = ::unshare(CLONE_NEWUTS) == 0 && ::sethostname(name, sizeof(name) - 1) == 0;
            [[maybe_unused]] auto n = ::write(ready[1], ok ? "y" : "n", 1);
            for (;;) ::pause();
        }
        ::close(ready[1]);
        char c = 0;
        ok_ = ::read(ready[0], &c, 1) == 1 && c == 'y';
        ::close(ready[0]);
    }
    ~UtsChild() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    pid_t pid() const { return pid_; }
    bool ok() const { return ok_; }

private:
    pid_t pid_ = -1;
    bool ok_ = false;
};

}  // namespace

TEST(ExecJoin, SelectsOnlyNamespacesThatDiffer) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    EXPECT_EQ(hako::process::namespaces_to_join(::getpid()), 0);
    UtsChild child;
    ASSERT_TRUE(child.ok());
    EXPECT_EQ(hako::process::namespaces_to_join(child.pid()), CLONE_NEWUTS);
}

TEST(ExecJoin, JoinsByPathAfterCheckingThePidfd) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    UtsChild child;
    ASSERT_TRUE(child.ok());
    const hako::sys::UniqueFd pidfd(hako::sys::pidfd_open(child.pid(), 0));
    ASSERT_TRUE(pidfd);
    const pid_t joiner = ::fork();
    ASSERT_GE(joiner, 0);
    if (joiner == 0) {
        try {
            hako::process::join_namespaces_by_path(child.pid(), pidfd.get(), CLONE_NEWUTS);
            char name[64] = {};
            ::gethostname(name, sizeof(name) - 1);
            ::_exit(std::string(name) == "hako-join-test" ? 0 : 2);
        } catch (...) {
            ::_exit(3);
        }
    }
    int status = 0;
    ASSERT_EQ(::waitpid(joiner, &status, 0), joiner);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST(ExecJoin, RefusesADeadProcess) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) ::_exit(0);
    const hako::sys::UniqueFd pidfd(hako::sys::pidfd_open(child, 0));
    ASSERT_TRUE(pidfd);
    ::waitpid(child, nullptr, 0);
    EXPECT_THROW(hako::process::join_namespaces_by_path(child, pidfd.get(), 0), hako::Error);
}
