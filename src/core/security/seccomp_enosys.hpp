#pragma once
// The -ENOSYS stub, runc's idea (libcontainer/seccomp/patchbpf/enosys_linux.go): a profile
// written for an older kernel must not turn the syscalls it has never heard of into EPERM or
// a kill, or libc cannot fall back (clone3 -> clone, faccessat2 -> faccessat, ...). For each
// architecture the stub finds the highest syscall number the profile names and answers ENOSYS
// above it; everything else falls through to libseccomp's filter, which follows the stub.
//
//   ld  [4]                    seccomp_data.arch
//   jeq AUDIT_ARCH_a, sec_a    one per architecture the filter covers
//   ja  filter                 other architectures: libseccomp's bad-arch action
//   sec_a: ld [0]              seccomp_data.nr
//          jgt last_a, enosys, filter
//          (x86_64: bit 30 selects the x32 bound; s390: nr 0 is the multiplexer, ENOSYS)
//   enosys: ret ERRNO(ENOSYS)
//   filter: ... libseccomp's program ...
#include <linux/filter.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "security/seccomp_profile.hpp"

namespace hako::security {

struct ArchCutoff {
    std::uint32_t audit_arch = 0;  // the AUDIT_ARCH_* the kernel puts in seccomp_data.arch
    std::optional<std::uint32_t> last;  // highest syscall number the profile names
    // AUDIT_ARCH_X86_64 only: the highest x32 number (those carry bit 30; x32 and x86_64
    // share the audit arch).
    std::optional<std::uint32_t> last_x32;
};

// False when the default action lets unknown syscalls run anyway (allow, log, and trace: a
// tracer handles new syscalls itself) or already answers ENOSYS; runc's rule.
bool needs_enosys_stub(const SeccompProfile& profile);

// Per audit arch, the highest syscall number named by any rule (whatever its action), for the
// native architecture (libseccomp's token) and every one the profile lists. Names an
// architecture does not have are ignored; an architecture with none gets no cut-off.
std::vector<ArchCutoff> find_syscall_cutoffs(const SeccompProfile& profile,
                                             std::uint32_t native_arch);

// The stub's instructions, meant to be followed directly by the filter. Empty when there is
// no cut-off.
std::vector<sock_filter> make_enosys_stub(const std::vector<ArchCutoff>& cutoffs);

}  // namespace hako::security
