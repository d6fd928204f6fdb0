#pragma once
// Runs OCI hooks: each one a child process of the caller (hako itself for the runtime's
// hooks, the container init for createContainer and startContainer), with the state JSON on
// its stdin, its args (args[0] is argv[0]; none means {path}) and its env (none: the
// caller's environment, as runc does). The hook runs in a process group of its own; on its
// timeout the whole group is killed. stdout and stderr are captured (the first KiB of each)
// into the error. Once the hook exits, hako does not wait for children it left holding its
// stdout or stderr (runc does, and hangs with them).
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "hooks/hook_state.hpp"
#include "spec/spec.hpp"

namespace hako::hooks {

struct HookRun {
    std::string state_json;       // the hook's stdin
    std::string cwd;              // the hook's working directory; "" keeps the caller's
    std::optional<mode_t> umask;  // the hook's umask; none keeps the caller's
};

// Runs the hooks in order and stops at the first failure, throwing hako::Error:
//   "error running createRuntime hook #0 (/path): exit status 3, stdout: ..., stderr: ..."
//   "error running createRuntime hook #0 (/path): timed out after 2s"
void run_hooks(HookKind kind, const std::vector<spec::Hook>& hooks, const HookRun& run);

// Runs every hook even when some fail; returns one message (as above) per failure. For the
// points where the spec asks for a warning only: poststart and poststop.
std::vector<std::string> run_hooks_best_effort(HookKind kind, const std::vector<spec::Hook>& hooks,
                                               const HookRun& run);

}  // namespace hako::hooks
