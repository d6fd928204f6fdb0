#pragma once
// The typed model of the spec's linux.seccomp, parsed from spec::Linux::seccomp_json. The
// parser only validates (errors name the JSON path, e.g.
// `linux.seccomp.syscalls[2].action: unknown action "SCMP_ACT_FOO"`); turning the profile
// into BPF is seccomp_filter.hpp's job, so the parser needs no kernel and can be fuzzed.
#include <seccomp.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hako::security {

enum class SeccompAction { kill_thread, kill_process, trap, errno_code, trace, allow, log, notify };

enum class SeccompOperator { not_equal, less, less_equal, equal, greater_equal, greater, masked_equal };

enum class SeccompFlag { tsync, log, spec_allow, wait_killable_recv };

template <typename T>
struct SeccompName {
    std::string_view name;
    T value;
};

// The spec's spellings, sorted by name (the order `hako features` lists them in).
inline constexpr auto kSeccompActions = std::to_array<SeccompName<SeccompAction>>({
    {"SCMP_ACT_ALLOW", SeccompAction::allow},
    {"SCMP_ACT_ERRNO", SeccompAction::errno_code},
    {"SCMP_ACT_KILL", SeccompAction::kill_thread},  // libseccomp's alias of KILL_THREAD
    {"SCMP_ACT_KILL_PROCESS", SeccompAction::kill_process},
    {"SCMP_ACT_KILL_THREAD", SeccompAction::kill_thread},
    {"SCMP_ACT_LOG", SeccompAction::log},
    {"SCMP_ACT_NOTIFY", SeccompAction::notify},
    {"SCMP_ACT_TRACE", SeccompAction::trace},
    {"SCMP_ACT_TRAP", SeccompAction::trap},
});

inline constexpr auto kSeccompOperators = std::to_array<SeccompName<SeccompOperator>>({
    {"SCMP_CMP_EQ", SeccompOperator::equal},
    {"SCMP_CMP_GE", SeccompOperator::greater_equal},
    {"SCMP_CMP_GT", SeccompOperator::greater},
    {"SCMP_CMP_LE", SeccompOperator::less_equal},
    {"SCMP_CMP_LT", SeccompOperator::less},
    {"SCMP_CMP_MASKED_EQ", SeccompOperator::masked_equal},
    {"SCMP_CMP_NE", SeccompOperator::not_equal},
});

// Every flag the spec defines (plus TSYNC, which runc accepts too). Whether hako can apply one
// is seccomp_filter.hpp's seccomp_flag_supported().
inline constexpr auto kSeccompFlags = std::to_array<SeccompName<SeccompFlag>>({
    {"SECCOMP_FILTER_FLAG_TSYNC", SeccompFlag::tsync},
    {"SECCOMP_FILTER_FLAG_LOG", SeccompFlag::log},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SeccompFlag::spec_allow},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SeccompFlag::wait_killable_recv},
});

// The architectures libseccomp 2.5.4 can generate code for, as the spec spells them, with
// libseccomp's token for each.
inline constexpr auto kSeccompArchitectures = std::to_array<SeccompName<std::uint32_t>>({
    {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
    {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
    {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
    {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
    {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
    {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
    {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
    {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
    {"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},
    {"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
    {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
    {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
    {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
    {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
    {"SCMP_ARCH_S390", SCMP_ARCH_S390},
    {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
    {"SCMP_ARCH_X32", SCMP_ARCH_X32},
    {"SCMP_ARCH_X86", SCMP_ARCH_X86},
    {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
});

// Linux system calls take at most six arguments.
inline constexpr unsigned kSeccompMaxArguments = 6;

struct SeccompArg {
    unsigned index = 0;
    std::uint64_t value = 0;
    std::uint64_t value_two = 0;  // SCMP_CMP_MASKED_EQ: value is the mask, valueTwo the datum
    SeccompOperator op = SeccompOperator::equal;
};

struct SeccompRule {
    std::vector<std::string> names;
    SeccompAction action = SeccompAction::allow;
    std::optional<std::uint32_t> errno_ret;  // ERRNO and TRACE only; EPERM when absent
    std::vector<SeccompArg> args;
};

struct SeccompProfile {
    SeccompAction default_action = SeccompAction::allow;
    std::optional<std::uint32_t> default_errno_ret;
    std::vector<std::uint32_t> architectures;  // SCMP_ARCH_* tokens, each once, in spec order
    std::vector<SeccompFlag> flags;            // each once, in spec order
    std::string listener_path;
    std::string listener_metadata;
    std::vector<SeccompRule> syscalls;  // index i is linux.seccomp.syscalls[i]

    [[nodiscard]] bool uses_notify() const;
    [[nodiscard]] bool has_flag(SeccompFlag flag) const;
};

// Parses the text of linux.seccomp (a JSON object). Throws hako::Error naming the JSON path of
// what it rejects. Syscall names are not checked here: names this libseccomp does not know
// are skipped when the filter is built, as runc does.
SeccompProfile parse_seccomp_profile(std::string_view json_text);

// The spec's spelling of an action or flag ("SCMP_ACT_KILL_THREAD" for kill_thread).
std::string_view seccomp_action_name(SeccompAction action);
std::string_view seccomp_flag_name(SeccompFlag flag);

}  // namespace hako::security
