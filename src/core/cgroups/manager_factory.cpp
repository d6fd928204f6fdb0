// make_manager / load_manager: pick the driver that matches the hierarchies in play.
#include <linux/magic.h>
#include <sys/vfs.h>

#include <algorithm>
#include <optional>

#include "cgroups/cgroup_fs.hpp"
#include "cgroups/hybrid_manager.hpp"
#include "sys/error.hpp"

namespace hako::cgroups {

namespace {

using detail::HierarchyDir;

std::unique_ptr<Manager> assemble(std::vector<HierarchyDir> v1,
                                  std::optional<HierarchyDir> unified) {
    if (!unified) return std::make_unique<detail::V1Manager>(std::move(v1));
    if (v1.empty()) return std::make_unique<detail::V2Manager>(std::move(*unified));
    return std::make_unique<detail::HybridManager>(detail::V1Manager(std::move(v1)),
                                                   detail::V2Manager(std::move(*unified)));
}

bool is_cgroup2_mount(const std::string& mount_point) {
    struct statfs fs {};
    return ::statfs(mount_point.c_str(), &fs) == 0 &&
           fs.f_type == static_cast<decltype(fs.f_type)>(CGROUP2_SUPER_MAGIC);
}

}  // namespace

std::unique_ptr<Manager> make_manager(const Layout& layout, const std::string& cgroups_path,
                                      const std::string& id) {
    if (layout.hierarchies.empty()) {
        fail("no cgroup filesystem is mounted (none in /proc/self/mountinfo)");
    }
    // Validates the syntax before /proc/self/cgroup is consulted, so a bad path is reported
    // as such rather than as a lookup failure.
    (void)resolve_cgroups_path(cgroups_path, id, "/");
    // Only a relative path depends on where hako itself runs, which differs per hierarchy.
    std::optional<std::string> proc_self_cgroup;
    std::vector<HierarchyDir> v1;
    std::optional<HierarchyDir> unified;
    for (const Hierarchy& hierarchy : layout.hierarchies) {
        std::string own = "/";
        if (!cgroups_path.starts_with('/')) {
            if (!proc_self_cgroup) proc_self_cgroup = detail::read_file("/proc/self/cgroup");
            own = own_cgroup_path(*proc_self_cgroup, hierarchy);
        }
        HierarchyDir entry{hierarchy, resolve_cgroups_path(cgroups_path, id, own)};
        if (hierarchy.unified) {
            unified = std::move(entry);
        } else {
            v1.push_back(std::move(entry));
        }
    }
    return assemble(std::move(v1), std::move(unified));
}

std::unique_ptr<Manager> load_manager(const std::map<std::string, std::string>& paths) {
    return load_manager(paths, detect_layout());
}

std::unique_ptr<Manager> load_manager(const std::map<std::string, std::string>& paths,
                                      const Layout& layout) {
    std::vector<HierarchyDir> v1;
    std::optional<HierarchyDir> unified;
    for (const auto& [mount_point, dir] : paths) {
        Hierarchy hierarchy;
        auto known = std::find_if(layout.hierarchies.begin(), layout.hierarchies.end(),
                                  [&](const Hierarchy& h) { return h.mount_point == mount_point; });
        if (known != layout.hierarchies.end()) {
            hierarchy = *known;
        } else {
            // Mounted differently now (or gone): its directory can still be emptied and removed.
            hierarchy.mount_point = mount_point;
            hierarchy.unified = is_cgroup2_mount(mount_point);
        }
        // The stored directory must be a proper descendant: destroy() kills all inside it.
        std::string rel = dir.starts_with(mount_point + "/") ? dir.substr(mount_point.size()) : "";
        if (rel.find_first_not_of('/') == std::string::npos ||
            (rel + "/").find("/../") != std::string::npos) {
            fail("cgroup directory {} is not below its hierarchy {}", dir, mount_point);
        }
        while (rel.size() > 1 && rel.back() == '/') rel.pop_back();
        HierarchyDir entry{std::move(hierarchy), std::move(rel)};
        if (entry.hierarchy.unified) {
            unified = std::move(entry);
        } else {
            v1.push_back(std::move(entry));
        }
    }
    return assemble(std::move(v1), std::move(unified));
}

}  // namespace hako::cgroups
