#include <signal.h>
#include <sys/wait.h>

#include "container/lifecycle.hpp"
#include "sys/error.hpp"

namespace hako::container {
namespace {

// Blocks every signal for the life of the object, so none is lost between clone and the wait
// loop; the init unblocks its own before execve.
class BlockedSignals {
public:
    BlockedSignals() {
        sigset_t all;
        sigfillset(&all);
        ::sigprocmask(SIG_SETMASK, &all, &previous_);
    }
    ~BlockedSignals() { ::sigprocmask(SIG_SETMASK, &previous_, nullptr); }
    BlockedSignals(const BlockedSignals&) = delete;
    BlockedSignals& operator=(const BlockedSignals&) = delete;

private:
    sigset_t previous_{};
};

int exit_code(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 255;
}

// Forwards every signal hako receives to the init until it exits; returns its wait status.
int supervise(pid_t pid) {
    sigset_t all;
    sigfillset(&all);
    for (;;) {
        siginfo_t info{};
        const int signal = ::sigwaitinfo(&all, &info);
        if (signal < 0) {
            if (errno == EINTR) continue;
            throw_sys_error("sigwaitinfo");
        }
        if (signal == SIGCHLD) {
            int status = 0;
            const pid_t reaped = ::waitpid(pid, &status, WNOHANG);
            if (reaped == pid) return status;
            continue;
        }
        ::kill(pid, signal);
    }
}

}  // namespace

int run(state::StateStore& store, const CreateOptions& options, bool detach) {
    if (detach) {
        create(store, options);
        start(store, options.id);
        return 0;
    }
    const BlockedSignals blocked;
    const Created created = create(store, options);
    try {
        start(store, options.id);
    } catch (...) {
        try {
            remove(store, options.id, true);
        } catch (...) {
        }
        throw;
    }
    const int status = supervise(created.pid);
    remove(store, options.id, true);
    return exit_code(status);
}

}  // namespace hako::container
