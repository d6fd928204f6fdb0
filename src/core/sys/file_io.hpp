#pragma once
// Whole-file reads and writes through fds, EINTR and short transfers handled once.
#include <string>
#include <string_view>

namespace hako::sys {

// Everything left to read from fd; throws hako::Error "read <path>: <errno>".
std::string read_all(int fd, const std::string& path);
// Opens path (O_RDONLY|O_CLOEXEC) and reads it whole; throws naming the step and path.
std::string read_file(const std::string& path);
// Writes all of data; false with errno on failure.
bool write_all(int fd, std::string_view data) noexcept;

}  // namespace hako::sys
