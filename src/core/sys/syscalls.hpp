#pragma once
// Thin wrappers for the system calls glibc 2.36 does not wrap (clone3, openat2, pivot_root).
// The new mount API (open_tree, move_mount, fsopen, fsconfig, fsmount, mount_setattr) and
// close_range come from glibc itself (<sys/mount.h>, <unistd.h>); glibc 2.36's <sys/pidfd.h>
// lacks C++ linkage guards, so the pidfd calls are wrapped here too.
#include <sys/types.h>

#include <cstdint>

namespace hako::sys {

// Mirrors struct clone_args of <linux/sched.h> (kept here: that header clashes with <sched.h>).
struct CloneArgs {
    std::uint64_t flags = 0;
    std::uint64_t pidfd = 0;
    std::uint64_t child_tid = 0;
    std::uint64_t parent_tid = 0;
    std::uint64_t exit_signal = 0;
    std::uint64_t stack = 0;
    std::uint64_t stack_size = 0;
    std::uint64_t tls = 0;
    std::uint64_t set_tid = 0;
    std::uint64_t set_tid_size = 0;
    std::uint64_t cgroup = 0;
};

inline constexpr std::uint64_t kCloneIntoCgroup = 0x200000000ULL;  // CLONE_INTO_CGROUP
inline constexpr std::uint64_t kCloneNewTime = 0x00000080ULL;      // CLONE_NEWTIME

// fork-like clone3: returns 0 in the child, the child's pid in the parent, -1 with errno.
pid_t clone3(CloneArgs& args) noexcept;

// openat2(2) with struct open_how; -1 with errno (ENOSYS on kernels before 5.6).
int openat2(int dirfd, const char* path, std::uint64_t flags, std::uint64_t mode,
            std::uint64_t resolve) noexcept;

int pivot_root(const char* new_root, const char* put_old) noexcept;

int pidfd_open(pid_t pid, unsigned flags) noexcept;
int pidfd_send_signal(int pidfd, int signal) noexcept;

}  // namespace hako::sys
