#include <gtest/gtest.h>
#include <sched.h>

#include "process/namespace_plan.hpp"
#include "sys/error.hpp"

using hako::process::plan_namespaces;
using hako::spec::Linux;
using hako::spec::NamespaceType;

namespace {

Linux with(std::initializer_list<hako::spec::Namespace> namespaces) {
    Linux linux_config;
    linux_config.namespaces = namespaces;
    return linux_config;
}

}  // namespace

TEST(NamespacePlan, AllNewNamespacesGoIntoOneClone) {
    const auto plan = plan_namespaces(with({{NamespaceType::pid, ""},
                                            {NamespaceType::network, ""},
                                            {NamespaceType::mount, ""},
                                            {NamespaceType::user, ""},
                                            {NamespaceType::cgroup, ""},
                                            {NamespaceType::time, ""}}));
    EXPECT_EQ(plan.clone_flags, static_cast<std::uint64_t>(CLONE_NEWPID | CLONE_NEWNET |
                                                           CLONE_NEWNS | CLONE_NEWUSER));
    EXPECT_EQ(plan.unshare_flags, 0u);
    EXPECT_TRUE(plan.new_cgroup);  // unshared by the init once inside its cgroups
    EXPECT_TRUE(plan.new_time);    // made by the parent for its child
    EXPECT_TRUE(plan.joins.empty());
}

TEST(NamespacePlan, JoinsDeferCreationAndOrderUserFirstMountLast) {
    const auto plan = plan_namespaces(with({{NamespaceType::mount, "/proc/1/ns/mnt"},
                                            {NamespaceType::network, "/proc/1/ns/net"},
                                            {NamespaceType::user, "/proc/1/ns/user"},
                                            {NamespaceType::ipc, ""}}));
    EXPECT_EQ(plan.clone_flags, 0u);
    EXPECT_EQ(plan.unshare_flags, static_cast<std::uint64_t>(CLONE_NEWIPC));
    ASSERT_EQ(plan.joins.size(), 3u);
    EXPECT_EQ(plan.joins.front().type, NamespaceType::user);
    EXPECT_EQ(plan.joins.back().type, NamespaceType::mount);
}

TEST(NamespacePlan, PidPathIsJoinedByTheParent) {
    const auto plan = plan_namespaces(
        with({{NamespaceType::pid, "/proc/1/ns/pid"}, {NamespaceType::mount, ""}}));
    EXPECT_EQ(plan.pid_join_path, "/proc/1/ns/pid");
    EXPECT_EQ(plan.clone_flags, static_cast<std::uint64_t>(CLONE_NEWNS));
}

TEST(NamespacePlan, RequiresAMountNamespace) {
    EXPECT_THROW(plan_namespaces(with({{NamespaceType::pid, ""}})), hako::Error);
}

TEST(NamespacePlan, RefusesNewPidWithUserAndJoins) {
    EXPECT_THROW(plan_namespaces(with({{NamespaceType::pid, ""},
                                       {NamespaceType::user, "/proc/1/ns/user"},
                                       {NamespaceType::mount, ""}})),
                 hako::Error);
}
