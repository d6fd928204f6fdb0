#pragma once
// Whole-file reads and writes through fds, EINTR and short transfers handled once.
#include <string>
#include <string_view>

namespace hako::sys {

// Everything left to read from fd; throws hako::Error "read <path>: <errno>".
std::string read_all(int fd, const std::string& path);
// read_all for a regular file: a read shorter than asked means its end, which spares the
// final empty read (a state.json per container in `list`). Not for pipes or kernel files.
std::string read_regular_file(int fd, const std::string& path);
// Opens path (O_RDONLY|O_CLOEXEC) and reads it whole; throws naming the step and path.
std::string read_file(const std::string& path);
// Writes all of data; false with errno on failure.
bool write_all(int fd, std::string_view data) noexcept;

}  // namespace hako::sys
