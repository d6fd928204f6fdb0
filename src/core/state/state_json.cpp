// state.json encoding: the OCI state fields under their OCI names plus hako's own under "hako".
#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "state/state_store.hpp"
#include "sys/error.hpp"

namespace hako::state {
namespace {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

constexpr std::string_view kStatusNames[] = {"creating", "created", "running", "paused",
                                             "stopped"};

std::optional<Status> parse_status(std::string_view name) {
    for (std::size_t i = 0; i < std::size(kStatusNames); ++i) {
        if (kStatusNames[i] == name) return static_cast<Status>(i);
    }
    return std::nullopt;
}

// Annotations come from the user's config and need not be valid UTF-8; replacing bad bytes
// beats refusing to print the state at all.
std::string dump(const OrderedJson& json, int indent) {
    return json.dump(indent, ' ', false, OrderedJson::error_handler_t::replace);
}

const Json* member(const Json& object, const char* key, std::string_view where, bool required) {
    const auto it = object.find(key);
    if (it == object.end()) {
        if (required) fail("field \"{}{}\" missing", where, key);
        return nullptr;
    }
    return &*it;
}

std::string read_string(const Json& object, const char* key, std::string_view where = {},
                        bool required = false) {
    const Json* value = member(object, key, where, required);
    if (value == nullptr) return {};
    if (!value->is_string()) fail("field \"{}{}\" must be a string", where, key);
    return value->get<std::string>();
}

template <typename T>
T read_integer(const Json& object, const char* key, std::string_view where = {},
               bool required = false) {
    const Json* value = member(object, key, where, required);
    if (value == nullptr) return T{};
    // Checked through the widest types so out-of-range numbers fail instead of wrapping.
    if (value->is_number_unsigned()) {
        const auto number = value->get<std::uint64_t>();
        if (number <= static_cast<std::uint64_t>(std::numeric_limits<T>::max())) {
            return static_cast<T>(number);
        }
    } else if (value->is_number_integer()) {
        const auto number = value->get<std::int64_t>();
        if (number >= 0 && static_cast<std::uint64_t>(number) <=
                               static_cast<std::uint64_t>(std::numeric_limits<T>::max())) {
            return static_cast<T>(number);
        }
    } else {
        fail("field \"{}{}\" must be an integer", where, key);
    }
    fail("field \"{}{}\" out of range", where, key);
}

std::map<std::string, std::string> read_string_map(const Json& object, const char* key,
                                                   std::string_view where = {}) {
    std::map<std::string, std::string> result;
    const Json* value = member(object, key, where, false);
    if (value == nullptr || value->is_null()) return result;
    if (!value->is_object()) fail("field \"{}{}\" must be an object", where, key);
    for (const auto& [name, entry] : value->items()) {
        if (!entry.is_string()) fail("field \"{}{}.{}\" must be a string", where, key, name);
        result.emplace(name, entry.get<std::string>());
    }
    return result;
}

OrderedJson string_map(const std::map<std::string, std::string>& map) {
    OrderedJson object = OrderedJson::object();
    for (const auto& [key, value] : map) object[key] = value;
    return object;
}

// nlohmann prefixes its messages with "[json.exception.parse_error.101] "; the id means
// nothing to a user reading a one-line error.
std::vector<cgroups::Hierarchy> read_hierarchies(const Json& array) {
    constexpr const char* kField = "hako.cgroupHierarchies";
    if (!array.is_array()) fail("field \"{}\" must be an array", kField);
    std::vector<cgroups::Hierarchy> hierarchies;
    for (const Json& entry : array) {
        if (!entry.is_object()) fail("field \"{}\" must hold objects", kField);
        cgroups::Hierarchy hierarchy;
        hierarchy.mount_point = read_string(entry, "mountPoint", "hako.cgroupHierarchies[].", true);
        const Json* unified = member(entry, "unified", "hako.cgroupHierarchies[].", true);
        if (!unified->is_boolean())
            fail("field \"hako.cgroupHierarchies[].unified\" must be a boolean");
        hierarchy.unified = unified->get<bool>();
        if (const Json* controllers =
                member(entry, "controllers", "hako.cgroupHierarchies[].", false)) {
            if (!controllers->is_array())
                fail("field \"hako.cgroupHierarchies[].controllers\" must be an array");
            for (const Json& controller : *controllers) {
                if (!controller.is_string())
                    fail("field \"hako.cgroupHierarchies[].controllers\" must hold strings");
                hierarchy.controllers.push_back(controller.get<std::string>());
            }
        }
        hierarchies.push_back(std::move(hierarchy));
    }
    return hierarchies;
}

std::string without_exception_id(const char* what) {
    std::string_view message(what);
    if (message.starts_with('[')) {
        const auto end = message.find("] ");
        if (end != std::string_view::npos) message.remove_prefix(end + 2);
    }
    return std::string(message);
}

}  // namespace

std::string_view status_name(Status status) {
    const auto index = static_cast<std::size_t>(status);
    return index < std::size(kStatusNames) ? kStatusNames[index] : "unknown";
}

std::string to_json(const ContainerState& state) {
    OrderedJson json;
    json["ociVersion"] = state.oci_version;
    json["id"] = state.id;
    json["status"] = std::string(status_name(state.status));
    json["pid"] = state.pid;
    json["bundle"] = state.bundle;
    json["rootfs"] = state.rootfs;
    json["created"] = state.created;
    json["owner"] = state.owner;
    json["annotations"] = string_map(state.annotations);
    OrderedJson hako;
    hako["initStartTime"] = state.init_start_time;
    hako["cgroupPaths"] = string_map(state.cgroup_paths);
    hako["cgroupCreated"] = state.cgroup_created;
    if (!state.cgroup_hierarchies.empty()) {
        OrderedJson hierarchies = OrderedJson::array();
        for (const cgroups::Hierarchy& hierarchy : state.cgroup_hierarchies) {
            OrderedJson entry;
            entry["mountPoint"] = hierarchy.mount_point;
            entry["unified"] = hierarchy.unified;
            entry["controllers"] = hierarchy.controllers;
            hierarchies.push_back(std::move(entry));
        }
        hako["cgroupHierarchies"] = std::move(hierarchies);
    }
    if (!state.resources_json.empty()) hako["resources"] = OrderedJson::parse(state.resources_json);
    if (!state.hooks_json.empty()) hako["hooks"] = OrderedJson::parse(state.hooks_json);
    json["hako"] = std::move(hako);
    return dump(json, -1);
}

std::string to_oci_json(const ContainerState& state, Status status) {
    // Field order and two-space indentation match runc's json.MarshalIndent output.
    OrderedJson json;
    json["ociVersion"] = state.oci_version;
    json["id"] = state.id;
    json["pid"] = status == Status::stopped ? 0 : state.pid;
    json["status"] = std::string(status_name(status));
    json["bundle"] = state.bundle;
    json["rootfs"] = state.rootfs;
    json["created"] = state.created;
    json["owner"] = state.owner;
    // runc tags annotations omitempty.
    if (!state.annotations.empty()) json["annotations"] = string_map(state.annotations);
    return dump(json, 2);
}

namespace {

// hako.* members `list` does not read: their values are still scanned but never built.
bool needed_for_listing(int depth, Json::parse_event_t event, const Json& parsed) {
    if (depth != 2 || event != Json::parse_event_t::key) return true;
    const auto& key = parsed.get_ref<const std::string&>();
    return key != "cgroupHierarchies" && key != "resources" && key != "hooks";
}

ContainerState parse_state(const std::string& text, const Json::parser_callback_t& filter) {
    Json json;
    try {
        json = Json::parse(text, filter);
    } catch (const Json::exception& e) {
        fail("{}", without_exception_id(e.what()));
    }
    if (!json.is_object()) fail("not a JSON object");

    ContainerState state;
    state.oci_version = read_string(json, "ociVersion");
    state.id = read_string(json, "id", {}, true);
    const std::string status = read_string(json, "status", {}, true);
    const auto parsed = parse_status(status);
    if (!parsed) fail("field \"status\": unknown status \"{}\"", status);
    state.status = *parsed;
    state.pid = read_integer<pid_t>(json, "pid", {}, true);
    state.bundle = read_string(json, "bundle");
    state.rootfs = read_string(json, "rootfs");
    state.created = read_string(json, "created");
    state.owner = read_string(json, "owner");
    state.annotations = read_string_map(json, "annotations");

    if (const Json* hako = member(json, "hako", {}, false); hako != nullptr) {
        if (!hako->is_object()) fail("field \"hako\" must be an object");
        state.init_start_time = read_integer<std::uint64_t>(*hako, "initStartTime", "hako.");
        state.cgroup_paths = read_string_map(*hako, "cgroupPaths", "hako.");
        if (const Json* created = member(*hako, "cgroupCreated", "hako.", false)) {
            if (!created->is_boolean()) fail("field \"hako.cgroupCreated\" must be a boolean");
            state.cgroup_created = created->get<bool>();
        }
        if (const Json* hierarchies = member(*hako, "cgroupHierarchies", "hako.", false)) {
            state.cgroup_hierarchies = read_hierarchies(*hierarchies);
        }
        if (const Json* resources = member(*hako, "resources", "hako.", false)) {
            if (!resources->is_object()) fail("field \"hako.resources\" must be an object");
            state.resources_json = resources->dump();
        }
        if (const Json* hooks = member(*hako, "hooks", "hako.", false)) {
            if (!hooks->is_object()) fail("field \"hako.hooks\" must be an object");
            state.hooks_json = hooks->dump();
        }
    }
    return state;
}

}  // namespace

ContainerState from_json(const std::string& text) { return parse_state(text, nullptr); }

ContainerState from_json_for_listing(const std::string& text) {
    return parse_state(text, needed_for_listing);
}

}  // namespace hako::state
