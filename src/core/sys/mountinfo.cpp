#include "sys/mountinfo.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "sys/error.hpp"

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

std::vector<MountInfoEntry> parse_mountinfo(std::string_view text) {
    std::vector<MountInfoEntry> entries;
    std::istringstream lines{std::string(text)};
    for (std::string line; std::getline(lines, line);) {
        // id parent major:minor root mount_point options [optional...] - fstype source super
        std::istringstream fields(line);
        MountInfoEntry entry;
        std::string root, mount_point;
        if (!(fields >> entry.id >> entry.parent_id >> entry.device >> root >> mount_point >>
              entry.options))
            continue;
        std::string field;
        bool separator = false;
        while (fields >> field) {
            if (field == "-") {
                separator = true;
                break;
            }
            entry.optional_fields.push_back(field);
        }
        if (!separator || !(fields >> entry.fs_type >> entry.source >> entry.super_options))
            continue;
        entry.root = unescape_mountinfo(root);
        entry.mount_point = unescape_mountinfo(mount_point);
        entries.push_back(std::move(entry));
    }
    return entries;
}

std::vector<MountInfoEntry> read_mountinfo(const std::string& path) {
    std::ifstream file(path);
    if (!file) throw_sys_error("open", path);
    std::stringstream text;
    text << file.rdbuf();
    return parse_mountinfo(text.str());
}

}  // namespace hako::sys
