#pragma once
// What a compiled seccomp program decides for one system call, found by running it the way
// the kernel does (classic BPF over struct seccomp_data) but in hako's memory: loading a
// filter cannot be undone. Used to learn, before the clone, whether a container's profile
// lets the exec trampoline's calls through (security/exec_trampoline.hpp), and by the unit
// tests of the filters.
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <vector>

namespace hako::security {

seccomp_data make_seccomp_data(std::uint32_t arch, int nr,
                               std::initializer_list<std::uint64_t> args = {});

// The SECCOMP_RET_* value program returns for data, or nullopt for a program that is not
// one the kernel would accept as seccomp's (an instruction seccomp does not allow, a load
// outside seccomp_data, a jump or fall past the end).
std::optional<std::uint32_t> seccomp_decision(const std::vector<sock_filter>& program,
                                              const seccomp_data& data);

}  // namespace hako::security
