// config.json -> Spec. Every check names the JSON path of what it rejects, so a user can find
// the mistake without knowing hako's internals. JSON null counts as absent everywhere: Go's
// decoder (and so runc) treats it that way, and configs written by Go tools contain it.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <limits>
#include <nlohmann/json.hpp>

#include "spec/json_node.hpp"
#include "spec/spec.hpp"
#include "sys/error.hpp"
#include "sys/file_io.hpp"
#include "sys/unique_fd.hpp"

namespace hako::spec {
namespace {

using nlohmann::json;

// Every value carries its path in the document ("process.rlimits[0].type").
using Node = spec::JsonNode;

std::string to_string(const Node& node) {
    if (!node.value().is_string()) node.error("expected string");
    return node.value().get<std::string>();
}

bool to_bool(const Node& node) {
    if (!node.value().is_boolean()) node.error("expected boolean");
    return node.value().get<bool>();
}

std::uint64_t to_u64(const Node& node) {
    // Negative numbers and fractions are not unsigned integers; numbers beyond uint64 parse as
    // floats, so they land here too.
    if (!node.value().is_number_unsigned()) node.error("expected unsigned integer");
    return node.value().get<std::uint64_t>();
}

std::uint32_t to_u32(const Node& node) {
    const std::uint64_t value = to_u64(node);
    if (value > std::numeric_limits<std::uint32_t>::max()) {
        node.error(fmt::format("{} is out of range (maximum {})", value,
                               std::numeric_limits<std::uint32_t>::max()));
    }
    return static_cast<std::uint32_t>(value);
}

std::int64_t to_i64(const Node& node) {
    if (!node.value().is_number_integer()) node.error("expected integer");
    if (node.value().is_number_unsigned() &&
        node.value().get<std::uint64_t>() >
            static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        node.error(fmt::format("{} is out of range", node.value().get<std::uint64_t>()));
    }
    return node.value().get<std::int64_t>();
}

std::int64_t to_i64_in(const Node& node, std::int64_t min, std::int64_t max) {
    const std::int64_t value = to_i64(node);
    if (value < min || value > max) node.error(fmt::format("must be between {} and {}", min, max));
    return value;
}

// Strings that end up in argv/envp: C strings cannot carry NUL.
std::string to_c_string(const Node& node) {
    std::string value = to_string(node);
    if (value.find('\0') != std::string::npos) node.error("must not contain a NUL byte");
    return value;
}

std::string to_absolute_path(const Node& node) {
    std::string value = to_c_string(node);
    if (!value.starts_with('/')) node.error("must be an absolute path");
    return value;
}

std::vector<std::string> to_string_list(const Node& node) {
    std::vector<std::string> result;
    for (const Node& element : node.elements()) result.push_back(to_string(element));
    return result;
}

std::map<std::string, std::string> to_string_map(const Node& node) {
    std::map<std::string, std::string> result;
    for (const auto& [key, value] : node.entries()) result.emplace(key, to_string(value));
    return result;
}

// "KEY=VALUE" with a non-empty key, as runc requires before it execs.
std::vector<std::string> to_env(const Node& node) {
    std::vector<std::string> result;
    for (const Node& element : node.elements()) {
        std::string entry = to_c_string(element);
        if (entry.find('=') == std::string::npos || entry.starts_with('=')) {
            element.error("expected \"KEY=VALUE\"");
        }
        result.push_back(std::move(entry));
    }
    return result;
}

// --- ociVersion ----------------------------------------------------------------------------

struct Version {
    unsigned major = 0, minor = 0, patch = 0;
};

// Parses one decimal component; false on anything else (empty, sign, overflow).
bool parse_number(std::string_view text, unsigned& out) {
    if (text.empty() || text.size() > 9) return false;
    out = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return false;
        out = out * 10 + static_cast<unsigned>(c - '0');
    }
    return true;
}

// MAJOR.MINOR.PATCH, optionally followed by a semver "-prerelease" or "+build" suffix.
std::optional<Version> parse_version(std::string_view text) {
    const auto suffix = text.find_first_of("-+");
    if (suffix != std::string_view::npos) {
        if (suffix + 1 == text.size()) return std::nullopt;
        text = text.substr(0, suffix);
    }
    const auto dot1 = text.find('.');
    if (dot1 == std::string_view::npos) return std::nullopt;
    const auto dot2 = text.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos) return std::nullopt;
    Version v;
    if (!parse_number(text.substr(0, dot1), v.major) ||
        !parse_number(text.substr(dot1 + 1, dot2 - dot1 - 1), v.minor) ||
        !parse_number(text.substr(dot2 + 1), v.patch)) {
        return std::nullopt;
    }
    return v;
}

