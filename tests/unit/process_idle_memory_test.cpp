// The plan of what the waiting init gives back: hako's code, and only RELRO pages that are
// still the file's. The drop itself is checked on a real init by test_lifecycle.py.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>

#include "process/idle_memory.hpp"

namespace {

using hako::process::IdleMemoryPlan;

bool covers(const IdleMemoryPlan& plan, std::uintptr_t address) {
    for (int i = 0; i < plan.count; ++i) {
        const auto& range = plan.ranges[static_cast<std::size_t>(i)];
        if (address >= range.start && address < range.start + range.length) return true;
    }
    return false;
}

// The page's /proc/self/pagemap entry: bit 63 present, bit 61 a page of the file (not a
// private copy).
std::uint64_t pagemap_entry(std::uintptr_t address) {
    std::ifstream pagemap("/proc/self/pagemap", std::ios::binary);
    const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    pagemap.seekg(static_cast<std::streamoff>(address / page * sizeof(std::uint64_t)));
    std::uint64_t entry = 0;
    pagemap.read(reinterpret_cast<char*>(&entry), sizeof(entry));
    return entry;
}

}  // namespace

TEST(IdleMemory, PlanCoversTheCodeAndNoWritablePage) {
    const IdleMemoryPlan plan = hako::process::plan_idle_memory();
    ASSERT_GT(plan.count, 0);
    EXPECT_TRUE(covers(plan, reinterpret_cast<std::uintptr_t>(&hako::process::plan_idle_memory)));
    static int written = 1;  // .data: never in the plan
    written += 1;
    EXPECT_FALSE(covers(plan, reinterpret_cast<std::uintptr_t>(&written)));
    const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    for (int i = 0; i < plan.count; ++i) {
        const auto& range = plan.ranges[static_cast<std::size_t>(i)];
        EXPECT_EQ(range.start % page, 0U);
        EXPECT_EQ(range.length % page, 0U);
        EXPECT_GT(range.length, 0U);
    }
    // Every page the plan names that is mapped now is the file's own, never a private copy.
    constexpr std::uint64_t kPresent = 1ULL << 63;
    constexpr std::uint64_t kFilePage = 1ULL << 61;
    for (int i = 0; i < plan.count; ++i) {
        const auto& range = plan.ranges[static_cast<std::size_t>(i)];
        for (std::uintptr_t address = range.start; address < range.start + range.length;
             address += page) {
            const std::uint64_t entry = pagemap_entry(address);
            if ((entry & kPresent) != 0) {
                EXPECT_NE(entry & kFilePage, 0U) << std::hex << address;
            }
        }
    }
}

namespace {

// Executable mappings only: an allocator (ASan's) may map more memory meanwhile.
int count_code_mappings() {
    std::ifstream maps("/proc/self/maps");
    int count = 0;
    for (std::string line; std::getline(maps, line);) {
        const auto permissions = line.find(' ') + 1;
        if (line.size() > permissions + 2 && line[permissions + 2] == 'x') ++count;
    }
    return count;
}

}  // namespace

// The wait gives its own code page a mapping of its own (so that fault-around maps back one
// page, not 64 KiB) and must hand it back to the code mapping before returning: a page left
// MADV_DONTFORK would be missing from any child the init forks later (its hooks).
TEST(IdleMemory, ReleaseReturnsWithTheMappingsItFound) {
    const IdleMemoryPlan plan = hako::process::plan_idle_memory();
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    ASSERT_EQ(::write(pipe_fds[1], "x", 1), 1);  // readable: the wait returns at once
    const int before = count_code_mappings();
    hako::process::release_idle_memory_until_readable(plan, pipe_fds[0]);
    EXPECT_EQ(count_code_mappings(), before);
    // The dropped code faults back in: calling into it again works.
    EXPECT_GT(hako::process::plan_idle_memory().count, 0);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
}
