#pragma once
// The typed model of an OCI runtime-spec config.json (1.0.0 through 1.3.x). Only what hako
// acts on is modelled; unknown fields are ignored, as the spec requires. Sections that later
// modules interpret in full (linux.resources, linux.seccomp) are kept as their JSON text so the
// parser needs no knowledge of them.
#include <sys/types.h>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hako::spec {

struct User {
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
    std::optional<std::uint32_t> umask;
    std::vector<std::uint32_t> additional_gids;
    std::string username;
};

struct Rlimit {
    int resource = 0;  // RLIMIT_* value resolved from the "type" name
    std::string type;  // e.g. "RLIMIT_NOFILE"
    std::uint64_t soft = 0;
    std::uint64_t hard = 0;
};

// The RLIMIT_* resource a process.rlimits[].type names ("RLIMIT_NOFILE"), or nullopt.
std::optional<int> rlimit_resource_from_name(std::string_view name);

struct ConsoleSize {
    unsigned height = 0;
    unsigned width = 0;
};

struct Capabilities {
    std::vector<std::string> bounding, effective, inheritable, permitted, ambient;
};

struct Process {
    bool terminal = false;
    std::optional<ConsoleSize> console_size;
    User user;
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::string cwd = "/";
    std::optional<Capabilities> capabilities;
    std::vector<Rlimit> rlimits;
    bool no_new_privileges = false;
    std::optional<int> oom_score_adj;
    std::string apparmor_profile;
    std::string selinux_label;
};

struct Root {
    std::string path;  // as written; relative to the bundle unless absolute
    bool readonly = false;
};

struct Mount {
    std::string destination;
    std::string type;
    std::string source;
    std::vector<std::string> options;
};

enum class NamespaceType { pid, network, mount, ipc, uts, user, cgroup, time };

// "pid", "network", ... as the spec spells them.
std::string_view namespace_type_name(NamespaceType type);
// The CLONE_NEW* flag of a namespace type.
std::uint64_t namespace_clone_flag(NamespaceType type);
// The /proc/PID/ns/<name> entry of a namespace type ("net" for network, "mnt" for mount).
std::string_view namespace_proc_name(NamespaceType type);
// The type the spec spells `name` ("pid", "network", ...), or nullopt when unknown.
std::optional<NamespaceType> namespace_type_from_name(std::string_view name);
// Every namespace type, in the enum's order.
inline constexpr std::array<NamespaceType, 8> kAllNamespaceTypes = {
    NamespaceType::pid,  NamespaceType::network, NamespaceType::mount,  NamespaceType::ipc,
    NamespaceType::uts,  NamespaceType::user,    NamespaceType::cgroup, NamespaceType::time};

struct Namespace {
    NamespaceType type = NamespaceType::pid;
    std::string path;  // empty: create a new one
};

struct IdMapping {
    std::uint32_t container_id = 0;
    std::uint32_t host_id = 0;
    std::uint32_t size = 0;
};

struct Device {
    char type = 'c';  // 'c', 'u', 'b' or 'p'
    std::string path;
    std::int64_t major = 0;
    std::int64_t minor = 0;
    std::optional<std::uint32_t> file_mode;
    std::optional<std::uint32_t> uid;
    std::optional<std::uint32_t> gid;
};

struct TimeOffset {
    std::int64_t secs = 0;
    std::uint32_t nanosecs = 0;
};

struct Hook {
    std::string path;
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::optional<int> timeout;
};

struct Hooks {
    std::vector<Hook> prestart, create_runtime, create_container, start_container, poststart,
        poststop;
};

struct Linux {
    std::vector<Namespace> namespaces;
    std::vector<IdMapping> uid_mappings;
    std::vector<IdMapping> gid_mappings;
    std::vector<Device> devices;
    std::string cgroups_path;
    std::string resources_json;  // linux.resources as JSON text, "" when absent
    std::string seccomp_json;    // linux.seccomp as JSON text, "" when absent
    std::map<std::string, std::string> sysctl;
    std::vector<std::string> masked_paths;
    std::vector<std::string> readonly_paths;
    std::string rootfs_propagation;
    std::string mount_label;
    std::map<std::string, TimeOffset> time_offsets;  // "monotonic", "boottime"

    [[nodiscard]] const Namespace* find_namespace(NamespaceType type) const;
};

struct Spec {
    std::string oci_version;
    Root root;
    std::optional<Process> process;
    std::string hostname;
    std::string domainname;
    std::vector<Mount> mounts;
    Hooks hooks;
    std::map<std::string, std::string> annotations;
    Linux linux_config;  // "linux"; a config without it gets the empty defaults
};

// Parses and validates config.json text. Throws hako::Error whose message names the JSON path,
// e.g. "process.user.uid: expected unsigned integer".
Spec parse_spec(std::string_view json_text);

// Reads <bundle>/config.json and parses it; errors name the file.
Spec load_spec(const std::string& bundle_dir);

// The default config `hako spec` writes (like `runc spec`), as pretty JSON text.
// rootless: no user/network namespace assumptions of root; adds uid/gid mappings for the
// caller and drops the network namespace, as `runc spec --rootless` does.
std::string default_spec_json(bool rootless);

// The runtime-spec features document (`hako features`), as pretty JSON text. It lists only
// what hako really implements.
std::string features_json();

}  // namespace hako::spec
