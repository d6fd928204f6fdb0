#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <vector>

#include "fs/rootfs.hpp"

using hako::fs::FilesystemAhead;
using hako::fs::filesystems_to_make_ahead;
using hako::fs::make_filesystems_ahead;

namespace {

hako::spec::Spec with_mounts(std::vector<hako::spec::Mount> mounts) {
    hako::spec::Spec spec;
    spec.mounts = std::move(mounts);
    return spec;
}

std::vector<std::size_t> indexes(const std::vector<FilesystemAhead>& filesystems) {
    std::vector<std::size_t> result;
    for (const auto& filesystem : filesystems) result.push_back(filesystem.mount_index);
    return result;
}

}  // namespace

TEST(FilesystemsAhead, OnlyNewFilesystemsThatDependOnNothingElse) {
    const auto spec = with_mounts({
        {"/proc", "proc", "proc", {}},                           // needs the pid namespace
        {"/dev", "tmpfs", "tmpfs", {"nosuid", "mode=755"}},      // yes
        {"/dev/pts", "devpts", "devpts", {"newinstance"}},       // yes
        {"/run", "tmpfs", "tmpfs", {"tmpcopyup"}},               // fills from the rootfs
        {"/tmp", "tmpfs", "tmpfs", {"rprivate"}},                // propagation: after attach
        {"/etc/x", "", "/etc/hosts", {"bind"}},                  // a bind
        {"/sys", "sysfs", "sysfs", {"ro"}},                      // yes
        {"/dev/mqueue", "mqueue", "mqueue", {}},                 // yes
        {"/sys/fs/cgroup", "cgroup", "cgroup", {}},              // needs the cgroups
        {"/bad", "tmpfs", "tmpfs", {"idmap", "mode=755"}},       // refused: the init says so
        {"/home", "tmpfs", "tmpfs", {"nosuid"}},                 // mode of the covered dir
    });
    const auto filesystems = filesystems_to_make_ahead(spec);
    EXPECT_EQ(indexes(filesystems), (std::vector<std::size_t>{1, 2, 6, 7}));
    EXPECT_EQ(filesystems[0].source, "tmpfs");
    EXPECT_FALSE(filesystems[0].made);
}

TEST(FilesystemsAhead, MadeAsDetachedMountsAndFailuresLeftToTheInit) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    auto filesystems = filesystems_to_make_ahead(with_mounts({
        {"/dev", "tmpfs", "tmpfs", {"mode=755", "size=64k"}},
        {"/a", "tmpfs", "tmpfs", {"mode=700", "size=not-a-size"}},
        {"/sys", "sysfs", "sysfs", {"ro"}},
    }));
    ASSERT_EQ(filesystems.size(), 3u);
    make_filesystems_ahead(filesystems);
    struct statfs fs {};
    ASSERT_TRUE(filesystems[0].made);
    ASSERT_EQ(::fstatfs(filesystems[0].made.get(), &fs), 0);
    EXPECT_EQ(fs.f_type, TMPFS_MAGIC);
    EXPECT_EQ(fs.f_blocks, 16u);  // size=64k in 4 KiB blocks: the options reached the kernel
    EXPECT_FALSE(filesystems[1].made);  // the kernel refused it; the init makes it and says why
    ASSERT_TRUE(filesystems[2].made);
    ASSERT_EQ(::fstatfs(filesystems[2].made.get(), &fs), 0);
    EXPECT_EQ(fs.f_type, SYSFS_MAGIC);
    EXPECT_NE(fs.f_flags & ST_RDONLY, 0u);
}