std::string parse_oci_version(const Node& node) {
    std::string text = to_string(node);
    const auto version = parse_version(text);
    if (!version) {
        node.error(
            fmt::format("malformed version {} (expected MAJOR.MINOR.PATCH)", json(text).dump()));
    }
    // Every 1.x minor up to 1.3 only added optional fields, so they all parse the same way.
    if (version->major != 1 || version->minor > 3) {
        node.error(fmt::format("unsupported version {} (supported 1.0.0 through 1.3.x)",
                               json(text).dump()));
    }
    return text;
}

// --- process -------------------------------------------------------------------------------

User parse_user(const Node& node) {
    User user;
    // uid and gid default to 0 when absent, as Go's decoder (and so runc) does.
    if (auto n = node.member("uid")) user.uid = to_u32(*n);
    if (auto n = node.member("gid")) user.gid = to_u32(*n);
    if (auto n = node.member("umask")) {
        const std::uint32_t umask = to_u32(*n);
        if (umask > 0777) n->error("must be at most 0777 (511)");
        user.umask = umask;
    }
    if (auto n = node.member("additionalGids")) {
        for (const Node& element : n->elements()) user.additional_gids.push_back(to_u32(element));
    }
    if (auto n = node.member("username")) user.username = to_string(*n);
    return user;
}

Capabilities parse_capabilities(const Node& node) {
    Capabilities caps;
    if (auto n = node.member("bounding")) caps.bounding = to_string_list(*n);
    if (auto n = node.member("effective")) caps.effective = to_string_list(*n);
    if (auto n = node.member("inheritable")) caps.inheritable = to_string_list(*n);
    if (auto n = node.member("permitted")) caps.permitted = to_string_list(*n);
    if (auto n = node.member("ambient")) caps.ambient = to_string_list(*n);
    return caps;
}

std::vector<Rlimit> parse_rlimits(const Node& node) {
    std::vector<Rlimit> rlimits;
    for (const Node& element : node.elements()) {
        Rlimit rlimit;
        const Node type = element.required("type");
        rlimit.type = to_string(type);
        const auto resource = rlimit_resource_from_name(rlimit.type);
        if (!resource) type.error(fmt::format("unknown rlimit {}", json(rlimit.type).dump()));
        rlimit.resource = *resource;
        rlimit.soft = to_u64(element.required("soft"));
        rlimit.hard = to_u64(element.required("hard"));
        // setrlimit would refuse this with a bare EINVAL later; say why now.
        if (rlimit.soft > rlimit.hard) {
            element.error(
                fmt::format("soft limit {} exceeds hard limit {}", rlimit.soft, rlimit.hard));
        }
        const bool duplicate = std::any_of(rlimits.begin(), rlimits.end(), [&](const Rlimit& r) {
            return r.resource == rlimit.resource;
        });
        if (duplicate) element.error(fmt::format("duplicate rlimit {}", json(rlimit.type).dump()));
        rlimits.push_back(std::move(rlimit));
    }
    return rlimits;
}

Process parse_process(const Node& node) {
    node.expect_object();
    Process process;
    if (auto n = node.member("terminal")) process.terminal = to_bool(*n);
    if (auto n = node.member("consoleSize")) {
        n->expect_object();
        process.console_size =
            ConsoleSize{to_u32(n->required("height")), to_u32(n->required("width"))};
    }
    if (auto n = node.member("user")) {
        n->expect_object();
        process.user = parse_user(*n);
    }
    const Node args = node.required("args");
    for (const Node& element : args.elements()) process.args.push_back(to_c_string(element));
    if (process.args.empty()) args.error("must not be empty");
    if (auto n = node.member("env")) process.env = to_env(*n);
    process.cwd = to_absolute_path(node.required("cwd"));
    if (auto n = node.member("capabilities")) {
        n->expect_object();
        process.capabilities = parse_capabilities(*n);
    }
    if (auto n = node.member("rlimits")) process.rlimits = parse_rlimits(*n);
    if (auto n = node.member("noNewPrivileges")) process.no_new_privileges = to_bool(*n);
    if (auto n = node.member("oomScoreAdj")) {
        process.oom_score_adj = static_cast<int>(to_i64_in(*n, -1000, 1000));
    }
    if (auto n = node.member("apparmorProfile")) process.apparmor_profile = to_string(*n);
    if (auto n = node.member("selinuxLabel")) process.selinux_label = to_string(*n);
    return process;
}

