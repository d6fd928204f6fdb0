#include <gtest/gtest.h>
#include <sched.h>
#include <sys/stat.h>

#include <string>

#include "process/namespace_plan.hpp"
#include "process/namespaces_ahead.hpp"
#include "sys/error.hpp"

using hako::process::flags_of;
using hako::process::NamespacesMadeAhead;
using hako::process::plan_namespaces;
using hako::spec::Linux;
using hako::spec::NamespaceType;

namespace {

Linux with(std::initializer_list<hako::spec::Namespace> namespaces) {
    Linux linux_config;
    linux_config.namespaces = namespaces;
    return linux_config;
}

ino_t inode_of(int fd) {
    struct stat st {};
    EXPECT_EQ(::fstat(fd, &st), 0);
    return st.st_ino;
}

ino_t own_namespace(const char* name) {
    struct stat st {};
    EXPECT_EQ(::stat((std::string("/proc/self/ns/") + name).c_str(), &st), 0);
    return st.st_ino;
}

bool is_root() { return ::geteuid() == 0; }

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

TEST(NamespacesMadeAhead, MakesNewNetworkAndIpcNamespacesAndLeavesTheCallerInItsOwn) {
    if (!is_root()) GTEST_SKIP() << "needs root";
    const ino_t net_before = own_namespace("net");
    const ino_t ipc_before = own_namespace("ipc");
    NamespacesMadeAhead ahead(plan_namespaces(with({{NamespaceType::mount, ""},
                                                    {NamespaceType::network, ""},
                                                    {NamespaceType::ipc, ""},
                                                    {NamespaceType::pid, ""}})));
    const auto made = ahead.take();
    ASSERT_EQ(made.size(), 2u);
    EXPECT_EQ(flags_of(made), static_cast<std::uint64_t>(CLONE_NEWNET | CLONE_NEWIPC));
    for (const auto& ns : made) {
        ASSERT_TRUE(ns.fd);
        const ino_t host = ns.flag == CLONE_NEWNET ? net_before : ipc_before;
        EXPECT_NE(inode_of(ns.fd.get()), host);
    }
    // The helper thread's unshare never touched the calling thread.
    EXPECT_EQ(own_namespace("net"), net_before);
    EXPECT_EQ(own_namespace("ipc"), ipc_before);
}

TEST(NamespacesMadeAhead, OnlyWhatThePlanCreatesWithClone) {
    if (!is_root()) GTEST_SKIP() << "needs root";
    // No network namespace in the spec: only the ipc one.
    NamespacesMadeAhead ipc_only(
        plan_namespaces(with({{NamespaceType::mount, ""}, {NamespaceType::ipc, ""}})));
    EXPECT_EQ(flags_of(ipc_only.take()), static_cast<std::uint64_t>(CLONE_NEWIPC));
    // Joined by path: the init unshares after its joins, nothing is made ahead.
    NamespacesMadeAhead joined(plan_namespaces(with({{NamespaceType::mount, ""},
                                                     {NamespaceType::network, "/proc/1/ns/net"},
                                                     {NamespaceType::ipc, ""}})));
    EXPECT_TRUE(joined.take().empty());
}

TEST(NamespacesMadeAhead, MakesTheFilesystemsTooAndHandsThemOverWithTheNamespaces) {
    if (!is_root()) GTEST_SKIP() << "needs root";
    hako::spec::Spec spec;
    spec.mounts = {{"/dev/mqueue", "mqueue", "mqueue", {}}, {"/sys", "sysfs", "sysfs", {}}};
    const auto plan =
        plan_namespaces(with({{NamespaceType::mount, ""}, {NamespaceType::network, ""},
                              {NamespaceType::ipc, ""}}));
    NamespacesMadeAhead ahead(plan, hako::fs::filesystems_to_make_ahead(spec));
    EXPECT_TRUE(ahead.take_filesystems().empty());  // not before the namespaces
    EXPECT_EQ(ahead.take().size(), 2u);
    const auto filesystems = ahead.take_filesystems();
    ASSERT_EQ(filesystems.size(), 2u);
    for (const auto& filesystem : filesystems) EXPECT_TRUE(filesystem.made);
    EXPECT_TRUE(ahead.take_filesystems().empty());

    // Without namespaces made ahead, filesystems made in hako's own would be wrong: none.
    NamespacesMadeAhead with_user(
        plan_namespaces(with({{NamespaceType::mount, ""}, {NamespaceType::user, ""},
                              {NamespaceType::network, ""}})),
        hako::fs::filesystems_to_make_ahead(spec));
    EXPECT_TRUE(with_user.take().empty());
    EXPECT_TRUE(with_user.take_filesystems().empty());
}

TEST(NamespacesMadeAhead, NothingWithAUserNamespace) {
    // They would belong to hako's user namespace instead of the container's.
    NamespacesMadeAhead ahead(plan_namespaces(with({{NamespaceType::mount, ""},
                                                    {NamespaceType::user, ""},
                                                    {NamespaceType::network, ""}})));
    EXPECT_TRUE(ahead.take().empty());
}

TEST(NamespacesMadeAhead, TakenTwiceGivesNothingMoreAndUntakenIsReleased) {
    if (!is_root()) GTEST_SKIP() << "needs root";
    const auto plan =
        plan_namespaces(with({{NamespaceType::mount, ""}, {NamespaceType::network, ""}}));
    NamespacesMadeAhead ahead(plan);
    EXPECT_EQ(ahead.take().size(), 1u);
    EXPECT_TRUE(ahead.take().empty());
    { NamespacesMadeAhead never_taken(plan); }  // joins its helper, closes the fd
}
