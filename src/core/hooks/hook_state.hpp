#pragma once
// The runtime-spec state document every hook reads on its stdin, and the names of the hook
// points. The JSON has runc's shape: ociVersion, id, status, pid (left out when 0, as for
// poststop), bundle, annotations (left out when empty).
#include <sys/types.h>

#include <map>
#include <string>
#include <string_view>

#include "spec/spec.hpp"

namespace hako::hooks {

enum class HookKind {
    prestart,          // deprecated; the runtime, in its namespaces, before pivot_root
    create_runtime,    // the runtime, in its namespaces, before pivot_root
    create_container,  // the init, in the container's namespaces, before pivot_root
    start_container,   // the init, in the container, after `start` and before execve
    poststart,         // `start`, after the user process runs
    poststop,          // `delete`, after the container is gone
};

// "prestart", "createRuntime", ... as config.json spells them.
std::string_view hook_kind_name(HookKind kind);

struct HookState {
    std::string oci_version;
    std::string id;
    std::string status;  // "creating", "created", "running" or "stopped"
    pid_t pid = 0;       // the init as seen by the host; 0 leaves the field out
    std::string bundle;
    std::map<std::string, std::string> annotations;
};

// The state of the container `spec` describes: its ociVersion and annotations, with the rest
// given.
HookState make_hook_state(const spec::Spec& spec, std::string id, std::string bundle,
                          std::string status, pid_t pid);

std::string to_json(const HookState& state);

}  // namespace hako::hooks
