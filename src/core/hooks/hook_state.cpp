#include "hooks/hook_state.hpp"

#include <nlohmann/json.hpp>

namespace hako::hooks {

std::string_view hook_kind_name(HookKind kind) {
    switch (kind) {
        case HookKind::prestart:
            return "prestart";
        case HookKind::create_runtime:
            return "createRuntime";
        case HookKind::create_container:
            return "createContainer";
        case HookKind::start_container:
            return "startContainer";
        case HookKind::poststart:
            return "poststart";
        case HookKind::poststop:
            return "poststop";
    }
    return "unknown";
}

HookState make_hook_state(const spec::Spec& spec, std::string id, std::string bundle,
                          std::string status, pid_t pid) {
    HookState state;
    state.oci_version = spec.oci_version;
    state.id = std::move(id);
    state.status = std::move(status);
    state.pid = pid;
    state.bundle = std::move(bundle);
    state.annotations = spec.annotations;
    return state;
}

std::string to_json(const HookState& state) {
    nlohmann::ordered_json json;
    json["ociVersion"] = state.oci_version;
    json["id"] = state.id;
    json["status"] = state.status;
    if (state.pid > 0) json["pid"] = state.pid;
    json["bundle"] = state.bundle;
    if (!state.annotations.empty()) json["annotations"] = state.annotations;
    // Annotations need not be valid UTF-8; a hook still gets a parseable document.
    return json.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace hako::hooks
