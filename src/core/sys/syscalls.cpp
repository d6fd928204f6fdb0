#include "sys/syscalls.hpp"

#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace hako::sys {

pid_t clone3(CloneArgs& args) noexcept {
    return static_cast<pid_t>(::syscall(SYS_clone3, &args, sizeof(args)));
}

int openat2(int dirfd, const char* path, std::uint64_t flags, std::uint64_t mode,
            std::uint64_t resolve) noexcept {
    open_how how{};
    how.flags = flags;
    how.mode = mode;
    how.resolve = resolve;
    return static_cast<int>(::syscall(SYS_openat2, dirfd, path, &how, sizeof(how)));
}

int pivot_root(const char* new_root, const char* put_old) noexcept {
    return static_cast<int>(::syscall(SYS_pivot_root, new_root, put_old));
}

int pidfd_open(pid_t pid, unsigned flags) noexcept {
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, flags));
}

int pidfd_send_signal(int pidfd, int signal) noexcept {
    return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0));
}

}  // namespace hako::sys
