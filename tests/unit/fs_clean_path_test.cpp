#include <gtest/gtest.h>

#include "fs/safe_path.hpp"

using hako::fs::clean_path;

TEST(CleanPath, FoldsDotsAndSlashes) {
    EXPECT_EQ(clean_path(""), "/");
    EXPECT_EQ(clean_path("/"), "/");
    EXPECT_EQ(clean_path("//"), "/");
    EXPECT_EQ(clean_path("a"), "/a");
    EXPECT_EQ(clean_path("/a/b/"), "/a/b");
    EXPECT_EQ(clean_path("a//b"), "/a/b");
    EXPECT_EQ(clean_path("./a/./b/."), "/a/b");
    EXPECT_EQ(clean_path("/a/b/.."), "/a");
    EXPECT_EQ(clean_path("/a/b/../../c"), "/c");
}

TEST(CleanPath, DotDotNeverClimbsAboveRoot) {
    EXPECT_EQ(clean_path(".."), "/");
    EXPECT_EQ(clean_path("/../a"), "/a");
    EXPECT_EQ(clean_path("a/../../b"), "/b");
    EXPECT_EQ(clean_path("../../../etc/passwd"), "/etc/passwd");
}

TEST(CleanPath, KeepsNamesThatOnlyLookLikeDots) {
    EXPECT_EQ(clean_path("/...//.a/..b"), "/.../.a/..b");
}
