#include "state/container_id.hpp"

#include <fmt/format.h>

#include <string>

#include "sys/error.hpp"

namespace hako::state {
namespace {

constexpr std::size_t kMaxIdLength = 1024;

bool allowed_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == '+' || c == '-';
}

// The id is user input and ends up in a one-line message: control bytes and quotes are
// escaped so the message stays on one line and unambiguous.
std::string quoted(std::string_view id) {
    std::string out = "\"";
    for (const char c : id) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (byte < 0x20 || byte == 0x7f) {
            out += fmt::format("\\x{:02x}", byte);
        } else {
            out += c;
        }
    }
    out += '"';
    return out;
}

}  // namespace

void validate_container_id(std::string_view id) {
    if (id.empty()) fail("container id must not be empty");
    if (id.size() > kMaxIdLength) {
        // The id itself is not printed: a kilobyte of it would drown the message.
        fail("invalid container id: {} bytes long, at most {} allowed", id.size(), kMaxIdLength);
    }
    if (id == "." || id == "..") fail("invalid container id {}: must not be \".\" or \"..\"", quoted(id));
    for (const char c : id) {
        if (!allowed_char(c)) fail("invalid container id {}: only [A-Za-z0-9_.+-] allowed", quoted(id));
    }
}

}  // namespace hako::state
