#include <gtest/gtest.h>

#include "process/executable.hpp"
#include "sys/error.hpp"

using hako::process::find_executable;

TEST(FindExecutable, SearchesPath) {
    EXPECT_EQ(find_executable("sh", {"PATH=/nonexistent:/bin"}), "/bin/sh");
}

TEST(FindExecutable, MissingCommandUsesTheWordingEnginesMapTo127) {
    try {
        find_executable("no-such-command-hako", {"PATH=/bin"});
        FAIL() << "no error";
    } catch (const hako::Error& e) {
        EXPECT_STREQ(e.what(), "exec: \"no-such-command-hako\": executable file not found in $PATH");
    }
}

TEST(FindExecutable, NonExecutableFileIsPermissionDenied) {
    try {
        find_executable("/etc/passwd", {});
        FAIL() << "no error";
    } catch (const hako::Error& e) {
        EXPECT_STREQ(e.what(), "exec: \"/etc/passwd\": Permission denied");
    }
}