// --- root, mounts, hooks -------------------------------------------------------------------

Root parse_root(const Node& node) {
    node.expect_object();
    Root root;
    const Node path = node.required("path");
    // A relative path is fine (it is relative to the bundle); an empty one names nothing.
    root.path = to_c_string(path);
    if (root.path.empty()) path.error("must not be empty");
    if (auto n = node.member("readonly")) root.readonly = to_bool(*n);
    return root;
}

std::vector<Mount> parse_mounts(const Node& node) {
    std::vector<Mount> mounts;
    for (const Node& element : node.elements()) {
        element.expect_object();
        Mount mount;
        mount.destination = to_absolute_path(element.required("destination"));
        if (auto n = element.member("type")) mount.type = to_string(*n);
        if (auto n = element.member("source")) mount.source = to_string(*n);
        if (auto n = element.member("options")) mount.options = to_string_list(*n);
        mounts.push_back(std::move(mount));
    }
    return mounts;
}

std::vector<Hook> parse_hook_list(const Node& node) {
    std::vector<Hook> hooks;
    for (const Node& element : node.elements()) {
        element.expect_object();
        Hook hook;
        hook.path = to_absolute_path(element.required("path"));
        if (auto n = element.member("args")) {
            for (const Node& arg : n->elements()) hook.args.push_back(to_c_string(arg));
        }
        if (auto n = element.member("env")) hook.env = to_env(*n);
        if (auto n = element.member("timeout")) {
            const std::int64_t timeout = to_i64(*n);
            if (timeout <= 0) n->error("must be greater than 0");
            if (timeout > std::numeric_limits<int>::max()) n->error("is out of range");
            hook.timeout = static_cast<int>(timeout);
        }
        hooks.push_back(std::move(hook));
    }
    return hooks;
}

Hooks parse_hooks(const Node& node) {
    node.expect_object();
    Hooks hooks;
    if (auto n = node.member("prestart")) hooks.prestart = parse_hook_list(*n);
    if (auto n = node.member("createRuntime")) hooks.create_runtime = parse_hook_list(*n);
    if (auto n = node.member("createContainer")) hooks.create_container = parse_hook_list(*n);
    if (auto n = node.member("startContainer")) hooks.start_container = parse_hook_list(*n);
    if (auto n = node.member("poststart")) hooks.poststart = parse_hook_list(*n);
    if (auto n = node.member("poststop")) hooks.poststop = parse_hook_list(*n);
    return hooks;
}

// --- linux ---------------------------------------------------------------------------------

std::vector<Namespace> parse_namespaces(const Node& node) {
    std::vector<Namespace> namespaces;
    for (const Node& element : node.elements()) {
        element.expect_object();
        const Node type = element.required("type");
        const std::string name = to_string(type);
        const auto parsed = namespace_type_from_name(name);
        if (!parsed) type.error(fmt::format("unknown namespace type {}", json(name).dump()));
        const bool duplicate = std::any_of(namespaces.begin(), namespaces.end(),
                                           [&](const Namespace& ns) { return ns.type == *parsed; });
        if (duplicate) element.error(fmt::format("duplicate namespace {}", json(name).dump()));
        Namespace ns{*parsed, {}};
        if (auto n = element.member("path")) ns.path = to_absolute_path(*n);
        namespaces.push_back(std::move(ns));
    }
    return namespaces;
}

