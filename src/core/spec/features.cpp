// The runtime-spec features document (features.md). It must list only what hako really does:
// higher layers (containerd, Kubernetes) enable behaviour from it.
#include <linux/capability.h>

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

#include "security/seccomp_features.hpp"
#include "spec/spec.hpp"

namespace hako::spec {
namespace {

// The options fs::parse_mount_options recognises itself (its table, less the ones it refuses);
// anything else it hands to the filesystem as an fsconfig parameter, which hako cannot vouch
// for. spec_default_test checks each of these really is recognised.
constexpr auto kMountOptions = std::to_array<std::string_view>({
    "async",       "bind",           "defaults",      "dev",          "diratime",
    "exec",        "loud",           "noatime",       "nodev",        "nodiratime",
    "noexec",      "norelatime",     "nostrictatime", "nosuid",       "nosymfollow",
    "private",     "rbind",          "rdev",          "rdiratime",    "relatime",
    "rexec",       "rnoatime",       "rnodev",        "rnodiratime",  "rnoexec",
    "rnorelatime", "rnostrictatime", "rnosuid",       "rnosymfollow", "ro",
    "rprivate",    "rrelatime",      "rro",           "rrw",          "rshared",
    "rslave",      "rstrictatime",   "rsuid",         "rsymfollow",   "runbindable",
    "rw",          "shared",         "silent",        "slave",        "strictatime",
    "suid",        "symfollow",      "tmpcopyup",     "unbindable",
});
static_assert(kMountOptions.size() == 49);
static_assert(std::is_sorted(kMountOptions.begin(), kMountOptions.end()));

// Capability numbers 0 (CAP_CHOWN) through 40 (CAP_CHECKPOINT_RESTORE), in number order.
constexpr auto kCapabilities = std::to_array<std::string_view>({
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
});
static_assert(kCapabilities.size() == CAP_CHECKPOINT_RESTORE + 1);
static_assert(kCapabilities[CAP_NET_BIND_SERVICE] == "CAP_NET_BIND_SERVICE");
static_assert(kCapabilities[CAP_AUDIT_WRITE] == "CAP_AUDIT_WRITE");
static_assert(kCapabilities[CAP_SYS_ADMIN] == "CAP_SYS_ADMIN");
static_assert(kCapabilities[CAP_PERFMON] == "CAP_PERFMON");

}  // namespace

std::string features_json() {
    using ordered_json = nlohmann::ordered_json;
    ordered_json namespaces = ordered_json::array();
    for (NamespaceType type : kAllNamespaceTypes) namespaces.push_back(namespace_type_name(type));
    const ordered_json disabled = {{"enabled", false}};
    const ordered_json features = {
        {"ociVersionMin", "1.0.0"},
        {"ociVersionMax", "1.3.0"},
        {"hooks",
         {"prestart", "createRuntime", "createContainer", "startContainer", "poststart",
          "poststop"}},
        {"mountOptions", kMountOptions},
        {"linux",
         {
             {"namespaces", std::move(namespaces)},
             {"capabilities", kCapabilities},
             {"cgroup",
              {{"v1", true},
               {"v2", true},
               {"systemd", false},
               {"systemdUser", false},
               {"rdma", true}}},  // rdma.max is written where the kernel has it
             // Not implemented yet; each flips to true (with its details) when it lands.
             {"seccomp", security::seccomp_features()},
             // Applied where the host has the module (security/lsm.cpp); as runc reports,
             // this says what the runtime supports, not what this host enables.
             {"apparmor", {{"enabled", true}}},
             {"selinux", {{"enabled", true}}},
             {"intelRdt", disabled},
             {"mountExtensions", {{"idmap", disabled}}},
         }},
        {"annotations", {{"io.github.hako.version", HAKO_VERSION}}},
    };
    return features.dump(2) + "\n";
}

}  // namespace hako::spec
