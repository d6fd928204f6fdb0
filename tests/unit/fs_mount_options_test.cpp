#include <gtest/gtest.h>
#include <sys/mount.h>

#include <string>
#include <utility>
#include <vector>

#include "fs/mount_api.hpp"
#include "sys/error.hpp"

using hako::fs::parse_mount_options;

namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

std::string error_of(const std::vector<std::string>& options) {
    try {
        parse_mount_options(options);
    } catch (const hako::Error& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST(MountOptions, EmptyMeansDefaults) {
    const auto o = parse_mount_options({});
    EXPECT_FALSE(o.bind);
    EXPECT_FALSE(o.recursive);
    EXPECT_EQ(o.attr_set, 0U);
    EXPECT_EQ(o.attr_clr, 0U);
    EXPECT_FALSE(o.recursive_attrs);
    EXPECT_EQ(o.propagation, 0U);
    EXPECT_TRUE(o.fs_params.empty());
}

TEST(MountOptions, SecurityFlagsAreAttributes) {
    const auto o = parse_mount_options({"ro", "nosuid", "nodev", "noexec", "nodiratime", "nosymfollow"});
    EXPECT_EQ(o.attr_set, std::uint64_t{MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                        MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NODIRATIME |
                                        MOUNT_ATTR_NOSYMFOLLOW});
    EXPECT_EQ(o.attr_clr, 0U);
    EXPECT_FALSE(o.recursive_attrs);
    EXPECT_TRUE(o.fs_params.empty());
}

TEST(MountOptions, LaterOptionWins) {
    const auto o = parse_mount_options({"ro", "nosuid", "rw", "suid", "dev", "exec", "diratime"});
    EXPECT_EQ(o.attr_set, 0U);
    EXPECT_EQ(o.attr_clr, std::uint64_t{MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                        MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NODIRATIME});
    const auto back = parse_mount_options({"rw", "ro"});
    EXPECT_EQ(back.attr_set, std::uint64_t{MOUNT_ATTR_RDONLY});
    EXPECT_EQ(back.attr_clr, 0U);
}

TEST(MountOptions, AtimeModeClearsTheWholeAtimeField) {
    const auto noatime = parse_mount_options({"noatime"});
    EXPECT_EQ(noatime.attr_set, std::uint64_t{MOUNT_ATTR_NOATIME});
    EXPECT_EQ(noatime.attr_clr, std::uint64_t{MOUNT_ATTR__ATIME});

    const auto strict = parse_mount_options({"noatime", "strictatime"});
    EXPECT_EQ(strict.attr_set, std::uint64_t{MOUNT_ATTR_STRICTATIME});
    EXPECT_EQ(strict.attr_clr, std::uint64_t{MOUNT_ATTR__ATIME});

    const auto relatime = parse_mount_options({"strictatime", "relatime"});
    EXPECT_EQ(relatime.attr_set, std::uint64_t{MOUNT_ATTR_RELATIME});
    EXPECT_EQ(relatime.attr_clr, std::uint64_t{MOUNT_ATTR__ATIME});
}

TEST(MountOptions, NegatedAtimeModeCancelsOnlyThatMode) {
    const auto cancelled = parse_mount_options({"strictatime", "nostrictatime"});
    EXPECT_EQ(cancelled.attr_set, 0U);
    EXPECT_EQ(cancelled.attr_clr, 0U);

    const auto kept = parse_mount_options({"noatime", "norelatime"});
    EXPECT_EQ(kept.attr_set, std::uint64_t{MOUNT_ATTR_NOATIME});
    EXPECT_EQ(kept.attr_clr, std::uint64_t{MOUNT_ATTR__ATIME});

    const auto alone = parse_mount_options({"norelatime"});
    EXPECT_EQ(alone.attr_set, 0U);
    EXPECT_EQ(alone.attr_clr, 0U);
}

TEST(MountOptions, RecursiveAttributes) {
    const auto o = parse_mount_options({"rbind", "rro", "rnosuid", "rnoexec", "rdev"});
    EXPECT_TRUE(o.recursive_attrs);
    EXPECT_EQ(o.attr_set, std::uint64_t{MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC});
    EXPECT_EQ(o.attr_clr, std::uint64_t{MOUNT_ATTR_NODEV});

    const auto top_only = parse_mount_options({"rbind", "ro"});
    EXPECT_FALSE(top_only.recursive_attrs);
}

TEST(MountOptions, BindAndRbind) {
    const auto bind = parse_mount_options({"bind"});
    EXPECT_TRUE(bind.bind);
    EXPECT_FALSE(bind.recursive);
    const auto rbind = parse_mount_options({"rbind"});
    EXPECT_TRUE(rbind.bind);
    EXPECT_TRUE(rbind.recursive);
}

TEST(MountOptions, Propagation) {
    const struct {
        const char* option;
        std::uint64_t propagation;
        bool recursive;
    } cases[] = {
        {"private", MS_PRIVATE, false},       {"rprivate", MS_PRIVATE, true},
        {"shared", MS_SHARED, false},         {"rshared", MS_SHARED, true},
        {"slave", MS_SLAVE, false},           {"rslave", MS_SLAVE, true},
        {"unbindable", MS_UNBINDABLE, false}, {"runbindable", MS_UNBINDABLE, true},
    };
    for (const auto& c : cases) {
        const auto o = parse_mount_options({c.option});
        EXPECT_EQ(o.propagation, c.propagation) << c.option;
        EXPECT_EQ(o.recursive_propagation, c.recursive) << c.option;
        EXPECT_EQ(o.attr_set, 0U) << c.option;
    }
    EXPECT_EQ(parse_mount_options({"rshared", "slave"}).propagation, std::uint64_t{MS_SLAVE});
    EXPECT_FALSE(parse_mount_options({"rshared", "slave"}).recursive_propagation);
}

TEST(MountOptions, UnknownOptionsBecomeFilesystemParameters) {
    const auto o = parse_mount_options(
        {"mode=755", "size=1m", "newinstance", "ptmxmode=0666", "opt=a=b", "sync", "dirsync"});
    const Params expected = {{"mode", "755"},     {"size", "1m"},     {"newinstance", ""},
                             {"ptmxmode", "0666"}, {"opt", "a=b"},    {"sync", ""},
                             {"dirsync", ""}};
    EXPECT_EQ(o.fs_params, expected);
    EXPECT_EQ(o.attr_set, 0U);
}

TEST(MountOptions, IgnoredOptions) {
    const auto o = parse_mount_options({"defaults", "async", "silent", "loud", ""});
    EXPECT_EQ(o.attr_set, 0U);
    EXPECT_EQ(o.attr_clr, 0U);
    EXPECT_TRUE(o.fs_params.empty());
}

TEST(MountOptions, TmpCopyUpIsRecognised) {
    const auto o = parse_mount_options({"rw", "nosuid", "tmpcopyup"});
    EXPECT_TRUE(o.copy_up);
    EXPECT_TRUE(o.fs_params.empty());
    EXPECT_FALSE(parse_mount_options({"rw"}).copy_up);
}

TEST(MountOptions, UnsupportedOptionsAreNamed) {
    EXPECT_EQ(error_of({"bind", "idmap"}), "mount option \"idmap\" is not supported yet");
    EXPECT_EQ(error_of({"ridmap"}), "mount option \"ridmap\" is not supported yet");
    EXPECT_EQ(error_of({"remount", "ro"}), "mount option \"remount\" is not supported yet");
}
