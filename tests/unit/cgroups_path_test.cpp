#include <gtest/gtest.h>

#include "cgroups/manager.hpp"
#include "sys/error.hpp"

using hako::cgroups::resolve_cgroups_path;

namespace {

std::string error_of(const std::string& path, const std::string& own = "/own") {
    try {
        resolve_cgroups_path(path, "id", own);
    } catch (const hako::Error& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST(CgroupsPath, AbsoluteIsTakenAsItIsCleaned) {
    EXPECT_EQ(resolve_cgroups_path("/a/b", "id", "/own"), "/a/b");
    EXPECT_EQ(resolve_cgroups_path("//a/./b//c/", "id", "/own"), "/a/b/c");
    EXPECT_EQ(resolve_cgroups_path("/a:b", "id", "/own"), "/a:b");
}

TEST(CgroupsPath, RelativeJoinsOwnCgroup) {
    EXPECT_EQ(resolve_cgroups_path("rel/x", "id", "/own/p"), "/own/p/rel/x");
    EXPECT_EQ(resolve_cgroups_path("x", "id", "/"), "/x");
    EXPECT_EQ(resolve_cgroups_path("a:b", "id", "/own"), "/own/a:b");
}

TEST(CgroupsPath, EmptyMeansId) {
    EXPECT_EQ(resolve_cgroups_path("", "abc", "/own"), "/own/abc");
    EXPECT_EQ(resolve_cgroups_path("", "abc", "/"), "/abc");
}

TEST(CgroupsPath, RejectsDotDot) {
    EXPECT_EQ(error_of("/a/../b"), "linux.cgroupsPath \"/a/../b\": must not contain \"..\"");
    EXPECT_EQ(error_of(".."), "linux.cgroupsPath \"..\": must not contain \"..\"");
    EXPECT_EQ(error_of("x/.."), "linux.cgroupsPath \"x/..\": must not contain \"..\"");
    EXPECT_EQ(resolve_cgroups_path("/a/..b/c..", "id", "/"), "/a/..b/c..");
}

TEST(CgroupsPath, RejectsSystemdSyntax) {
    EXPECT_EQ(error_of("system.slice:hako:abc"),
              "linux.cgroupsPath \"system.slice:hako:abc\": systemd cgroup paths "
              "(slice:prefix:name) need --systemd-cgroup, which hako does not support yet");
    EXPECT_NE(error_of(":hako:abc"), "no error");
}

TEST(CgroupsPath, RejectsTheRootCgroup) {
    EXPECT_EQ(error_of("/"), "linux.cgroupsPath \"/\": resolves to the root cgroup");
    EXPECT_EQ(error_of("/./"), "linux.cgroupsPath \"/./\": resolves to the root cgroup");
}
