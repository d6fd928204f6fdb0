// pause / resume: the cgroup freezer, as runc (the v1 freezer hierarchy on v1 and hybrid
// hosts, cgroup.freeze on cgroup2). The status "paused" is read back from the freezer.
#include "cgroups/manager.hpp"
#include "container/lifecycle.hpp"
#include "sys/error.hpp"

namespace hako::container {
namespace {

std::unique_ptr<cgroups::Manager> manager_of(const state::ContainerState& state) {
    if (state.cgroup_paths.empty()) fail("container {} has no cgroup to freeze", state.id);
    return state::cgroup_manager(state);
}

}  // namespace

void pause(state::StateStore& store, const std::string& id) {
    state::ContainerDir dir = store.open(id);
    state::ContainerState state = dir.load();
    const state::Status status = dir.current_status(state);
    // runc pauses created containers too: their init waits in the exec gate.
    if (status != state::Status::running && status != state::Status::created)
        fail("container not running");
    manager_of(state)->freeze(true);
    state.status = state::Status::paused;
    dir.save(state);
}

void resume(state::StateStore& store, const std::string& id) {
    state::ContainerDir dir = store.open(id);
    state::ContainerState state = dir.load();
    if (dir.current_status(state) != state::Status::paused) fail("container not paused");
    manager_of(state)->freeze(false);
    // Back to what the init is doing: still waiting to be started, or running.
    state.status = state::Status::running;
    state.status = dir.current_status(state) == state::Status::created ? state::Status::created
                                                                        : state::Status::running;
    dir.save(state);
}

}  // namespace hako::container
