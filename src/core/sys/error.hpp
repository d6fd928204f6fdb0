#pragma once
// hako's one error type. Every failure carries the step that failed, the path or object it
// concerned and the errno, so the CLI can print exactly one line that names all three.
#include <fmt/format.h>

#include <cerrno>
#include <stdexcept>
#include <string>
#include <string_view>

namespace hako {

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message, int errno_value = 0)
        : std::runtime_error(message), errno_(errno_value) {}
    [[nodiscard]] int errno_value() const noexcept { return errno_; }

private:
    int errno_;
};

// Builds "step path: strerror(err)" (path omitted when empty) and throws it.
[[noreturn]] void throw_sys_error(std::string_view step, std::string_view path, int err);
[[noreturn]] inline void throw_sys_error(std::string_view step, std::string_view path = {}) {
    throw_sys_error(step, path, errno);
}

// Throws a plain error with a formatted message (no errno).
template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
    throw Error(fmt::format(format, std::forward<Args>(args)...));
}

// Returns rc unchanged, or throws "step path: strerror(errno)" when rc < 0.
template <typename T>
T check_sys(T rc, std::string_view step, std::string_view path = {}) {
    if (rc < 0) throw_sys_error(step, path, errno);
    return rc;
}

}  // namespace hako
