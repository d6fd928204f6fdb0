#include "cgroups/layout.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <set>

#include "cgroups/cgroup_fs.hpp"
#include "sys/error.hpp"
#include "sys/mountinfo.hpp"
#include "sys/text.hpp"

namespace hako::cgroups {

namespace {

// v1 controllers as they appear in the super options; everything else there (rw, xattr,
// nsdelegate, clone_children, release_agent=...) is a mount option, not a controller.
constexpr std::array<std::string_view, 15> kV1Controllers = {
    "cpu",   "cpuacct",    "cpuset", "memory",  "devices", "freezer", "net_cls", "net_prio",
    "blkio", "perf_event", "pids",   "hugetlb", "rdma",    "misc",    "debug"};

bool is_controller_option(std::string_view option) {
    return option.starts_with("name=") ||
           std::find(kV1Controllers.begin(), kV1Controllers.end(), option) != kV1Controllers.end();
}

}  // namespace

std::string_view layout_name(LayoutKind kind) {
    switch (kind) {
        case LayoutKind::v1:
            return "v1";
        case LayoutKind::hybrid:
            return "hybrid";
        case LayoutKind::v2:
            return "v2";
    }
    return "unknown";
}

const Hierarchy* Layout::unified() const {
    for (const Hierarchy& hierarchy : hierarchies) {
        if (hierarchy.unified) return &hierarchy;
    }
    return nullptr;
}

const Hierarchy* Layout::find_v1(std::string_view controller) const {
    for (const Hierarchy& hierarchy : hierarchies) {
        if (hierarchy.unified) continue;
        const auto& list = hierarchy.controllers;
        if (std::find(list.begin(), list.end(), controller) != list.end()) return &hierarchy;
    }
    return nullptr;
}

Layout parse_layout(std::string_view mountinfo, bool read_controllers) {
    std::vector<Hierarchy> hierarchies;  // v1 ones, in mountinfo order
    std::set<std::string> seen_devices;  // one hierarchy may be mounted more than once
    std::optional<Hierarchy> unified;
    for (const auto& entry : sys::parse_mountinfo(mountinfo)) {
        if (entry.fs_type != "cgroup" && entry.fs_type != "cgroup2") continue;
        // A root other than "/" is a bind mount of a sub-cgroup, not the hierarchy itself.
        if (entry.root != "/") continue;
        if (!seen_devices.insert(entry.device).second) continue;

        Hierarchy hierarchy;
        hierarchy.mount_point = entry.mount_point;
        if (entry.fs_type == "cgroup2") {
            hierarchy.unified = true;
            if (read_controllers) {
                try {
                    hierarchy.controllers = detail::split_words(
                        detail::read_file(hierarchy.mount_point + "/cgroup.controllers"));
                } catch (const Error&) {
                    // An unreadable list only means no controllers can be enabled.
                }
            }
            if (!unified) unified = std::move(hierarchy);
            continue;
        }
        for (std::string_view option : sys::split(entry.super_options, ',')) {
            if (is_controller_option(option)) hierarchy.controllers.emplace_back(option);
        }
        if (!hierarchy.controllers.empty()) hierarchies.push_back(std::move(hierarchy));
    }
    if (unified) hierarchies.push_back(std::move(*unified));
    return layout_of(std::move(hierarchies));
}

Layout layout_of(std::vector<Hierarchy> hierarchies) {
    Layout layout;
    layout.hierarchies = std::move(hierarchies);
    const bool has_unified = layout.unified() != nullptr;
    const bool has_v1 = std::any_of(layout.hierarchies.begin(), layout.hierarchies.end(),
                                    [](const Hierarchy& h) { return !h.unified; });
    layout.kind = !has_v1 ? LayoutKind::v2 : has_unified ? LayoutKind::hybrid : LayoutKind::v1;
    return layout;
}

Layout detect_layout() {
    return parse_layout(detail::read_file("/proc/self/mountinfo"));
}

std::string own_cgroup_path(std::string_view proc_self_cgroup, const Hierarchy& hierarchy) {
    std::set<std::string_view> wanted(hierarchy.controllers.begin(), hierarchy.controllers.end());
    for (std::string_view line : sys::split(proc_self_cgroup, '\n')) {
        // id:controllers:path, where the path itself may contain ':'.
        std::size_t first = line.find(':');
        if (first == std::string_view::npos) continue;
        std::size_t second = line.find(':', first + 1);
        if (second == std::string_view::npos) continue;
        std::string_view id = line.substr(0, first);
        std::string_view controllers = line.substr(first + 1, second - first - 1);
        std::string_view path = line.substr(second + 1);
        bool match = false;
        if (hierarchy.unified) {
            match = id == "0" && controllers.empty();
        } else if (id != "0" && !controllers.empty()) {
            std::vector<std::string_view> listed = sys::split(controllers, ',');
            match = std::set<std::string_view>(listed.begin(), listed.end()) == wanted;
        }
        if (match) return std::string(path);
    }
    fail("/proc/self/cgroup: no entry for the cgroup hierarchy at {}", hierarchy.mount_point);
}

}  // namespace hako::cgroups
