#include "hooks/stored_hooks.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>

#include "sys/error.hpp"

namespace hako::hooks {
namespace {

using Json = nlohmann::json;

Json hook_list_json(const std::vector<spec::Hook>& hooks) {
    Json list = Json::array();
    for (const auto& hook : hooks) {
        Json entry;
        entry["path"] = hook.path;
        if (!hook.args.empty()) entry["args"] = hook.args;
        if (!hook.env.empty()) entry["env"] = hook.env;
        if (hook.timeout) entry["timeout"] = *hook.timeout;
        list.push_back(std::move(entry));
    }
    return list;
}

std::vector<std::string> strings(const Json& entry, const char* key, const std::string& where) {
    std::vector<std::string> values;
    const auto it = entry.find(key);
    if (it == entry.end()) return values;
    if (!it->is_array()) fail("state.json {}.{}: expected an array", where, key);
    for (const auto& value : *it) {
        if (!value.is_string()) fail("state.json {}.{}: expected strings", where, key);
        values.push_back(value.get<std::string>());
    }
    return values;
}

std::vector<spec::Hook> parse_list(const Json& root, const char* name) {
    std::vector<spec::Hook> hooks;
    const auto it = root.find(name);
    if (it == root.end()) return hooks;
    if (!it->is_array()) fail("state.json hako.hooks.{}: expected an array", name);
    for (std::size_t i = 0; i < it->size(); ++i) {
        const Json& entry = (*it)[i];
        const std::string where = fmt::format("hako.hooks.{}[{}]", name, i);
        if (!entry.is_object()) fail("state.json {}: expected an object", where);
        const auto path = entry.find("path");
        if (path == entry.end() || !path->is_string())
            fail("state.json {}.path: expected a string", where);
        spec::Hook hook;
        hook.path = path->get<std::string>();
        hook.args = strings(entry, "args", where);
        hook.env = strings(entry, "env", where);
        if (const auto timeout = entry.find("timeout"); timeout != entry.end()) {
            if (!timeout->is_number_integer() || timeout->get<std::int64_t>() <= 0 ||
                timeout->get<std::int64_t>() > std::numeric_limits<int>::max())
                fail("state.json {}.timeout: expected a positive integer", where);
            hook.timeout = timeout->get<int>();
        }
        hooks.push_back(std::move(hook));
    }
    return hooks;
}

}  // namespace

std::string stored_hooks_json(const spec::Hooks& hooks) {
    if (hooks.poststart.empty() && hooks.poststop.empty()) return {};
    Json json = Json::object();
    if (!hooks.poststart.empty()) json["poststart"] = hook_list_json(hooks.poststart);
    if (!hooks.poststop.empty()) json["poststop"] = hook_list_json(hooks.poststop);
    return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

spec::Hooks parse_stored_hooks(const std::string& json_text) {
    spec::Hooks hooks;
    if (json_text.empty()) return hooks;
    const Json json = Json::parse(json_text, nullptr, false);
    if (json.is_discarded() || !json.is_object()) fail("state.json hako.hooks: expected an object");
    hooks.poststart = parse_list(json, "poststart");
    hooks.poststop = parse_list(json, "poststop");
    return hooks;
}

}  // namespace hako::hooks
