#pragma once
// The hooks that run after `create`, from the copy kept in state.json (hooks/stored_hooks.hpp):
// poststart by `start` once the user process runs, poststop by `delete` (and by a failed
// create) once the container is gone. The spec asks only for a warning when they fail, so
// these return one message per failed hook instead of throwing.
#include <string>
#include <vector>

#include "state/state_store.hpp"

namespace hako::container {

std::vector<std::string> run_poststart_hooks(const state::ContainerState& state);
std::vector<std::string> run_poststop_hooks(const state::ContainerState& state);

}  // namespace hako::container
