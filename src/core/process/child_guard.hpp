#pragma once
// Kills (SIGKILL through its pidfd, else by pid) and reaps a child of ours unless released:
// the half-made init of a failed create, or the exec child of a failed exec.
#include <sys/types.h>
#include <sys/wait.h>

#include <cerrno>
#include <csignal>

#include "sys/syscalls.hpp"

namespace hako::process {

class ChildGuard {
public:
    ChildGuard(pid_t pid, int pidfd) : pid_(pid), pidfd_(pidfd) {}
    ~ChildGuard() {
        if (pid_ <= 0) return;
        if (sys::pidfd_send_signal(pidfd_, SIGKILL) < 0) ::kill(pid_, SIGKILL);
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
    }
    ChildGuard(const ChildGuard&) = delete;
    ChildGuard& operator=(const ChildGuard&) = delete;
    // The child is launched: it is someone else's to end now.
    void release() { pid_ = 0; }

private:
    pid_t pid_;
    int pidfd_;
};

}  // namespace hako::process
