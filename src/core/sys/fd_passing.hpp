#pragma once
// One message with at most one fd attached (SCM_RIGHTS) over a unix socket: the sync channel
// between hako and the init, runc's --console-socket protocol and the seccomp agent hand-off
// all use this framing.
#include <sys/types.h>

#include <cstddef>
#include <string_view>

#include "sys/unique_fd.hpp"

namespace hako::sys {

// sendmsg of bytes with fd attached (none when fd < 0), MSG_NOSIGNAL, EINTR retried.
// Returns the bytes sent, or -1 with errno.
ssize_t send_with_fd(int socket, std::string_view bytes, int fd) noexcept;

// recvmsg into buffer with MSG_CMSG_CLOEXEC (plus flags, e.g. MSG_TRUNC), EINTR retried. An
// attached fd ends up in received. Returns the bytes received, or -1 with errno.
ssize_t receive_with_fd(int socket, char* buffer, std::size_t size, UniqueFd& received,
                        int flags = 0) noexcept;

}  // namespace hako::sys
