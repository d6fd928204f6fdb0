#include <gtest/gtest.h>

#include "cgroups/layout.hpp"
#include "sys/error.hpp"

using hako::cgroups::Hierarchy;
using hako::cgroups::LayoutKind;
using hako::cgroups::own_cgroup_path;
using hako::cgroups::parse_layout;
using Strings = std::vector<std::string>;

namespace {

constexpr std::string_view kPureV2 =
    "22 1 259:1 / / rw,relatime shared:1 - ext4 /dev/root rw\n"
    "23 22 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs sysfs rw\n"
    "29 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n"
    "30 22 0:5 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n";

constexpr std::string_view kPureV1 =
    "25 23 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
    "26 25 0:23 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:10 - cgroup "
    "cgroup rw,xattr,release_agent=/usr/lib/systemd/systemd-cgroups-agent,name=systemd\n"
    "29 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:13 - "
    "cgroup cgroup rw,cpu,cpuacct\n"
    "30 25 0:27 / /sys/fs/cgroup/net_cls,net_prio rw,relatime shared:14 master:3 - cgroup "
    "cgroup rw,net_cls,net_prio\n"
    "31 25 0:28 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:15 - cgroup "
    "cgroup rw,memory\n"
    "32 25 0:29 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:16 - cgroup "
    "cgroup rw,cpuset,clone_children\n"
    // The memory hierarchy again (same superblock 0:28) and a bind mount of a sub-cgroup.
    "40 22 0:28 / /mnt/memory rw,relatime - cgroup cgroup rw,memory\n"
    "41 22 0:29 /docker/abc /mnt/cpuset rw,relatime - cgroup cgroup rw,cpuset\n";

// This CI machine: separately mounted v1 controllers plus a cgroup2 "unified" mount.
constexpr std::string_view kHybrid =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
    "37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
    "38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

}  // namespace

TEST(CgroupsLayout, PureV2) {
    auto layout = parse_layout(kPureV2, false);
    EXPECT_EQ(layout.kind, LayoutKind::v2);
    ASSERT_EQ(layout.hierarchies.size(), 1u);
    EXPECT_EQ(layout.hierarchies[0].mount_point, "/sys/fs/cgroup");
    EXPECT_TRUE(layout.hierarchies[0].unified);
    ASSERT_NE(layout.unified(), nullptr);
    EXPECT_EQ(layout.find_v1("memory"), nullptr);
    EXPECT_EQ(hako::cgroups::layout_name(layout.kind), "v2");
}

TEST(CgroupsLayout, PureV1WithCoMountedControllers) {
    auto layout = parse_layout(kPureV1, false);
    EXPECT_EQ(layout.kind, LayoutKind::v1);
    EXPECT_EQ(layout.unified(), nullptr);
    ASSERT_EQ(layout.hierarchies.size(), 5u);
    EXPECT_EQ(layout.hierarchies[0].mount_point, "/sys/fs/cgroup/systemd");
    EXPECT_EQ(layout.hierarchies[0].controllers, Strings{"name=systemd"});
    EXPECT_EQ(layout.hierarchies[1].mount_point, "/sys/fs/cgroup/cpu,cpuacct");
    EXPECT_EQ(layout.hierarchies[1].controllers, (Strings{"cpu", "cpuacct"}));
    EXPECT_EQ(layout.hierarchies[2].controllers, (Strings{"net_cls", "net_prio"}));
    EXPECT_EQ(layout.hierarchies[3].mount_point, "/sys/fs/cgroup/memory");
    EXPECT_EQ(layout.hierarchies[4].controllers, Strings{"cpuset"});
    for (const auto& hierarchy : layout.hierarchies) EXPECT_FALSE(hierarchy.unified);
    ASSERT_NE(layout.find_v1("cpuacct"), nullptr);
    EXPECT_EQ(layout.find_v1("cpuacct")->mount_point, "/sys/fs/cgroup/cpu,cpuacct");
    EXPECT_EQ(layout.find_v1("memory")->mount_point, "/sys/fs/cgroup/memory");
    EXPECT_EQ(layout.find_v1("pids"), nullptr);
}

