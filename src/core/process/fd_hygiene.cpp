#include "process/fd_hygiene.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <unistd.h>

#include <algorithm>
#include <climits>

#include "sys/error.hpp"

namespace hako::process {

void close_fds_except(std::vector<int> keep) {
    std::sort(keep.begin(), keep.end());
    unsigned first = 3;
    for (int fd : keep) {
        if (fd < 3) continue;
        if (static_cast<unsigned>(fd) > first)
            check_sys(::close_range(first, static_cast<unsigned>(fd) - 1, 0), "close_range");
        first = std::max(first, static_cast<unsigned>(fd) + 1);
    }
    check_sys(::close_range(first, UINT_MAX, 0), "close_range");
}

void prepare_fds_for_exec(int preserve_fds) {
    for (int fd = 3; fd < 3 + preserve_fds; ++fd) {
        const int flags = ::fcntl(fd, F_GETFD);
        if (flags >= 0) ::fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
    }
    check_sys(::close_range(static_cast<unsigned>(3 + preserve_fds), UINT_MAX, CLOSE_RANGE_CLOEXEC),
              "close_range");
}

}  // namespace hako::process
