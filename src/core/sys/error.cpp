#include "sys/error.hpp"

#include <cstring>

namespace hako {

void throw_sys_error(std::string_view step, std::string_view path, int err) {
    std::string message(step);
    if (!path.empty()) {
        message += ' ';
        message += path;
    }
    message += ": ";
    message += std::strerror(err);
    throw Error(message, err);
}

}  // namespace hako
