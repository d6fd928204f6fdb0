#pragma once
// The steps `run` strings together without reading its container back from disk: create's
// result keeps the state directory (still locked) and the state it saved, and start and
// delete take them as they are. The CLI's own create, start and delete use lifecycle.hpp.
#include <optional>

#include "container/lifecycle.hpp"
#include "process/sync_channel.hpp"

namespace hako::container {

struct CreatedContainer {
    Created created;
    state::ContainerDir dir;      // locked while this lives
    state::ContainerState state;  // as saved: created (running when started at once), pid
    // CreateOptions::starts_at_once: the init's channel, on which it reports the exec.
    std::optional<process::SyncChannel> exec_channel;
};

// create, keeping what start and remove need.
CreatedContainer create_container(state::StateStore& store, const CreateOptions& options);

// start of a container known to be in the created state: opens the exec gate, saves the
// running state while the init execs, waits for the exec, then runs the poststart hooks.
void start_created(state::ContainerDir& dir, state::ContainerState& state,
                   const WarningSink& on_warning);

// The start of a container created with starts_at_once, whose init went on to execve once
// ready: waits for that exec (or the failure of a startContainer hook) on its channel, then
// runs the poststart hooks. The state was saved as running by create.
void await_started(CreatedContainer& container, const WarningSink& on_warning);

// remove, once the state is loaded.
void remove_loaded(state::ContainerDir& dir, const state::ContainerState& state, bool force,
                   const WarningSink& on_warning);

}  // namespace hako::container
