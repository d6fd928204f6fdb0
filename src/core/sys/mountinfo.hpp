#pragma once
// /proc/PID/mountinfo, parsed once for every module that reads it (cgroup layout detection,
// the rootfs's parent mount).
#include <string>
#include <string_view>
#include <vector>

namespace hako::sys {

struct MountInfoEntry {
    std::string id;
    std::string parent_id;
    std::string device;       // "major:minor"
    std::string root;         // unescaped
    std::string mount_point;  // unescaped
    std::string options;      // per-mount options, e.g. "rw,nosuid"
    std::vector<std::string> optional_fields;  // "shared:1", "master:2", ...
    std::string fs_type;
    std::string source;
    std::string super_options;

    [[nodiscard]] bool is_shared() const;
};

// Lines that do not have the mountinfo shape are skipped.
std::vector<MountInfoEntry> parse_mountinfo(std::string_view text);
std::vector<MountInfoEntry> read_mountinfo(const std::string& path = "/proc/self/mountinfo");

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_mountinfo(std::string_view text);

}  // namespace hako::sys
