#pragma once
// The gate between `create` and `start`. `create` binds a listening unix socket "exec.sock"
// in the container's state directory; the init, fully set up, blocks in accept() on it.
// `start` connects and sends one byte; the init execs the user process. The accepted
// connection is close-on-exec, so `start` reads EOF once execve succeeded, or an error text
// when it failed. While the socket file exists the container is "created".
//
// Paths go through /proc/self/fd/<dirfd>/exec.sock so the 108-byte sun_path limit holds
// whatever the length of --root and the id.
#include <string>

#include "sys/unique_fd.hpp"

namespace hako::process {

// Binds and listens on <state dir>/exec.sock (mode 0600). Returns the listening fd.
sys::UniqueFd listen_exec_gate(int state_dir_fd);

// In the init: waits for `start`'s byte and returns the connection, kept open through
// execve (close-on-exec) so a failed exec can report back on it.
sys::UniqueFd await_start(int listen_fd);

// In `start`: connects and sends the start byte; the init goes on to exec. Throws
// "container not running"-style errors when nothing listens. Returns the connection for
// await_exec, so `start` can do its own work while the init execs.
sys::UniqueFd open_exec_gate(int state_dir_fd);

// Waits until the init has exec'd (EOF on the connection), then removes exec.sock. Throws
// with the init's message when exec failed.
void await_exec(int state_dir_fd, sys::UniqueFd connection);

}  // namespace hako::process
