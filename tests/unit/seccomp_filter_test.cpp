// compile_seccomp: rules built with libseccomp, exported, stub prepended. The programs are
// run through a BPF interpreter (seccomp_bpf_vm.hpp) instead of the kernel, which cannot
// unload a filter; test_seccomp.py checks the same behaviours in real containers.
#include <gtest/gtest.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "seccomp_bpf_vm.hpp"
#include "security/seccomp_filter.hpp"
#include "security/seccomp_profile.hpp"
#include "sys/error.hpp"

namespace {

using nlohmann::json;
using namespace hako::security;
using hako::test::make_seccomp_data;
using hako::test::run_bpf;

constexpr std::uint32_t kErrno(std::uint32_t value) { return SECCOMP_RET_ERRNO | value; }

SeccompProgram compile(const json& profile) {
    return compile_seccomp(parse_seccomp_profile(profile.dump()));
}

std::uint32_t decide(const SeccompProgram& program, int nr,
                     std::initializer_list<std::uint64_t> args = {},
                     std::uint32_t arch = AUDIT_ARCH_X86_64) {
    return run_bpf(program.instructions, make_seccomp_data(arch, nr, args));
}

std::string compile_error(const json& profile) {
    try {
        (void)compile(profile);
    } catch (const hako::Error& e) {
        return e.what();
    }
    return "";
}

const json kStrict = {
    {"defaultAction", "SCMP_ACT_ERRNO"},
    {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}},
    {"syscalls",
     {{{"names", {"read", "write", "rseq", "not_a_syscall_at_all"}}, {"action", "SCMP_ACT_ALLOW"}},
      {{"names", {"mkdir"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", EACCES}},
      {{"names", {"personality"}},
       {"action", "SCMP_ACT_ALLOW"},
       {"args", {{{"index", 0}, {"value", 0xffffffffu}, {"op", "SCMP_CMP_EQ"}}}}},
      {{"names", {"kill"}}, {"action", "SCMP_ACT_KILL_PROCESS"}},
      {{"names", {"tkill"}}, {"action", "SCMP_ACT_KILL"}},
      {{"names", {"pause"}}, {"action", "SCMP_ACT_TRAP"}},
      {{"names", {"getpid"}}, {"action", "SCMP_ACT_LOG"}},
      {{"names", {"getuid"}}, {"action", "SCMP_ACT_TRACE"}, {"errnoRet", 7}},
      // Same as the default: skipped, not an error.
      {{"names", {"rmdir"}}, {"action", "SCMP_ACT_ERRNO"}}}}};

TEST(SeccompFilter, DecidesLikeTheProfileSays) {
    const SeccompProgram program = compile(kStrict);
    ASSERT_GT(program.stub_length, 0u);
    EXPECT_GT(program.instructions.size(), program.stub_length);
    EXPECT_EQ(program.flags, 0u);
    EXPECT_FALSE(program.has_listener());

    EXPECT_EQ(decide(program, SYS_read), SECCOMP_RET_ALLOW);
    EXPECT_EQ(decide(program, SYS_write), SECCOMP_RET_ALLOW);
    EXPECT_EQ(decide(program, SYS_mkdir), kErrno(EACCES));
    EXPECT_EQ(decide(program, SYS_rmdir), kErrno(EPERM));
    EXPECT_EQ(decide(program, SYS_kill), SECCOMP_RET_KILL_PROCESS);
    EXPECT_EQ(decide(program, SYS_tkill), SECCOMP_RET_KILL_THREAD);
    EXPECT_EQ(decide(program, SYS_pause), SECCOMP_RET_TRAP);
    EXPECT_EQ(decide(program, SYS_getpid), SECCOMP_RET_LOG);
    EXPECT_EQ(decide(program, SYS_getuid), SECCOMP_RET_TRACE | 7);
    EXPECT_EQ(decide(program, SYS_personality, {0xffffffff}), SECCOMP_RET_ALLOW);
    EXPECT_EQ(decide(program, SYS_personality, {8}), kErrno(EPERM));
    // Not named, below the highest named (rseq, 334): the default action.
    EXPECT_EQ(decide(program, SYS_getcpu), kErrno(EPERM));
    // Newer than anything the profile names: ENOSYS, so libc falls back.
    EXPECT_EQ(decide(program, SYS_clone3), kErrno(ENOSYS));
    EXPECT_EQ(decide(program, 1000), kErrno(ENOSYS));
    // i386: its own numbers (read is 3, rseq 386, clone3 435).
    EXPECT_EQ(decide(program, 3, {}, AUDIT_ARCH_I386), SECCOMP_RET_ALLOW);
    EXPECT_EQ(decide(program, 435, {}, AUDIT_ARCH_I386), kErrno(ENOSYS));
    EXPECT_EQ(decide(program, 200, {}, AUDIT_ARCH_I386), kErrno(EPERM));
    // An architecture the filter does not cover: libseccomp's bad-arch action (kill).
    EXPECT_EQ(decide(program, SYS_read, {}, AUDIT_ARCH_AARCH64), SECCOMP_RET_KILL_THREAD);
}

TEST(SeccompFilter, ExportIsDeterministic) {
    const SeccompProgram a = compile(kStrict);
    const SeccompProgram b = compile(kStrict);
    ASSERT_EQ(a.instructions.size(), b.instructions.size());
    EXPECT_EQ(std::memcmp(a.instructions.data(), b.instructions.data(),
                          a.instructions.size() * sizeof(sock_filter)),
              0);
    EXPECT_EQ(a.stub_length, b.stub_length);
}

TEST(SeccompFilter, NoStubWhenTheDefaultLetsSyscallsThrough) {
    for (const char* action : {"SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_TRACE"}) {
        json profile = kStrict;
        profile["defaultAction"] = action;
        const SeccompProgram program = compile(profile);
        EXPECT_EQ(program.stub_length, 0u) << action;
        EXPECT_FALSE(program.instructions.empty());
    }
    json enosys = kStrict;
    enosys["defaultErrnoRet"] = ENOSYS;
    const SeccompProgram program = compile(enosys);
    EXPECT_EQ(program.stub_length, 0u);
    EXPECT_EQ(decide(program, SYS_clone3), kErrno(ENOSYS));
    EXPECT_EQ(decide(program, SYS_getcpu), kErrno(ENOSYS));
}

TEST(SeccompFilter, KillDefaultGetsTheStubToo) {
    json profile = kStrict;
    profile["defaultAction"] = "SCMP_ACT_KILL_PROCESS";
    const SeccompProgram program = compile(profile);
    EXPECT_GT(program.stub_length, 0u);
    EXPECT_EQ(decide(program, SYS_getcpu), SECCOMP_RET_KILL_PROCESS);
    EXPECT_EQ(decide(program, SYS_clone3), kErrno(ENOSYS));
}

TEST(SeccompFilter, DefaultErrnoRet) {
    json profile = kStrict;
    profile["defaultErrnoRet"] = EROFS;
    const SeccompProgram program = compile(profile);
    EXPECT_EQ(decide(program, SYS_getcpu), kErrno(EROFS));
    // Its EPERM rule no longer repeats the default, so it now counts.
    EXPECT_EQ(decide(program, SYS_rmdir), kErrno(EPERM));
}

// Each operator against a reference predicate, with values that differ in the high 32 bits
// too (libseccomp compares 64-bit arguments as two 32-bit halves).
TEST(SeccompFilter, EveryOperator) {
    const std::uint64_t pivot = 0x100000005ull;
    const std::vector<std::uint64_t> probes = {0,          4,           5,          6,
                                               0x100000004ull, pivot,   0x100000006ull,
                                               0x200000005ull, ~0ull};
    struct Case {
        const char* op;
        std::function<bool(std::uint64_t)> matches;
    };
    const std::vector<Case> cases = {
        {"SCMP_CMP_NE", [&](std::uint64_t v) { return v != pivot; }},
        {"SCMP_CMP_LT", [&](std::uint64_t v) { return v < pivot; }},
        {"SCMP_CMP_LE", [&](std::uint64_t v) { return v <= pivot; }},
        {"SCMP_CMP_EQ", [&](std::uint64_t v) { return v == pivot; }},
        {"SCMP_CMP_GE", [&](std::uint64_t v) { return v >= pivot; }},
        {"SCMP_CMP_GT", [&](std::uint64_t v) { return v > pivot; }},
    };
    for (const Case& c : cases) {
        const SeccompProgram program = compile(
            {{"defaultAction", "SCMP_ACT_ALLOW"},
             {"syscalls",
              {{{"names", {"getppid"}},
                {"action", "SCMP_ACT_ERRNO"},
                {"errnoRet", 99},
                {"args", {{{"index", 2}, {"value", pivot}, {"op", c.op}}}}}}}});
        for (std::uint64_t v : probes) {
            EXPECT_EQ(decide(program, SYS_getppid, {0, 0, v}),
                      c.matches(v) ? kErrno(99) : SECCOMP_RET_ALLOW)
                << c.op << " " << std::hex << v;
        }
    }
    // MASKED_EQ: value is the mask, valueTwo the datum (runc's and libseccomp's order).
    const SeccompProgram masked = compile(
        {{"defaultAction", "SCMP_ACT_ALLOW"},
         {"syscalls",
          {{{"names", {"getppid"}},
            {"action", "SCMP_ACT_ERRNO"},
            {"errnoRet", 98},
            {"args",
             {{{"index", 0}, {"value", 0xff0000ff00ull}, {"valueTwo", 0x1200003400ull},
               {"op", "SCMP_CMP_MASKED_EQ"}}}}}}}});
    EXPECT_EQ(decide(masked, SYS_getppid, {0x12abcd34ffull}), kErrno(98));
    EXPECT_EQ(decide(masked, SYS_getppid, {0x1200003400ull}), kErrno(98));
    EXPECT_EQ(decide(masked, SYS_getppid, {0x13abcd34ffull}), SECCOMP_RET_ALLOW);
    EXPECT_EQ(decide(masked, SYS_getppid, {0x12abcd35ffull}), SECCOMP_RET_ALLOW);
}

TEST(SeccompFilter, ConditionsOnDifferentArgumentsAreAnded) {
    const SeccompProgram program = compile(
        {{"defaultAction", "SCMP_ACT_ALLOW"},
         {"syscalls",
          {{{"names", {"getppid"}},
            {"action", "SCMP_ACT_ERRNO"},
            {"args",
             {{{"index", 0}, {"value", 1}, {"op", "SCMP_CMP_EQ"}},
              {{"index", 1}, {"value", 2}, {"op", "SCMP_CMP_EQ"}}}}}}}});
    EXPECT_EQ(decide(program, SYS_getppid, {1, 2}), kErrno(EPERM));
    EXPECT_EQ(decide(program, SYS_getppid, {1, 3}), SECCOMP_RET_ALLOW);
    EXPECT_EQ(decide(program, SYS_getppid, {0, 2}), SECCOMP_RET_ALLOW);
}

TEST(SeccompFilter, ConditionsOnTheSameArgumentBecomeSeparateRules) {
    // runc's semantics: libseccomp cannot AND two tests of one argument, so each condition
    // becomes its own rule (OR), the other conditions of the rule included.
    const SeccompProgram program = compile(
        {{"defaultAction", "SCMP_ACT_ALLOW"},
         {"syscalls",
          {{{"names", {"getppid"}},
            {"action", "SCMP_ACT_ERRNO"},
            {"args",
             {{{"index", 0}, {"value", 1}, {"op", "SCMP_CMP_EQ"}},
              {{"index", 0}, {"value", 2}, {"op", "SCMP_CMP_EQ"}},
              {{"index", 1}, {"value", 7}, {"op", "SCMP_CMP_EQ"}}}}}}}});
    EXPECT_EQ(decide(program, SYS_getppid, {1, 0}), kErrno(EPERM));
    EXPECT_EQ(decide(program, SYS_getppid, {2, 0}), kErrno(EPERM));
    EXPECT_EQ(decide(program, SYS_getppid, {0, 7}), kErrno(EPERM));
    EXPECT_EQ(decide(program, SYS_getppid, {3, 0}), SECCOMP_RET_ALLOW);
}

TEST(SeccompFilter, Flags) {
    json profile = kStrict;
    profile["flags"] = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                        "SECCOMP_FILTER_FLAG_TSYNC"};
    EXPECT_EQ(compile(profile).flags, SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW);
    EXPECT_TRUE(seccomp_flag_supported(SeccompFlag::tsync));
    EXPECT_FALSE(seccomp_flag_supported(SeccompFlag::wait_killable_recv));
}

TEST(SeccompFilter, NotifyAsksForAListener) {
    json profile = kStrict;
    profile["listenerPath"] = "/run/agent.sock";
    profile["syscalls"].push_back({{"names", {"mknod"}}, {"action", "SCMP_ACT_NOTIFY"}});
    const SeccompProgram program = compile(profile);
    EXPECT_TRUE(program.has_listener());
    EXPECT_EQ(program.flags, SECCOMP_FILTER_FLAG_NEW_LISTENER);
    EXPECT_EQ(decide(program, SYS_mknod), SECCOMP_RET_USER_NOTIF);
}

TEST(SeccompFilter, TooLargeForTheKernel) {
    json rules = json::array();
    for (int value = 0; value < 4200; ++value)
        rules.push_back({{"names", {"getppid"}},
                         {"action", "SCMP_ACT_ERRNO"},
                         {"args", {{{"index", 0}, {"value", value}, {"op", "SCMP_CMP_EQ"}}}}});
    const std::string error =
        compile_error({{"defaultAction", "SCMP_ACT_ALLOW"}, {"syscalls", rules}});
    EXPECT_EQ(error.rfind("linux.seccomp: the filter has ", 0), 0u) << error;
    EXPECT_NE(error.find("more than the kernel's 4096"), std::string::npos) << error;
}

TEST(SeccompFilter, PseudoSyscallsOfOtherArchitectures) {
    // socketcall exists on i386 only: on x86_64 alone it is a no-op, with x86 a real rule.
    const SeccompProgram program = compile(
        {{"defaultAction", "SCMP_ACT_ALLOW"},
         {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}},
         {"syscalls", {{{"names", {"socketcall"}}, {"action", "SCMP_ACT_ERRNO"}}}}});
    EXPECT_EQ(decide(program, 102, {}, AUDIT_ARCH_I386), kErrno(EPERM));
    EXPECT_EQ(decide(program, 102, {}, AUDIT_ARCH_X86_64), SECCOMP_RET_ALLOW);  // getuid
}

TEST(SeccompFilter, LoadsInAChild) {
    // The one kernel test here: a forked child loads a small filter and reports what a denied
    // and an ENOSYS'd syscall return. The parent's filters are untouched.
    json profile = kStrict;
    profile["syscalls"].push_back({{"names", {"exit_group", "exit"}}, {"action", "SCMP_ACT_ALLOW"}});
    const SeccompProgram program = compile(profile);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        // exit_group directly: the sanitizers' _exit hook (a leak check) needs syscalls the
        // filter refuses.
        const auto leave = [](long code) { ::syscall(SYS_exit_group, code); };
        try {
            (void)load_seccomp(program);
        } catch (...) {
            leave(10);
        }
        const long mkdir_rc = ::syscall(SYS_mkdir, "/nonexistent-hako-test", 0700);
        const int mkdir_errno = errno;
        const long clone3_rc = ::syscall(SYS_clone3, nullptr, 0);
        const int clone3_errno = errno;
        leave(mkdir_rc == -1 && mkdir_errno == EACCES && clone3_rc == -1 && clone3_errno == ENOSYS
                  ? 0
                  : 20);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status)) << status;
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