std::vector<IdMapping> parse_id_mappings(const Node& node) {
    std::vector<IdMapping> mappings;
    for (const Node& element : node.elements()) {
        element.expect_object();
        IdMapping mapping;
        mapping.container_id = to_u32(element.required("containerID"));
        mapping.host_id = to_u32(element.required("hostID"));
        const Node size = element.required("size");
        mapping.size = to_u32(size);
        if (mapping.size == 0) size.error("must be greater than 0");
        // The kernel refuses ranges that wrap past the last 32-bit id.
        constexpr std::uint64_t kIdSpace = std::uint64_t{1} << 32;
        if (std::uint64_t{mapping.container_id} + mapping.size > kIdSpace ||
            std::uint64_t{mapping.host_id} + mapping.size > kIdSpace) {
            element.error("range exceeds the 32-bit id space");
        }
        mappings.push_back(mapping);
    }
    return mappings;
}

std::vector<Device> parse_devices(const Node& node) {
    std::vector<Device> devices;
    for (const Node& element : node.elements()) {
        element.expect_object();
        Device device;
        const Node type = element.required("type");
        const std::string type_name = to_string(type);
        if (type_name.size() != 1 ||
            std::string_view("cbup").find(type_name[0]) == std::string_view::npos) {
            type.error(fmt::format("unknown device type {} (expected c, b, u or p)",
                                   json(type_name).dump()));
        }
        device.type = type_name[0];
        device.path = to_absolute_path(element.required("path"));
        // A FIFO has no device number; every other node needs both.
        if (device.type == 'p') {
            if (auto n = element.member("major")) device.major = to_i64(*n);
            if (auto n = element.member("minor")) device.minor = to_i64(*n);
        } else {
            device.major = to_i64(element.required("major"));
            device.minor = to_i64(element.required("minor"));
        }
        if (auto n = element.member("fileMode")) {
            // Podman copies st_mode from the host's node, file type included (020666 for a
            // character device); runc drops the type bits (`&^ S_IFMT`) and so does hako.
            const std::uint32_t mode = to_u32(*n) & ~std::uint32_t{S_IFMT};
            if (mode > 07777) n->error("must be permission bits, at most 07777 (4095), "
                                       "optionally with file type bits");
            device.file_mode = mode;
        }
        if (auto n = element.member("uid")) device.uid = to_u32(*n);
        if (auto n = element.member("gid")) device.gid = to_u32(*n);
        devices.push_back(std::move(device));
    }
    return devices;
}

// The values mount(2) propagation accepts, sorted for binary search.
constexpr std::array<std::string_view, 8> kPropagations = {
    "private", "rprivate", "rshared", "rslave", "runbindable", "shared", "slave", "unbindable"};
static_assert(std::is_sorted(kPropagations.begin(), kPropagations.end()));

std::string parse_propagation(const Node& node) {
    std::string value = to_string(node);
    if (!std::binary_search(kPropagations.begin(), kPropagations.end(), std::string_view(value))) {
        node.error(fmt::format(
            "unknown propagation {} (expected private, rprivate, slave, rslave, shared, rshared, "
            "unbindable or runbindable)",
            json(value).dump()));
    }
    return value;
}

