#pragma once
// Which host file descriptors may reach the container (CVE-2024-21626: a leaked directory fd
// let process.cwd climb out to the host). The init closes everything but stdio, the
// --preserve-fds range and its own channels as its first act, and marks the rest
// close-on-exec again right before execve.
#include <vector>

namespace hako::process {

// Closes every fd >= 3 except those in keep (close_range over the gaps).
void close_fds_except(std::vector<int> keep);

// Right before execve: fds 3 .. 3+preserve_fds-1 are inherited (CLOEXEC cleared), every fd
// above them is close-on-exec.
void prepare_fds_for_exec(int preserve_fds);

}  // namespace hako::process
