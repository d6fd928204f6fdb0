#include "sys/mountinfo.hpp"

#include <algorithm>

#include "sys/error.hpp"
#include "sys/file_io.hpp"
#include "sys/text.hpp"

namespace hako::sys {

bool MountInfoEntry::is_shared() const {
    return std::any_of(optional_fields.begin(), optional_fields.end(),
                       [](const std::string& field) { return field.rfind("shared:", 0) == 0; });
}

std::string unescape_mountinfo(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 3 < text.size()) {
            const std::string_view digits = text.substr(i + 1, 3);
            if (std::all_of(digits.begin(), digits.end(),
                            [](char c) { return c >= '0' && c <= '7'; })) {
                out += static_cast<char>(((digits[0] - '0') << 6) | ((digits[1] - '0') << 3) |
                                         (digits[2] - '0'));
                i += 3;
                continue;
            }
        }
        out += text[i];
    }
    return out;
}

// Plain string_view splitting: an istringstream per line costs hako's cold start the whole
// locale machinery of iostreams, and this runs on every create.
std::vector<MountInfoEntry> parse_mountinfo(std::string_view text) {
    std::vector<MountInfoEntry> entries;
    for (std::string_view line : split(text, '\n')) {
        // id parent major:minor root mount_point options [optional...] - fstype source super
        const std::vector<std::string_view> fields = words(line);
        const auto separator = std::find(fields.begin() + std::min<std::size_t>(fields.size(), 6),
                                         fields.end(), "-");
        if (fields.size() < 6 || fields.end() - separator < 4) continue;
        MountInfoEntry entry;
        entry.id = fields[0];
        entry.parent_id = fields[1];
        entry.device = fields[2];
        entry.root = unescape_mountinfo(fields[3]);
        entry.mount_point = unescape_mountinfo(fields[4]);
        entry.options = fields[5];
        entry.optional_fields.assign(fields.begin() + 6, separator);
        entry.fs_type = separator[1];
        entry.source = separator[2];
        entry.super_options = separator[3];
        entries.push_back(std::move(entry));
    }
    return entries;
}

std::vector<MountInfoEntry> read_mountinfo(const std::string& path) {
    return parse_mountinfo(read_file(path));
}

}  // namespace hako::sys
