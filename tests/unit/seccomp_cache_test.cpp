// SeccompCache: a stored program comes back identical for the same profile text, and anything
// else (another profile, a damaged or truncated entry, an entry whose stored key differs)
// is a miss that falls back to compiling.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "security/seccomp_cache.hpp"
#include "test_support.hpp"
#include "security/seccomp_profile.hpp"
#include "sys/error.hpp"

namespace {

using namespace hako::security;

class SeccompCacheTest : public ::testing::Test {
protected:
    [[nodiscard]] std::string cache_dir() const { return root_ + "/.seccomp-cache"; }
    [[nodiscard]] std::vector<std::filesystem::path> entries() const {
        std::vector<std::filesystem::path> found;
        if (!std::filesystem::exists(cache_dir())) return found;
        for (const auto& entry : std::filesystem::directory_iterator(cache_dir()))
            found.push_back(entry.path());
        return found;
    }

    hako::test::TempDir root_dir_{"hako-seccomp-cache-test"};
    const std::string root_ = root_dir_.path();
};

const std::string kProfile = nlohmann::json{
    {"defaultAction", "SCMP_ACT_ERRNO"},
    {"architectures", {"SCMP_ARCH_X86_64"}},
    {"syscalls", {{{"names", {"read", "write", "exit_group"}}, {"action", "SCMP_ACT_ALLOW"}}}},
}.dump();

const std::string kOtherProfile = nlohmann::json{
    {"defaultAction", "SCMP_ACT_ALLOW"},
    {"syscalls", {{{"names", {"mkdir"}}, {"action", "SCMP_ACT_ERRNO"}}}},
}.dump();

bool same_program(const SeccompProgram& a, const SeccompProgram& b) {
    return a.flags == b.flags && a.stub_length == b.stub_length &&
           a.instructions.size() == b.instructions.size() &&
           std::memcmp(a.instructions.data(), b.instructions.data(),
                       a.instructions.size() * sizeof(sock_filter)) == 0;
}

TEST_F(SeccompCacheTest, StoredProgramIsFoundForTheSameProfileOnly) {
    const SeccompCache cache(cache_dir());
    EXPECT_FALSE(cache.find(kProfile));
    const SeccompProgram compiled = compile_seccomp_cached(kProfile, &cache);
    ASSERT_EQ(entries().size(), 1U);
    EXPECT_EQ(std::filesystem::status(cache_dir()).permissions(),
              std::filesystem::perms::owner_all);

    const auto found = cache.find(kProfile);
    ASSERT_TRUE(found);
    EXPECT_TRUE(same_program(*found, compiled));
    EXPECT_TRUE(same_program(*found, compile_seccomp(parse_seccomp_profile(kProfile))));
    EXPECT_FALSE(cache.find(kOtherProfile));
    // A second cache object (another hako process) sees the same entry.
    EXPECT_TRUE(SeccompCache(cache_dir()).find(kProfile));
}

TEST_F(SeccompCacheTest, DamagedEntriesAreMissesAndGetReplaced) {
    const SeccompCache cache(cache_dir());
    const SeccompProgram compiled = compile_seccomp_cached(kProfile, &cache);
    const auto path = entries().at(0);
    std::string data;
    {
        std::ifstream in(path, std::ios::binary);
        data.assign(std::istreambuf_iterator<char>(in), {});
    }
    // Truncated by one byte.
    std::ofstream(path, std::ios::binary | std::ios::trunc) << data.substr(0, data.size() - 1);
    EXPECT_FALSE(cache.find(kProfile));
    // The key stored in the file differs from the profile looked up (a hash collision).
    std::string other_key = data;
    const auto key_at = other_key.find("\"defaultAction\"");
    ASSERT_NE(key_at, std::string::npos);
    other_key[key_at + 1] = 'D';
    std::ofstream(path, std::ios::binary | std::ios::trunc) << other_key;
    EXPECT_FALSE(cache.find(kProfile));
    // The next compile stores a good entry again.
    EXPECT_TRUE(same_program(compile_seccomp_cached(kProfile, &cache), compiled));
    EXPECT_TRUE(cache.find(kProfile));
}

TEST_F(SeccompCacheTest, BadProfilesFailAsWithoutCacheAndStoreNothing) {
    const SeccompCache cache(cache_dir());
    const std::string bad = R"({"defaultAction": "SCMP_ACT_NONSENSE"})";
    EXPECT_THROW(compile_seccomp_cached(bad, &cache), hako::Error);
    EXPECT_TRUE(entries().empty());
}

TEST_F(SeccompCacheTest, UnwritableDirectoryOnlyCostsTheCache) {
    const std::string blocked = root_ + "/not-a-dir";
    std::ofstream(blocked) << "x";
    const SeccompCache cache(blocked + "/.seccomp-cache");
    const SeccompProgram compiled = compile_seccomp_cached(kProfile, &cache);
    EXPECT_FALSE(compiled.instructions.empty());
    EXPECT_FALSE(cache.find(kProfile));
}

}  // namespace
