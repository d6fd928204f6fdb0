#include <gtest/gtest.h>

#include "sys/error.hpp"

TEST(Error, SysErrorNamesStepPathAndErrno) {
    try {
        hako::throw_sys_error("open", "/nonexistent", ENOENT);
        FAIL() << "no throw";
    } catch (const hako::Error& e) {
        EXPECT_STREQ(e.what(), "open /nonexistent: No such file or directory");
        EXPECT_EQ(e.errno_value(), ENOENT);
    }
}
