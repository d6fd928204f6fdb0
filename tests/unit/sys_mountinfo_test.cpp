#include <gtest/gtest.h>

#include "sys/mountinfo.hpp"

using hako::sys::parse_mountinfo;

TEST(MountInfo, ParsesFieldsOptionalTagsAndEscapes) {
    const auto entries = parse_mountinfo(
        "27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,discard\n"
        "42 27 254:0 /tmp/a\\040b /mnt/x\\134y rw master:3 shared:7 - ext4 /dev/vda rw\n"
        "garbage line\n"
        "50 27 0:5 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n");
    ASSERT_EQ(entries.size(), 3u);
    EXPECT_EQ(entries[0].mount_point, "/");
    EXPECT_TRUE(entries[0].is_shared());
    EXPECT_EQ(entries[1].root, "/tmp/a b");
    EXPECT_EQ(entries[1].mount_point, "/mnt/x\\y");
    EXPECT_EQ(entries[1].optional_fields, (std::vector<std::string>{"master:3", "shared:7"}));
    EXPECT_EQ(entries[2].fs_type, "cgroup2");
    EXPECT_FALSE(entries[2].is_shared());
    EXPECT_EQ(entries[2].device, "0:5");
}

TEST(MountInfo, ReadsThisProcess) {
    const auto entries = hako::sys::read_mountinfo();
    ASSERT_FALSE(entries.empty());
    EXPECT_EQ(entries.front().parent_id.empty(), false);
}
