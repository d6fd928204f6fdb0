#pragma once
// hako in the foreground of a container process (`run` without -d, `exec` without -d): it
// forwards the signals it receives to the process, relays a pty when the process has one and
// no --console-socket took it (as runc does; CRI-O's interactive exec relies on it), and ends
// with the process's exit status.
#include <signal.h>
#include <sys/types.h>

#include <optional>

#include "spec/spec.hpp"

namespace hako::process {

// Blocks every signal for the object's lifetime, so none is lost between the clone and the
// wait loop; the child unblocks its own right before execve.
class BlockedSignals {
public:
    BlockedSignals();
    ~BlockedSignals();
    BlockedSignals(const BlockedSignals&) = delete;
    BlockedSignals& operator=(const BlockedSignals&) = delete;

private:
    sigset_t previous_{};
};

// Waits until pid (a child of hako) exits and returns its wait status. Every signal hako
// receives is forwarded to pid, except SIGCHLD and, with a pty, SIGWINCH, which copies the
// size of hako's terminal onto the pty. With pty_master >= 0 hako's stdin goes to the pty and
// the pty's output to hako's stdout; when stdin is a terminal it is in raw mode meanwhile and
// restored afterwards. The pty's remaining output is drained after the exit. Call with every
// signal blocked (BlockedSignals).
int supervise_foreground(pid_t pid, int pty_master);

// The size of hako's terminal (stdin), for a pty hako is about to relay: applied before the
// process runs, so it never starts with a 0x0 terminal. nullopt when stdin is no terminal.
std::optional<spec::ConsoleSize> caller_terminal_size();

// A wait status as a shell exit code: the exit status, or 128+signal when killed.
int exit_code(int wait_status);

}  // namespace hako::process
