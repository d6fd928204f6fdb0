#pragma once
// How each namespace of the spec comes to be.
//
// The fast path, no namespace joined by path, is one clone3 with every CLONE_NEW* flag. When
// the init must join a user, network, ipc, uts or mount namespace by path, the namespaces it
// creates must come after the join (a new user namespace would otherwise lose the right to
// join host-owned ones), so they move from clone3 to an unshare() in the init. pid and time
// namespaces apply to children only; the parent enters them for its child (setns to a pid
// namespace path, unshare(CLONE_NEWTIME) with offsets written before the child exists), so no
// second fork is ever needed. A new cgroup namespace is unshared by the init once the parent
// has placed it in every hierarchy, so its root is the container's own cgroup.
#include <cstdint>
#include <string>
#include <vector>

#include "spec/spec.hpp"

namespace hako::process {

struct NamespaceJoin {
    spec::NamespaceType type;
    std::string path;
};

struct NamespacePlan {
    std::uint64_t clone_flags = 0;    // created by clone3
    std::uint64_t unshare_flags = 0;  // created by the init after its joins
    std::vector<NamespaceJoin> joins;  // joined by the init: user first, mount last
    std::string pid_join_path;         // joined by the parent for its child
    bool new_time = false;             // created by the parent for its child
    bool new_cgroup = false;           // unshared by the init inside its cgroups
    bool has_user = false;             // new or joined
    bool new_user = false;
    bool has_mount = false;
    bool has_uts = false;
};

// Throws for combinations hako cannot build, naming the field (no mount namespace; a new pid
// namespace owned by a user namespace created after a join).
NamespacePlan plan_namespaces(const spec::Linux& linux_config);

}  // namespace hako::process
