#include "process/namespace_plan.hpp"

#include <sched.h>

#include <algorithm>

#include "sys/error.hpp"

namespace hako::process {
namespace {

// Joins happen in this order: the user namespace first, so the others are joined with its
// privileges; the mount namespace last, since it changes what later paths mean.
int join_rank(spec::NamespaceType type) {
    switch (type) {
        case spec::NamespaceType::user: return 0;
        case spec::NamespaceType::mount: return 9;
        default: return 5;
    }
}

}  // namespace

NamespacePlan plan_namespaces(const spec::Linux& linux_config) {
    NamespacePlan plan;
    std::uint64_t created = 0;
    for (const auto& ns : linux_config.namespaces) {
        using spec::NamespaceType;
        if (ns.type == NamespaceType::user) plan.has_user = true;
        if (ns.type == NamespaceType::mount) plan.has_mount = true;
        if (ns.type == NamespaceType::uts) plan.has_uts = true;
        switch (ns.type) {
            case NamespaceType::pid:
                if (ns.path.empty()) {
                    plan.clone_flags |= CLONE_NEWPID;
                } else {
                    plan.pid_join_path = ns.path;
                }
                break;
            case NamespaceType::time:
                if (ns.path.empty()) {
                    plan.new_time = true;
                } else {
                    plan.joins.push_back({ns.type, ns.path});
                }
                break;
            case NamespaceType::cgroup:
                if (ns.path.empty()) {
                    plan.new_cgroup = true;
                } else {
                    plan.joins.push_back({ns.type, ns.path});
                }
                break;
            default:
                if (ns.path.empty()) {
                    created |= spec::namespace_clone_flag(ns.type);
                    if (ns.type == NamespaceType::user) plan.new_user = true;
                } else {
                    plan.joins.push_back({ns.type, ns.path});
                }
        }
    }
    if (!plan.has_mount) fail("linux.namespaces: a mount namespace is required");
    std::stable_sort(plan.joins.begin(), plan.joins.end(),
                     [](const NamespaceJoin& a, const NamespaceJoin& b) {
                         return join_rank(a.type) < join_rank(b.type);
                     });
    const bool joins_before_create =
        std::any_of(plan.joins.begin(), plan.joins.end(), [](const NamespaceJoin& join) {
            return join.type != spec::NamespaceType::time &&
                   join.type != spec::NamespaceType::cgroup;
        });
    if (joins_before_create) {
        plan.unshare_flags = created;
        // The pid namespace clone3 makes belongs to hako's user namespace; a user namespace the
        // init enters later could not mount its /proc. That needs a second fork (not yet).
        if (plan.has_user && (plan.clone_flags & CLONE_NEWPID))
            fail("linux.namespaces: a new pid namespace together with a user namespace and "
                 "namespaces joined by path is not supported yet");
    } else {
        plan.clone_flags |= created;
    }
    return plan;
}

}  // namespace hako::process
