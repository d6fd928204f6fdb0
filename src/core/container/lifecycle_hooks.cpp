#include "container/lifecycle_hooks.hpp"

#include <unistd.h>

#include "hooks/runner.hpp"
#include "hooks/stored_hooks.hpp"

namespace hako::container {
namespace {

hooks::HookRun hook_run(const state::ContainerState& state, const char* status, pid_t pid) {
    hooks::HookState hook_state;
    hook_state.oci_version = state.oci_version;
    hook_state.id = state.id;
    hook_state.status = status;
    hook_state.pid = pid;
    hook_state.bundle = state.bundle;
    hook_state.annotations = state.annotations;
    hooks::HookRun run;
    run.state_json = hooks::to_json(hook_state);
    // As runc, in the bundle; an engine may have removed it before `delete`.
    if (::access(state.bundle.c_str(), X_OK) == 0) run.cwd = state.bundle;
    return run;
}

}  // namespace

std::vector<std::string> run_poststart_hooks(const state::ContainerState& state) {
    if (state.hooks_json.empty()) return {};
    try {
        const spec::Hooks hooks = hooks::parse_stored_hooks(state.hooks_json);
        return hooks::run_hooks_best_effort(hooks::HookKind::poststart, hooks.poststart,
                                            hook_run(state, "running", state.pid));
    } catch (const std::exception& error) {
        return {error.what()};
    }
}

std::vector<std::string> run_poststop_hooks(const state::ContainerState& state) {
    if (state.hooks_json.empty()) return {};
    try {
        const spec::Hooks hooks = hooks::parse_stored_hooks(state.hooks_json);
        // Stopped: no pid, as runc leaves it out.
        return hooks::run_hooks_best_effort(hooks::HookKind::poststop, hooks.poststop,
                                            hook_run(state, "stopped", 0));
    } catch (const std::exception& error) {
        return {error.what()};
    }
}

}  // namespace hako::container
