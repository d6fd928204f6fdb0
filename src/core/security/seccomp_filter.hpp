#pragma once
// From a SeccompProfile to a loaded filter, in two steps so the init can do the slow, fallible
// part early and the load as late as possible:
//
//   compile_seccomp  builds the rules with libseccomp, exports its BPF, prepends the ENOSYS
//                    stub (seccomp_enosys.hpp) and picks the seccomp(2) flags. Every error
//                    names the profile's JSON path. No kernel state changes.
//   load_seccomp     one seccomp(SECCOMP_SET_MODE_FILTER) call; it needs no_new_privs or
//                    CAP_SYS_ADMIN, and returns the listener fd when the profile notifies.
#include <linux/filter.h>

#include <cstdint>
#include <vector>

#include "security/seccomp_profile.hpp"
#include "sys/unique_fd.hpp"

namespace hako::security {

struct SeccompProgram {
    std::vector<sock_filter> instructions;  // the ENOSYS stub, then libseccomp's filter
    std::size_t stub_length = 0;            // how many of them are the stub
    unsigned flags = 0;                     // SECCOMP_FILTER_FLAG_* for seccomp(2)

    // True when loading returns a SCMP_ACT_NOTIFY listener fd.
    [[nodiscard]] bool has_listener() const;
};

SeccompProgram compile_seccomp(const SeccompProfile& profile);

// Loads the program into the calling thread's seccomp filters. Returns the listener fd when
// the program has one (else an empty UniqueFd). Allocation-free on success.
sys::UniqueFd load_seccomp(const SeccompProgram& program);

// Whether hako can honour a flag on this kernel (libseccomp's API level reflects the kernel's
// support): `hako features` lists these as supportedFlags.
bool seccomp_flag_supported(SeccompFlag flag);

}  // namespace hako::security
