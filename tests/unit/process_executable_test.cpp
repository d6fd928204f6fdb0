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
        // runc's lower case: Docker compares "permission denied" case-sensitively (126).
        EXPECT_STREQ(e.what(), "exec: \"/etc/passwd\": permission denied");
    }
}

TEST(FindExecutable, MissingPathIsRuncsStatError) {
    try {
        find_executable("/nonexistent/hako-cmd", {});
        FAIL() << "no error";
    } catch (const hako::Error& e) {
        EXPECT_STREQ(e.what(), "exec: \"/nonexistent/hako-cmd\": stat /nonexistent/hako-cmd: "
                               "no such file or directory");
        EXPECT_EQ(e.errno_value(), ENOENT);
    }
}

TEST(ExecErrorText, IsStrerrorInGosLowerCase) {
    EXPECT_EQ(hako::process::exec_error_text(EACCES), "permission denied");
    EXPECT_EQ(hako::process::exec_error_text(ENOENT), "no such file or directory");
    EXPECT_EQ(hako::process::exec_error_text(ENOEXEC), "exec format error");
}
