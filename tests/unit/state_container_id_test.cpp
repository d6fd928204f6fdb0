#include <gtest/gtest.h>

#include <string>

#include "state/container_id.hpp"
#include "sys/error.hpp"

namespace {

std::string error_of(std::string_view id) {
    try {
        hako::state::validate_container_id(id);
    } catch (const hako::Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(StateContainerId, AcceptsValidIds) {
    for (const char* id : {"a", "abc", "A-Z_0.9+x", "...", ".hidden", "-x", "1"}) {
        EXPECT_EQ(error_of(id), "") << id;
    }
    EXPECT_EQ(error_of(std::string(1024, 'x')), "");
}

TEST(StateContainerId, RejectsEmpty) {
    EXPECT_EQ(error_of(""), "container id must not be empty");
}

TEST(StateContainerId, RejectsDotAndDotDot) {
    EXPECT_EQ(error_of("."), R"(invalid container id ".": must not be "." or "..")");
    EXPECT_EQ(error_of(".."), R"(invalid container id "..": must not be "." or "..")");
}

TEST(StateContainerId, RejectsForbiddenCharacters) {
    EXPECT_EQ(error_of("a/b"), R"(invalid container id "a/b": only [A-Za-z0-9_.+-] allowed)");
    EXPECT_EQ(error_of("a b"), R"(invalid container id "a b": only [A-Za-z0-9_.+-] allowed)");
    EXPECT_EQ(error_of("a:b"), R"(invalid container id "a:b": only [A-Za-z0-9_.+-] allowed)");
    // Control bytes are escaped so the message stays on one line.
    EXPECT_EQ(error_of("a\nb"), R"(invalid container id "a\x0ab": only [A-Za-z0-9_.+-] allowed)");
}

TEST(StateContainerId, RejectsTooLong) {
    EXPECT_EQ(error_of(std::string(1025, 'x')),
              "invalid container id: 1025 bytes long, at most 1024 allowed");
}
