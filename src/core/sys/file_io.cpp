#include "sys/file_io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace hako::sys {

namespace {

std::string read_to_end(int fd, const std::string& path, bool short_read_is_end) {
    std::string content;
    std::array<char, 16384> buffer{};
    for (;;) {
        const ssize_t n = ::read(fd, buffer.data(), buffer.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_sys_error("read", path);
        }
        content.append(buffer.data(), static_cast<std::size_t>(n));
        if (n == 0 || (short_read_is_end && static_cast<std::size_t>(n) < buffer.size()))
            return content;
    }
}

}  // namespace

std::string read_all(int fd, const std::string& path) { return read_to_end(fd, path, false); }

std::string read_regular_file(int fd, const std::string& path) {
    return read_to_end(fd, path, true);
}

std::string read_file(const std::string& path) {
    const UniqueFd fd(check_sys(::open(path.c_str(), O_RDONLY | O_CLOEXEC), "open", path));
    return read_all(fd.get(), path);
}

bool write_all(int fd, std::string_view data) noexcept {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return false;
        if (n == 0) {
            errno = EIO;
            return false;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

}  // namespace hako::sys