TEST(CgroupsLayout, HybridOfThisMachine) {
    auto layout = parse_layout(kHybrid, false);
    EXPECT_EQ(layout.kind, LayoutKind::hybrid);
    EXPECT_EQ(hako::cgroups::layout_name(layout.kind), "hybrid");
    ASSERT_EQ(layout.hierarchies.size(), 10u);
    Strings names;
    for (const auto& hierarchy : layout.hierarchies) names.push_back(hierarchy.mount_point);
    EXPECT_EQ(names,
              (Strings{"/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpuacct", "/sys/fs/cgroup/cpuset",
                       "/sys/fs/cgroup/memory", "/sys/fs/cgroup/devices", "/sys/fs/cgroup/freezer",
                       "/sys/fs/cgroup/blkio", "/sys/fs/cgroup/pids", "/sys/fs/cgroup/systemd",
                       "/sys/fs/cgroup/unified"}));
    EXPECT_EQ(layout.hierarchies[8].controllers, Strings{"name=systemd"});
    EXPECT_TRUE(layout.hierarchies[9].unified);
    EXPECT_EQ(layout.unified(), &layout.hierarchies[9]);
    EXPECT_EQ(layout.find_v1("freezer")->mount_point, "/sys/fs/cgroup/freezer");
}

TEST(CgroupsLayout, UnifiedListedFirstStillComesLast) {
    std::string text =
        "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n"
        "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n";
    auto layout = parse_layout(text, false);
    EXPECT_EQ(layout.kind, LayoutKind::hybrid);
    ASSERT_EQ(layout.hierarchies.size(), 2u);
    EXPECT_EQ(layout.hierarchies[0].mount_point, "/sys/fs/cgroup/pids");
    EXPECT_TRUE(layout.hierarchies[1].unified);
}

TEST(CgroupsLayout, EscapedMountPoint) {
    std::string text =
        "50 22 0:40 / /mnt/my\\040cgroups\\134x rw,relatime - cgroup cgroup rw,pids\n"
        "51 22 0:41 / /mnt/v2\\011tab rw,relatime - cgroup2 cgroup2 rw\n";
    auto layout = parse_layout(text, false);
    ASSERT_EQ(layout.hierarchies.size(), 2u);
    EXPECT_EQ(layout.hierarchies[0].mount_point, "/mnt/my cgroups\\x");
    EXPECT_EQ(layout.hierarchies[1].mount_point, "/mnt/v2\ttab");
}

TEST(CgroupsLayout, NoCgroupMounts) {
    auto layout = parse_layout("22 1 259:1 / / rw,relatime shared:1 - ext4 /dev/root rw\n", false);
    EXPECT_TRUE(layout.hierarchies.empty());
    EXPECT_EQ(layout.unified(), nullptr);
}

TEST(CgroupsLayout, ReadsUnifiedControllersOfThisHost) {
    auto layout = hako::cgroups::detect_layout();
    const Hierarchy* unified = layout.unified();
    if (unified == nullptr) GTEST_SKIP() << "no cgroup2 mount";
    // cgroup.controllers of the root lists what the hierarchy offers; never parse garbage.
    for (const auto& controller : unified->controllers) {
        EXPECT_FALSE(controller.empty());
        EXPECT_EQ(controller.find_first_of(" \n"), std::string::npos);
    }
}

TEST(CgroupsOwnPath, MatchesByControllerSetAndUnifiedLine) {
    std::string text =
        "9:name=systemd:/\n"
        "4:memory:/a/b\n"
        "2:cpuacct,cpu:/c\n"
        "3:pids:/with:colon\n"
        "0::/x/y\n";
    EXPECT_EQ(own_cgroup_path(text, Hierarchy{"/sys/fs/cgroup/memory", {"memory"}, false}), "/a/b");
    EXPECT_EQ(own_cgroup_path(text, Hierarchy{"/c", {"cpu", "cpuacct"}, false}), "/c");
    EXPECT_EQ(own_cgroup_path(text, Hierarchy{"/s", {"name=systemd"}, false}), "/");
    EXPECT_EQ(own_cgroup_path(text, Hierarchy{"/p", {"pids"}, false}), "/with:colon");
    EXPECT_EQ(own_cgroup_path(text, Hierarchy{"/sys/fs/cgroup", {"memory"}, true}), "/x/y");
    // cpu alone is not the cpu,cpuacct hierarchy.
    EXPECT_THROW(own_cgroup_path(text, Hierarchy{"/cpu", {"cpu"}, false}), hako::Error);
    try {
        own_cgroup_path("4:memory:/a\n", Hierarchy{"/sys/fs/cgroup/unified", {}, true});
        FAIL() << "no throw";
    } catch (const hako::Error& e) {
        EXPECT_STREQ(e.what(),
                     "/proc/self/cgroup: no entry for the cgroup hierarchy at "
                     "/sys/fs/cgroup/unified");
    }
}
