#pragma once
// Which cgroup hierarchies this host mounts, read from /proc/self/mountinfo.
#include <string>
#include <string_view>
#include <vector>

namespace hako::cgroups {

enum class LayoutKind { v1, hybrid, v2 };
std::string_view layout_name(LayoutKind kind);

struct Hierarchy {
    std::string mount_point;               // e.g. /sys/fs/cgroup/memory
    std::vector<std::string> controllers;  // v1: from the super options ("cpu", "name=systemd");
                                           // v2: from cgroup.controllers
    bool unified = false;                  // cgroup2
};

struct Layout {
    LayoutKind kind = LayoutKind::v2;
    std::vector<Hierarchy> hierarchies;  // v1 ones in mountinfo order, the unified one last

    [[nodiscard]] const Hierarchy* unified() const;
    [[nodiscard]] const Hierarchy* find_v1(std::string_view controller) const;
};

// The layout these hierarchies make (v1 ones first, the unified one last), its kind
// derived from which of them there are.
Layout layout_of(std::vector<Hierarchy> hierarchies);

// Parses mountinfo text (the format of /proc/self/mountinfo). Only "cgroup" and "cgroup2"
// entries count; for each v1 mount the controllers come from the super options. For the
// cgroup2 mount, controllers are read from <mount>/cgroup.controllers when read_controllers.
Layout parse_layout(std::string_view mountinfo, bool read_controllers = true);

// The layout of this host (cached per process is not needed: commands are short-lived).
Layout detect_layout();

// The path of the calling process's cgroup in one hierarchy, from /proc/self/cgroup text:
// v1 hierarchies are matched by controller list, the unified one by the "0::" line.
std::string own_cgroup_path(std::string_view proc_self_cgroup, const Hierarchy& hierarchy);

}  // namespace hako::cgroups
