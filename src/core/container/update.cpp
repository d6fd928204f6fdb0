// `hako update`: new resource limits for a container that already exists.
#include "cgroups/manager.hpp"
#include "container/lifecycle.hpp"
#include "sys/error.hpp"

namespace hako::container {

std::vector<std::string> update(state::StateStore& store, const std::string& id,
                                const cgroups::Resources& changes, const std::string& where) {
    state::ContainerDir dir = store.open(id);
    state::ContainerState state = dir.load();
    switch (dir.current_status(state)) {
        case state::Status::stopped: fail("container not running");
        case state::Status::creating: fail("cannot update a container that is still being created");
        default: break;
    }
    if (state.cgroup_paths.empty()) fail("container {} has no cgroups to update", id);

    // The values in force, so settings that depend on each other (memory and swap, quota and
    // period) are written as a whole, as runc merges into its saved config.
    const cgroups::Resources current =
        cgroups::parse_resources(state.resources_json, "state.json hako.resources");
    const cgroups::Resources merged = cgroups::merge_resources(current, changes);

    const auto manager = state::cgroup_manager(state);
    cgroups::ApplyOptions options;
    options.where = where;
    options.update = true;
    std::vector<std::string> warnings;
    try {
        warnings = manager->apply(merged, options);
    } catch (...) {
        // As runc: write the previous values back, so a half-applied update does not stay.
        try {
            (void)manager->apply(current, options);
        } catch (...) {
        }
        throw;
    }
    state.resources_json = cgroups::resources_to_json(merged);
    dir.save(state);
    return warnings;
}

}  // namespace hako::container
