#include "sys/mountinfo.hpp"

#include <algorithm>

#include "sys/error.hpp"
#include "sys/file_io.hpp"

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

namespace {

// The next field of line from pos on: fields are separated by blanks (mountinfo escapes any
// blank inside a field as \040 or \011); empty at the end of the line.
std::string_view next_field(std::string_view line, std::size_t& pos) {
    const auto blank = [](char c) { return c == ' ' || c == '\t'; };
    while (pos < line.size() && blank(line[pos])) ++pos;
    const std::size_t start = pos;
    while (pos < line.size() && !blank(line[pos])) ++pos;
    return line.substr(start, pos - start);
}

}  // namespace

// Plain string_view splitting: an istringstream per line costs hako's cold start the whole
// locale machinery of iostreams, and this runs on every create.
std::vector<MountInfoEntry> parse_mountinfo(std::string_view text) {
    std::vector<MountInfoEntry> entries;
    for (std::size_t line_start = 0; line_start < text.size();) {
        std::size_t line_end = text.find('\n', line_start);
        if (line_end == std::string_view::npos) line_end = text.size();
        const std::string_view line = text.substr(line_start, line_end - line_start);
        line_start = line_end + 1;

        // id parent major:minor root mount_point options [optional...] - fstype source super
        std::size_t pos = 0;
        std::string_view fixed[6];
        bool complete = true;
        for (auto& field : fixed) {
            field = next_field(line, pos);
            if (field.empty()) complete = false;
        }
        if (!complete) continue;
        MountInfoEntry entry;
        entry.id = fixed[0];
        entry.parent_id = fixed[1];
        entry.device = fixed[2];
        entry.options = fixed[5];
        bool separator = false;
        for (std::string_view field; !(field = next_field(line, pos)).empty();) {
            if (field == "-") {
                separator = true;
                break;
            }
            entry.optional_fields.emplace_back(field);
        }
        if (!separator) continue;
        const std::string_view fs_type = next_field(line, pos);
        const std::string_view source = next_field(line, pos);
        const std::string_view super_options = next_field(line, pos);
        if (super_options.empty()) continue;
        entry.fs_type = fs_type;
        entry.source = source;
        entry.super_options = super_options;
        entry.root = unescape_mountinfo(fixed[3]);
        entry.mount_point = unescape_mountinfo(fixed[4]);
        entries.push_back(std::move(entry));
    }
    return entries;
}

std::vector<MountInfoEntry> read_mountinfo(const std::string& path) {
    return parse_mountinfo(read_file(path));
}

}  // namespace hako::sys
