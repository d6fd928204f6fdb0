#include "container/exec_spec.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <nlohmann/json.hpp>

#include "sys/file_io.hpp"
#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace hako::container {
namespace {

constexpr std::uint32_t kMaxId = 4294967294U;


bool has_member(const nlohmann::json& object, const char* key) {
    const auto it = object.find(key);
    return it != object.end() && !it->is_null();
}

void add_unique(std::vector<std::string>& set, const std::string& value) {
    if (std::find(set.begin(), set.end(), value) == set.end()) set.push_back(value);
}

void set_env(std::vector<std::string>& env, const std::string& entry) {
    const auto equals = entry.find('=');
    if (equals == std::string::npos || equals == 0)
        fail("-e/--env {:?}: expected KEY=VALUE", entry);
    const std::string_view key(entry.data(), equals + 1);  // "KEY="
    for (auto& existing : env) {
        if (std::string_view(existing).starts_with(key)) {
            existing = entry;
            return;
        }
    }
    env.push_back(entry);
}

}  // namespace

std::uint32_t parse_id(std::string_view text, std::string_view what) {
    const bool digits = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return c >= '0' && c <= '9';
    });
    std::uint64_t value = 0;
    if (digits) {
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (error != std::errc() || end != text.data() + text.size()) value = kMaxId + 1ULL;
    }
    if (!digits || value > kMaxId)
        fail("{} {:?}: expected a decimal number from 0 to {}", what, text, kMaxId);
    return static_cast<std::uint32_t>(value);
}

ExecUser parse_exec_user(std::string_view text) {
    ExecUser user;
    const auto colon = text.find(':');
    if (colon == std::string_view::npos) {
        user.uid = parse_id(text, "-u/--user uid");
        return user;
    }
    user.uid = parse_id(text.substr(0, colon), "-u/--user uid");
    user.gid = parse_id(text.substr(colon + 1), "-u/--user gid");
    return user;
}

spec::Process load_process_file(const std::string& path, const spec::Process& container_process) {
    nlohmann::json object;
    try {
        object = nlohmann::json::parse(sys::read_file(path));
    } catch (const nlohmann::json::parse_error& e) {
        fail("--process {}: invalid JSON: {}", path, e.what());
    }
    if (!object.is_object()) fail("--process {}: expected a JSON object", path);
    // The spec parser validates a process only as part of a document; the paths it names
    // ("process.args") are the file's own fields.
    const nlohmann::json document = {
        {"ociVersion", "1.0.0"}, {"root", {{"path", "rootfs"}}}, {"process", object}};
    spec::Process process;
    try {
        process = *spec::parse_spec(document.dump()).process;
    } catch (const Error& e) {
        throw Error(fmt::format("--process {}: {}", path, e.what()));
    }
    if (!has_member(object, "capabilities")) process.capabilities = container_process.capabilities;
    if (process.rlimits.empty()) process.rlimits = container_process.rlimits;
    if (!has_member(object, "noNewPrivileges"))
        process.no_new_privileges = container_process.no_new_privileges;
    if (process.apparmor_profile.empty())
        process.apparmor_profile = container_process.apparmor_profile;
    if (process.selinux_label.empty()) process.selinux_label = container_process.selinux_label;
    return process;
}

spec::Process build_exec_process(const spec::Spec& config, const ExecOptions& options) {
    if (!config.process) fail("config.json has no process to take the exec defaults from");
    if (!options.process_file.empty()) return load_process_file(options.process_file, *config.process);
    if (options.args.empty())
        fail("exec: no command given: name one after the container id, or use --process");

    spec::Process process = *config.process;
    process.args = options.args;
    if (!options.cwd.empty()) {
        if (options.cwd.front() != '/') fail("--cwd {:?}: must be an absolute path", options.cwd);
        process.cwd = options.cwd;
    }
    for (const auto& entry : options.env) set_env(process.env, entry);
    process.terminal = options.tty;
    if (!options.user.empty()) {
        const ExecUser user = parse_exec_user(options.user);
        process.user.uid = user.uid;
        if (user.gid) process.user.gid = *user.gid;
    }
    for (const auto& gid : options.additional_gids)
        process.user.additional_gids.push_back(parse_id(gid, "--additional-gids"));
    if (!options.caps.empty()) {
        spec::Capabilities caps = process.capabilities.value_or(spec::Capabilities{});
        for (const auto& cap : options.caps) {
            add_unique(caps.bounding, cap);
            add_unique(caps.effective, cap);
            add_unique(caps.permitted, cap);
            // The kernel raises an ambient capability only when it is inheritable, and
            // --cap never makes one inheritable.
            if (std::find(caps.inheritable.begin(), caps.inheritable.end(), cap) !=
                caps.inheritable.end())
                add_unique(caps.ambient, cap);
        }
        process.capabilities = std::move(caps);
    }
    if (options.no_new_privs) process.no_new_privileges = true;
    if (!options.apparmor.empty()) process.apparmor_profile = options.apparmor;
    if (!options.process_label.empty()) process.selinux_label = options.process_label;
    return process;
}

}  // namespace hako::container
