// The ENOSYS stub on its own: which cut-off each architecture gets, and what the stub does
// in front of a stand-in filter that allows everything.
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "seccomp_bpf_vm.hpp"
#include "security/seccomp_enosys.hpp"
#include "security/seccomp_profile.hpp"

namespace {

using nlohmann::json;
using namespace hako::security;
using hako::test::make_seccomp_data;
using hako::test::run_bpf;

constexpr std::uint32_t kEnosys = SECCOMP_RET_ERRNO | ENOSYS;
constexpr std::uint32_t kX32Bit = 0x40000000;
// What the stand-in filter after the stub returns: reaching it means "not ENOSYS'd".
constexpr std::uint32_t kFilter = SECCOMP_RET_TRACE | 0x1234;

SeccompProfile profile_with(std::vector<std::string> names,
                            std::vector<std::string> architectures = {}) {
    return parse_seccomp_profile(json{{"defaultAction", "SCMP_ACT_ERRNO"},
                                      {"architectures", architectures},
                                      {"syscalls",
                                       {{{"names", names}, {"action", "SCMP_ACT_ALLOW"}},
                                        {{"names", {"close"}}, {"action", "SCMP_ACT_KILL"}}}}}
                                     .dump());
}

std::vector<sock_filter> with_filter(std::vector<sock_filter> stub) {
    stub.push_back(BPF_STMT(BPF_RET | BPF_K, kFilter));
    return stub;
}

std::uint32_t decide(const std::vector<sock_filter>& program, std::uint32_t arch,
                     std::uint32_t nr) {
    return run_bpf(program, make_seccomp_data(arch, static_cast<int>(nr)));
}

TEST(SeccompEnosys, WhichDefaultsGetTheStub) {
    const auto with_default = [](const char* action, std::optional<int> errno_ret = {}) {
        json profile = {{"defaultAction", action}};
        if (errno_ret) profile["defaultErrnoRet"] = *errno_ret;
        return needs_enosys_stub(parse_seccomp_profile(profile.dump()));
    };
    EXPECT_TRUE(with_default("SCMP_ACT_ERRNO"));
    EXPECT_TRUE(with_default("SCMP_ACT_ERRNO", EPERM));
    EXPECT_FALSE(with_default("SCMP_ACT_ERRNO", ENOSYS));
    EXPECT_TRUE(with_default("SCMP_ACT_KILL"));
    EXPECT_TRUE(with_default("SCMP_ACT_KILL_PROCESS"));
    EXPECT_TRUE(with_default("SCMP_ACT_KILL_THREAD"));
    EXPECT_TRUE(with_default("SCMP_ACT_TRAP"));
    EXPECT_FALSE(with_default("SCMP_ACT_ALLOW"));
    EXPECT_FALSE(with_default("SCMP_ACT_LOG"));
    EXPECT_FALSE(with_default("SCMP_ACT_TRACE"));
}

TEST(SeccompEnosys, CutoffIsTheHighestNamedSyscall) {
    // x86_64: read 0, write 1, close 3 (in a KILL rule: every rule counts), rseq 334.
    auto cutoffs = find_syscall_cutoffs(profile_with({"read", "write", "rseq", "bogus"}),
                                        SCMP_ARCH_X86_64);
    ASSERT_EQ(cutoffs.size(), 1u);
    EXPECT_EQ(cutoffs[0].audit_arch, AUDIT_ARCH_X86_64);
    EXPECT_EQ(cutoffs[0].last, 334u);
    EXPECT_FALSE(cutoffs[0].last_x32);

    cutoffs = find_syscall_cutoffs(profile_with({"read", "clone3"}), SCMP_ARCH_X86_64);
    EXPECT_EQ(cutoffs[0].last, 435u);
    cutoffs = find_syscall_cutoffs(profile_with({"read"}), SCMP_ARCH_X86_64);
    EXPECT_EQ(cutoffs[0].last, 3u);  // close
}

TEST(SeccompEnosys, EveryListedArchitectureHasItsOwnNumbers) {
    const auto cutoffs = find_syscall_cutoffs(
        profile_with({"read", "rseq", "socketcall"},
                     {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64"}),
        SCMP_ARCH_X86_64);
    ASSERT_EQ(cutoffs.size(), 3u);
    // The native architecture first, x86_64 listed again adds nothing.
    EXPECT_EQ(cutoffs[0].audit_arch, AUDIT_ARCH_X86_64);
    EXPECT_EQ(cutoffs[0].last, 334u);  // socketcall does not exist on x86_64
    EXPECT_EQ(cutoffs[0].last_x32, kX32Bit + 334u);
    EXPECT_EQ(cutoffs[1].audit_arch, AUDIT_ARCH_I386);
    EXPECT_EQ(cutoffs[1].last, 386u);  // i386 rseq
    EXPECT_FALSE(cutoffs[1].last_x32);
    EXPECT_EQ(cutoffs[2].audit_arch, AUDIT_ARCH_AARCH64);
    EXPECT_EQ(cutoffs[2].last, 293u);  // aarch64 rseq
}

TEST(SeccompEnosys, NoNamedSyscallNoCutoff) {
    EXPECT_TRUE(find_syscall_cutoffs(parse_seccomp_profile(R"({"defaultAction":"SCMP_ACT_ERRNO"})"),
                                     SCMP_ARCH_X86_64)
                    .empty());
    EXPECT_TRUE(make_enosys_stub({}).empty());
}

TEST(SeccompEnosys, StubForOneArchitecture) {
    const auto program = with_filter(make_enosys_stub({{AUDIT_ARCH_X86_64, 334u, {}}}));
    EXPECT_EQ(decide(program, AUDIT_ARCH_X86_64, 0), kFilter);
    EXPECT_EQ(decide(program, AUDIT_ARCH_X86_64, 334), kFilter);
    EXPECT_EQ(decide(program, AUDIT_ARCH_X86_64, 335), kEnosys);
    EXPECT_EQ(decide(program, AUDIT_ARCH_X86_64, 435), kEnosys);
    // x32 calls have no bound here: the filter decides (libseccomp kills them as bad arch).
    EXPECT_EQ(decide(program, AUDIT_ARCH_X86_64, kX32Bit + 500), kFilter);
    // Other architectures: the filter.
    EXPECT_EQ(decide(program, AUDIT_ARCH_I386, 1000), kFilter);
}

TEST(SeccompEnosys, StubForX86_64AndX32) {
    const auto program =
        with_filter(make_enosys_stub({{AUDIT_ARCH_X86_64, 334u, kX32Bit + 300u}}));
    EXPECT_EQ(decide(program, AUDIT_ARCH_X86_64, 300), kFilter);
    EXPECT_EQ(decide(program, AUDIT_ARCH_X86_64, 335), kEnosys);
    EXPECT_EQ(decide(program, AUDIT_ARCH_X86_64, kX32Bit + 300), kFilter);
    EXPECT_EQ(decide(program, AUDIT_ARCH_X86_64, kX32Bit + 301), kEnosys);

    const auto x32_only = with_filter(make_enosys_stub({{AUDIT_ARCH_X86_64, {}, kX32Bit + 10u}}));
    EXPECT_EQ(decide(x32_only, AUDIT_ARCH_X86_64, 500), kFilter);
    EXPECT_EQ(decide(x32_only, AUDIT_ARCH_X86_64, kX32Bit + 10), kFilter);
    EXPECT_EQ(decide(x32_only, AUDIT_ARCH_X86_64, kX32Bit + 11), kEnosys);
}

TEST(SeccompEnosys, S390MultiplexerIsEnosys) {
    const auto program = with_filter(make_enosys_stub({{AUDIT_ARCH_S390X, 400u, {}}}));
    EXPECT_EQ(decide(program, AUDIT_ARCH_S390X, 0), kEnosys);
    EXPECT_EQ(decide(program, AUDIT_ARCH_S390X, 1), kFilter);
    EXPECT_EQ(decide(program, AUDIT_ARCH_S390X, 401), kEnosys);
}

TEST(SeccompEnosys, EverySupportedArchitectureAtOnce) {
    // The largest stub hako can make must still keep its conditional jumps within 255.
    std::vector<std::string> architectures;
    for (const auto& arch : kSeccompArchitectures) architectures.emplace_back(arch.name);
    const auto cutoffs = find_syscall_cutoffs(profile_with({"read", "write", "openat"}, architectures),
                                              SCMP_ARCH_X86_64);
    EXPECT_GE(cutoffs.size(), 17u);
    const auto program = with_filter(make_enosys_stub(cutoffs));
    for (const ArchCutoff& cutoff : cutoffs) {
        if (!cutoff.last) continue;
        EXPECT_EQ(decide(program, cutoff.audit_arch, *cutoff.last), kFilter) << cutoff.audit_arch;
        EXPECT_EQ(decide(program, cutoff.audit_arch, *cutoff.last + 1), kEnosys)
            << cutoff.audit_arch;
    }
}

}  // namespace