std::map<std::string, TimeOffset> parse_time_offsets(const Node& node) {
    std::map<std::string, TimeOffset> offsets;
    for (const auto& [clock, value] : node.entries()) {
        // The only clocks a time namespace can offset.
        if (clock != "monotonic" && clock != "boottime") {
            value.error("unknown clock (expected \"monotonic\" or \"boottime\")");
        }
        value.expect_object();
        TimeOffset offset;
        if (auto n = value.member("secs")) offset.secs = to_i64(*n);
        if (auto n = value.member("nanosecs")) {
            offset.nanosecs = to_u32(*n);
            if (offset.nanosecs >= 1'000'000'000) n->error("must be less than 1000000000");
        }
        offsets.emplace(clock, offset);
    }
    return offsets;
}

// Kept as text for the module that interprets it; only its shape is checked here.
std::string to_object_text(const Node& node) {
    node.expect_object();
    return node.value().dump();
}

Linux parse_linux(const Node& node) {
    node.expect_object();
    Linux linux_config;
    if (auto n = node.member("namespaces")) linux_config.namespaces = parse_namespaces(*n);
    if (auto n = node.member("uidMappings")) linux_config.uid_mappings = parse_id_mappings(*n);
    if (auto n = node.member("gidMappings")) linux_config.gid_mappings = parse_id_mappings(*n);
    if (auto n = node.member("devices")) linux_config.devices = parse_devices(*n);
    if (auto n = node.member("cgroupsPath")) linux_config.cgroups_path = to_string(*n);
    if (auto n = node.member("resources")) linux_config.resources_json = to_object_text(*n);
    if (auto n = node.member("seccomp")) linux_config.seccomp_json = to_object_text(*n);
    if (auto n = node.member("sysctl")) linux_config.sysctl = to_string_map(*n);
    if (auto n = node.member("maskedPaths")) linux_config.masked_paths = to_string_list(*n);
    if (auto n = node.member("readonlyPaths")) linux_config.readonly_paths = to_string_list(*n);
    if (auto n = node.member("rootfsPropagation")) {
        linux_config.rootfs_propagation = parse_propagation(*n);
    }
    if (auto n = node.member("mountLabel")) linux_config.mount_label = to_string(*n);
    if (auto n = node.member("timeOffsets")) linux_config.time_offsets = parse_time_offsets(*n);

    // Settings that only mean something inside a namespace the config does not ask for; runc
    // refuses these too rather than silently applying them to the host's namespace.
    const bool has_user = linux_config.find_namespace(NamespaceType::user) != nullptr;
    if (!has_user && !linux_config.uid_mappings.empty()) {
        fail("{}: requires a user namespace in linux.namespaces", node.child_path("uidMappings"));
    }
    if (!has_user && !linux_config.gid_mappings.empty()) {
        fail("{}: requires a user namespace in linux.namespaces", node.child_path("gidMappings"));
    }
    if (!linux_config.time_offsets.empty() &&
        linux_config.find_namespace(NamespaceType::time) == nullptr) {
        fail("{}: requires a time namespace in linux.namespaces", node.child_path("timeOffsets"));
    }
    return linux_config;
}

// --- the document --------------------------------------------------------------------------

Spec parse_document(const json& document) {
    const Node root(document, "");
    Spec spec;
    spec.oci_version = parse_oci_version(root.required("ociVersion"));
    spec.root = parse_root(root.required("root"));
    if (auto n = root.member("process")) spec.process = parse_process(*n);
    if (auto n = root.member("hostname")) spec.hostname = to_string(*n);
    if (auto n = root.member("domainname")) spec.domainname = to_string(*n);
    if (auto n = root.member("mounts")) spec.mounts = parse_mounts(*n);
    if (auto n = root.member("hooks")) spec.hooks = parse_hooks(*n);
    if (auto n = root.member("annotations")) spec.annotations = to_string_map(*n);
    if (auto n = root.member("linux")) spec.linux_config = parse_linux(*n);

    // Without a UTS namespace of its own the container would rename the host.
    const bool has_uts = spec.linux_config.find_namespace(NamespaceType::uts) != nullptr;
    if (!has_uts && !spec.hostname.empty())
        fail("hostname: requires a uts namespace in linux.namespaces");
    if (!has_uts && !spec.domainname.empty()) {
        fail("domainname: requires a uts namespace in linux.namespaces");
    }
    return spec;
}

// Parses JSON text; `source` names the text in the error ("config.json", or its full path).
json parse_json(std::string_view text, std::string_view source) {
    json document;
    try {
        document = json::parse(text);
    } catch (const json::exception& e) {
        // parse_error, or out_of_range for a number like 1e400 (found by fuzz/). Drop
        // nlohmann's "[json.exception.parse_error.101] " tag: it means nothing to a user.
        std::string_view message = e.what();
        if (message.starts_with('[')) {
            const auto end = message.find("] ");
            if (end != std::string_view::npos) message.remove_prefix(end + 2);
        }
        fail("{}: invalid JSON: {}", source, message);
    }
    if (!document.is_object()) fail("{}: expected a JSON object", source);
    return document;
}


}  // namespace

Spec parse_spec(std::string_view json_text) {
    return parse_document(parse_json(json_text, "config.json"));
}

Spec load_spec(const std::string& bundle_dir) {
    const std::string path = bundle_dir.empty() || bundle_dir.ends_with('/')
                                 ? bundle_dir + "config.json"
                                 : bundle_dir + "/config.json";
    const json document = parse_json(sys::read_file(path), path);
    try {
        return parse_document(document);
    } catch (const Error& e) {
        throw Error(fmt::format("{}: {}", path, e.what()));
    }
}

}  // namespace hako::spec
