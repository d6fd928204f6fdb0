#pragma once
// What the layout drivers (v1, v2, hybrid) share: the container's directories, and killing
// and removing what is in them. Private to src/core/cgroups.
#include <string>
#include <vector>

#include "cgroups/manager.hpp"
#include "cgroups/resource_writers.hpp"

namespace hako::cgroups::detail {

// The container's directory in one hierarchy: hierarchy.mount_point + rel.
struct HierarchyDir {
    Hierarchy hierarchy;
    std::string rel;  // "/a/b", never "/" (the root cgroup is the host's)

    [[nodiscard]] std::string dir() const { return hierarchy.mount_point + rel; }
};

class Driver : public Manager {
  public:
    [[nodiscard]] std::vector<pid_t> pids() const override;
    void signal_all(int signal) override;
    void destroy() override;
    // Writes through apply_resources (resources_apply.cpp) into resource_targets().
    std::vector<std::string> apply(const Resources& resources, const ApplyOptions& options) override;

    // Where each controller's directory is, for apply().
    [[nodiscard]] virtual ResourceTargets resource_targets() const = 0;

    // The container's directory in every hierarchy this driver covers.
    [[nodiscard]] virtual std::vector<std::string> dirs() const = 0;

    // Lets SIGKILL land (v1: thaws the freezer) and kills what the kernel can kill at once
    // (v2: cgroup.kill). The SIGKILL loop in destroy() does the rest.
    virtual void prepare_kill() = 0;

    // Removes what the last successful create() made, for a composite driver whose later
    // part failed.
    virtual void undo_create() noexcept = 0;
};

}  // namespace hako::cgroups::detail
