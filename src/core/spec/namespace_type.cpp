#include <sched.h>

#include <algorithm>
#include <array>

#include "spec/spec.hpp"
#include "sys/error.hpp"

namespace hako::spec {
namespace {

struct NamespaceInfo {
    NamespaceType type;
    std::string_view spec_name;  // as config.json spells it
    std::string_view proc_name;  // the /proc/PID/ns entry, which differs for net and mnt
    std::uint64_t clone_flag;
};

// Indexed by the enum's value, so a lookup by type is a plain index.
constexpr std::array<NamespaceInfo, 8> kNamespaces = {{
    {NamespaceType::pid, "pid", "pid", CLONE_NEWPID},
    {NamespaceType::network, "network", "net", CLONE_NEWNET},
    {NamespaceType::mount, "mount", "mnt", CLONE_NEWNS},
    {NamespaceType::ipc, "ipc", "ipc", CLONE_NEWIPC},
    {NamespaceType::uts, "uts", "uts", CLONE_NEWUTS},
    {NamespaceType::user, "user", "user", CLONE_NEWUSER},
    {NamespaceType::cgroup, "cgroup", "cgroup", CLONE_NEWCGROUP},
    {NamespaceType::time, "time", "time", CLONE_NEWTIME},
}};

constexpr bool table_matches_enum() {
    for (std::size_t i = 0; i < kNamespaces.size(); ++i) {
        if (static_cast<std::size_t>(kNamespaces[i].type) != i) return false;
        if (kAllNamespaceTypes[i] != kNamespaces[i].type) return false;
    }
    return true;
}
static_assert(table_matches_enum(), "kNamespaces must be in NamespaceType order");
static_assert(CLONE_NEWTIME == 0x80);

const NamespaceInfo& info(NamespaceType type) {
    const auto index = static_cast<std::size_t>(type);
    if (index >= kNamespaces.size()) fail("invalid namespace type {}", index);
    return kNamespaces[index];
}

}  // namespace

std::string_view namespace_type_name(NamespaceType type) {
    return info(type).spec_name;
}

std::uint64_t namespace_clone_flag(NamespaceType type) {
    return info(type).clone_flag;
}

std::string_view namespace_proc_name(NamespaceType type) {
    return info(type).proc_name;
}

std::optional<NamespaceType> namespace_type_from_name(std::string_view name) {
    const auto* it = std::find_if(kNamespaces.begin(), kNamespaces.end(),
                                  [name](const NamespaceInfo& ns) { return ns.spec_name == name; });
    if (it == kNamespaces.end()) return std::nullopt;
    return it->type;
}

const Namespace* Linux::find_namespace(NamespaceType type) const {
    const auto it = std::find_if(namespaces.begin(), namespaces.end(),
                                 [type](const Namespace& ns) { return ns.type == type; });
    return it == namespaces.end() ? nullptr : &*it;
}

}  // namespace hako::spec
