#pragma once
// The unit tests' view of security/seccomp_decision: what a compiled filter decides for a
// given syscall, without loading it into the (irreversible) kernel. A program seccomp would
// not run fails the test rather than guessing.
#include <gtest/gtest.h>
#include <linux/audit.h>

#include "security/seccomp_decision.hpp"

namespace hako::test {

using hako::security::make_seccomp_data;

// The SECCOMP_RET_* value the program returns for data, or 0xdeadbeef after a test failure.
inline std::uint32_t run_bpf(const std::vector<sock_filter>& program, const seccomp_data& data) {
    const std::optional<std::uint32_t> decision = hako::security::seccomp_decision(program, data);
    if (!decision) {
        ADD_FAILURE() << "not a program seccomp would run";
        return 0xdeadbeef;
    }
    return *decision;
}

}  // namespace hako::test
