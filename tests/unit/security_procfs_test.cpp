// The procfs verification behind hako's sysctl and LSM label writes (CVE-2019-16884,
// CVE-2025-52881): a file that is not on procfs, or is reached through a symlink, is refused;
// the private procfs instance opens the calling thread's attr files without any symlink.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <functional>
#include <regex>
#include <string>

#include "security/lsm.hpp"
#include "security/private_procfs.hpp"
#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace {

using hako::Error;
using hako::sys::UniqueFd;
using hako::security::open_procfs_file;
using hako::security::PrivateProcfs;
using hako::security::require_procfs;

// A detached tmpfs (it exists only as this fd: nothing is mounted anywhere) with a fake
// "thread/attr/exec" file, a "link" symlink to the real /proc and "attr-link" -> "thread/attr".
UniqueFd fake_proc_on_tmpfs() {
    const UniqueFd context(hako::check_sys(::fsopen("tmpfs", FSOPEN_CLOEXEC), "fsopen tmpfs"));
    hako::check_sys(::fsconfig(context.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0),
                    "fsconfig create");
    UniqueFd root(hako::check_sys(::fsmount(context.get(), FSMOUNT_CLOEXEC, 0), "fsmount"));
    hako::check_sys(::mkdirat(root.get(), "thread", 0755), "mkdir thread");
    hako::check_sys(::mkdirat(root.get(), "thread/attr", 0755), "mkdir attr");
    const UniqueFd file(hako::check_sys(
        ::openat(root.get(), "thread/attr/exec", O_CREAT | O_WRONLY | O_CLOEXEC, 0644), "create"));
    hako::check_sys(::symlinkat("/proc", root.get(), "link"), "symlink");
    hako::check_sys(::symlinkat("thread/attr", root.get(), "attr-link"), "symlink");
    return root;
}

std::string error_of(const std::function<void()>& body) {
    try {
        body();
    } catch (const Error& error) {
        return error.what();
    }
    return "";
}

TEST(SecurityProcfs, RequireProcfsAcceptsProcAndRefusesTmpfs) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount a tmpfs";
    const UniqueFd status(::open("/proc/self/status", O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(status);
    EXPECT_NO_THROW(require_procfs(status.get(), "/proc/self/status"));

    const UniqueFd fake = fake_proc_on_tmpfs();
    const UniqueFd file(::openat(fake.get(), "thread/attr/exec", O_WRONLY | O_CLOEXEC));
    ASSERT_TRUE(file);
    const std::string message =
        error_of([&] { require_procfs(file.get(), "/proc/thread-self/attr/exec"); });
    EXPECT_NE(message.find("/proc/thread-self/attr/exec is not on procfs"), std::string::npos)
        << message;
}

TEST(SecurityProcfs, OpenProcfsFileRefusesAFakeAttrFile) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount a tmpfs";
    const UniqueFd fake = fake_proc_on_tmpfs();
    const std::string message = error_of(
        [&] { open_procfs_file(fake.get(), "thread/attr/exec", O_WRONLY, "attr/exec"); });
    EXPECT_NE(message.find("not on procfs"), std::string::npos) << message;
}

TEST(SecurityProcfs, OpenProcfsFileFollowsNoSymlink) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount a tmpfs";
    const UniqueFd fake = fake_proc_on_tmpfs();
    // Into the real procfs through a symlink: it would pass the procfs check, so the
    // resolution itself must refuse it.
    std::string message = error_of(
        [&] { open_procfs_file(fake.get(), "link/self/status", O_RDONLY, "link/self/status"); });
    EXPECT_NE(message.find("link/self/status"), std::string::npos) << message;
    message = error_of(
        [&] { open_procfs_file(fake.get(), "attr-link/exec", O_WRONLY, "attr-link/exec"); });
    EXPECT_FALSE(message.empty());
    message = error_of(
        [&] { open_procfs_file(fake.get(), "../etc/passwd", O_RDONLY, "../etc/passwd"); });
    EXPECT_FALSE(message.empty());

    // procfs's own "self" symlink is refused as well: callers name the thread explicitly.
    const UniqueFd proc(::open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(proc);
    message = error_of([&] { open_procfs_file(proc.get(), "self/status", O_RDONLY, "self"); });
    EXPECT_FALSE(message.empty());
    EXPECT_NO_THROW(open_procfs_file(proc.get(), "sys/kernel/ostype", O_RDONLY, "ostype"));
}

TEST(SecurityProcfs, PrivateProcfsReachesTheCallingThread) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount a procfs";
    const PrivateProcfs proc = PrivateProcfs::open();
    const std::string thread = proc.thread_self();
    EXPECT_TRUE(std::regex_match(thread, std::regex(R"(\d+/task/\d+)"))) << thread;
    EXPECT_EQ(thread, std::to_string(::getpid()) + "/task/" + std::to_string(::gettid()));
    const UniqueFd current = proc.open_file(thread + "/attr/current", O_RDONLY);
    EXPECT_TRUE(current);
    const UniqueFd ostype = proc.open_file("sys/kernel/ostype", O_RDONLY);
    char buffer[16] = {};
    ASSERT_GT(::read(ostype.get(), buffer, sizeof buffer - 1), 0);
    EXPECT_EQ(std::string(buffer), "Linux\n");
    // The AppArmor attr: the per-module file where the kernel has it, else attr/exec.
    const std::string attr = hako::security::apparmor_exec_attr(proc);
    struct stat st {};
    const bool per_module = ::stat("/proc/thread-self/attr/apparmor", &st) == 0;
    EXPECT_EQ(attr, thread + (per_module ? "/attr/apparmor/exec" : "/attr/exec"));
}

}  // namespace
