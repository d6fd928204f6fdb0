// The stats readers against fake cgroup trees in a temp dir (v2 and v1 files as the kernel
// writes them), the JSON shape against runc's, and one real cgroup on this host.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <limits>

#include "cgroups/manager.hpp"
#include "cgroups/stats.hpp"
#include "cgroups/stats_json.hpp"
#include "cgroups/stats_parse.hpp"
#include "sys/error.hpp"

namespace stdfs = std::filesystem;
using hako::cgroups::BlkioEntry;
using hako::cgroups::Stats;

namespace {

constexpr std::uint64_t kMax64 = std::numeric_limits<std::uint64_t>::max();

class FakeTree : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string templ = (stdfs::temp_directory_path() / "hako-stats-XXXXXX").string();
        ASSERT_NE(::mkdtemp(templ.data()), nullptr);
        root_ = templ;
    }
    void TearDown() override { stdfs::remove_all(root_); }

    // Writes root/relative (directories as needed) and returns the directory part.
    std::string put(const std::string& relative, const std::string& content) {
        const stdfs::path path = stdfs::path(root_) / relative;
        stdfs::create_directories(path.parent_path());
        std::ofstream(path) << content;
        return path.parent_path().string();
    }

    std::string root_;
};

// ---------------------------------------------------------------------------------------
// Parsers

TEST(CgroupsStatsParse, Numbers) {
    using hako::cgroups::detail::parse_uint;
    EXPECT_EQ(parse_uint("42\n", "f"), 42U);
    EXPECT_EQ(parse_uint("max\n", "f"), kMax64);
    EXPECT_EQ(parse_uint("-1", "f"), 0U);  // v1's "no value"
    EXPECT_THROW(parse_uint("12x", "f"), hako::Error);
    EXPECT_EQ(hako::cgroups::detail::parse_int("-1\n", "f"), -1);
}

TEST(CgroupsStatsParse, CpuList) {
    using hako::cgroups::detail::parse_cpu_list;
    EXPECT_EQ(parse_cpu_list("0-3,8,10-11\n", "f"),
              (std::vector<std::uint16_t>{0, 1, 2, 3, 8, 10, 11}));
    EXPECT_EQ(parse_cpu_list("\n", "f"), std::vector<std::uint16_t>{});
    EXPECT_THROW(parse_cpu_list("3-1", "f"), hako::Error);
    try {
        parse_cpu_list("0-a", "/x/cpuset.cpus");
        FAIL() << "no throw";
    } catch (const hako::Error& e) {
        EXPECT_STREQ(e.what(), "read /x/cpuset.cpus: unexpected content \"0-a\"");
    }
}

TEST(CgroupsStatsParse, BlkioV1) {
    const auto entries = hako::cgroups::detail::parse_blkio_v1(
        "8:0 Read 4096\n8:0 Write 8192\n8:0 Total 12288\nTotal 12288\n253:1 7\n", "f");
    ASSERT_EQ(entries.size(), 4U);
    EXPECT_EQ(entries[0], (BlkioEntry{8, 0, "Read", 4096}));
    EXPECT_EQ(entries[2], (BlkioEntry{8, 0, "Total", 12288}));
    EXPECT_EQ(entries[3], (BlkioEntry{253, 1, "", 7}));
    EXPECT_THROW(hako::cgroups::detail::parse_blkio_v1("8-0 Read 1\n", "f"), hako::Error);
}

TEST(CgroupsStatsParse, IoStatV2) {
    hako::cgroups::BlkioStats io;
    hako::cgroups::detail::parse_io_stat(
        "8:0 rbytes=1024 wbytes=2048 rios=3 wios=4 dbytes=0 dios=0\n", "f", io);
    EXPECT_EQ(io.io_service_bytes_recursive,
              (std::vector<BlkioEntry>{{8, 0, "Read", 1024}, {8, 0, "Write", 2048}}));
    EXPECT_EQ(io.io_serviced_recursive,
              (std::vector<BlkioEntry>{{8, 0, "Read", 3}, {8, 0, "Write", 4}}));
}

TEST(CgroupsStatsParse, HugepageNames) {
    EXPECT_EQ(hako::cgroups::hugepage_size_name(2048), "2MB");
    EXPECT_EQ(hako::cgroups::hugepage_size_name(1048576), "1GB");
    EXPECT_EQ(hako::cgroups::hugepage_size_name(64), "64KB");
    EXPECT_EQ(hako::cgroups::hugepage_size_name(16777216), "16GB");
}

TEST_F(FakeTree, HugepageSizesFromSysfs) {
    put("hugepages/hugepages-1048576kB/nr_hugepages", "0\n");
    put("hugepages/hugepages-2048kB/nr_hugepages", "0\n");
    put("hugepages/other/x", "");
    EXPECT_EQ(hako::cgroups::hugepage_sizes(root_ + "/hugepages"),
              (std::vector<std::string>{"2MB", "1GB"}));
    EXPECT_EQ(hako::cgroups::hugepage_sizes(root_ + "/missing"), std::vector<std::string>{});
}

// ---------------------------------------------------------------------------------------
// cgroup v2

TEST_F(FakeTree, V2AllControllers) {
    put("c/cpu.stat",
        "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 10\nnr_throttled 2\n"
        "throttled_usec 30\nnr_bursts 0\nburst_usec 0\n");
    put("c/cpuset.cpus.effective", "0-1\n");
    put("c/cpuset.mems.effective", "0\n");
    put("c/memory.stat", "anon 4096\nfile 8192\nkernel 1024\n");
    put("c/memory.current", "12288\n");
    put("c/memory.max", "1048576\n");
    put("c/memory.peak", "20480\n");
    put("c/memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\noom_group_kill 0\n");
    put("c/memory.swap.current", "100\n");
    put("c/memory.swap.max", "max\n");
    put("c/pids.current", "2\n");
    put("c/pids.max", "max\n");
    put("c/io.stat", "8:0 rbytes=512 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n");
    put("c/hugetlb.2MB.current", "2097152\n");
    put("c/hugetlb.2MB.events", "max 5\n");
    const std::string dir = put("c/cgroup.procs", "1\n2\n");

    const Stats stats = hako::cgroups::read_v2_stats(dir, {"2MB", "1GB"});
    EXPECT_EQ(stats.cpu.usage.total, 1'500'000U);
    EXPECT_EQ(stats.cpu.usage.user, 1'000'000U);
    EXPECT_EQ(stats.cpu.usage.kernel, 500'000U);
    EXPECT_TRUE(stats.cpu.usage.percpu.empty());
    EXPECT_EQ(stats.cpu.throttling.periods, 10U);
    EXPECT_EQ(stats.cpu.throttling.throttled_periods, 2U);
    EXPECT_EQ(stats.cpu.throttling.throttled_time, 30'000U);
    EXPECT_EQ(stats.cpuset.cpus, (std::vector<std::uint16_t>{0, 1}));
    EXPECT_EQ(stats.cpuset.mems, (std::vector<std::uint16_t>{0}));
    EXPECT_EQ(stats.memory.cache, 8192U);
    EXPECT_EQ(stats.memory.raw.at("anon"), 4096U);
    EXPECT_EQ(stats.memory.usage.usage, 12288U);
    EXPECT_EQ(stats.memory.usage.limit, 1048576U);
    EXPECT_EQ(stats.memory.usage.max, 20480U);
    EXPECT_EQ(stats.memory.usage.failcnt, 3U);
    // memory+swap, as v1's memsw: usage adds up, an unlimited swap stays unlimited.
    EXPECT_EQ(stats.memory.swap.usage, 12388U);
    EXPECT_EQ(stats.memory.swap.limit, kMax64);
    EXPECT_EQ(stats.pids.current, 2U);
    EXPECT_EQ(stats.pids.limit, 0U);
    EXPECT_EQ(stats.blkio.io_service_bytes_recursive,
              (std::vector<BlkioEntry>{{8, 0, "Read", 512}, {8, 0, "Write", 0}}));
    ASSERT_EQ(stats.hugetlb.size(), 1U);  // no 1GB files here
    EXPECT_EQ(stats.hugetlb.at("2MB").usage, 2097152U);
    EXPECT_EQ(stats.hugetlb.at("2MB").failcnt, 5U);
}

TEST_F(FakeTree, V2SwapLimitAddsTheMemoryLimit) {
    put("c/memory.stat", "file 0\n");
    put("c/memory.current", "10\n");
    put("c/memory.max", "1000\n");
    put("c/memory.swap.current", "5\n");
    const std::string dir = put("c/memory.swap.max", "500\n");
    const Stats stats = hako::cgroups::read_v2_stats(dir, {});
    EXPECT_EQ(stats.memory.swap.usage, 15U);
    EXPECT_EQ(stats.memory.swap.limit, 1500U);
    EXPECT_EQ(stats.memory.usage.limit, 1000U);
}

// A cgroup2 directory without controllers (only the core files): usage from cpu.stat, pids
// counted from cgroup.procs of it and its sub-cgroups, the rest zero.
TEST_F(FakeTree, V2WithoutControllers) {
    put("c/cpu.stat", "usage_usec 7\nuser_usec 4\nsystem_usec 3\n");
    put("c/sub/cgroup.procs", "30\n");
    const std::string dir = put("c/cgroup.procs", "10\n20\n");
    const Stats stats = hako::cgroups::read_v2_stats(dir, {"2MB"});
    EXPECT_EQ(stats.cpu.usage.total, 7000U);
    EXPECT_EQ(stats.pids.current, 3U);
    EXPECT_EQ(stats.pids.limit, 0U);
    EXPECT_EQ(stats.memory.usage.usage, 0U);
    EXPECT_TRUE(stats.memory.raw.empty());
    EXPECT_TRUE(stats.hugetlb.empty());
}

TEST_F(FakeTree, V2MalformedFileNamesIt) {
    const std::string dir = put("c/pids.current", "lots\n");
    try {
        (void)hako::cgroups::read_v2_stats(dir, {});
        FAIL() << "no throw";
    } catch (const hako::Error& e) {
        EXPECT_EQ(std::string(e.what()), "read " + dir + "/pids.current: unexpected content \"lots\"");
    }
}

// ---------------------------------------------------------------------------------------
// cgroup v1

TEST_F(FakeTree, V1AllControllers) {
    hako::cgroups::V1StatsDirs dirs;
    dirs.cpu = put("cpu/c/cpu.stat", "nr_periods 4\nnr_throttled 1\nthrottled_time 999\n");
    put("cpuacct/c/cpuacct.usage", "3000\n");
    put("cpuacct/c/cpuacct.usage_percpu", "1000 2000 \n");
    put("cpuacct/c/cpuacct.usage_all", "cpu user system\n0 600 400\n1 1500 500\n");
    dirs.cpuacct = put("cpuacct/c/cpuacct.stat", "user 2\nsystem 1\n");
    put("cpuset/c/cpuset.cpus", "0-1\n");
    put("cpuset/c/cpuset.mems", "0\n");
    put("cpuset/c/cpuset.sched_load_balance", "1\n");
    dirs.cpuset = put("cpuset/c/cpuset.sched_relax_domain_level", "-1\n");
    put("memory/c/memory.stat", "cache 4096\nrss 8192\ntotal_rss 8192\n");
    put("memory/c/memory.usage_in_bytes", "12288\n");
    put("memory/c/memory.max_usage_in_bytes", "16384\n");
    put("memory/c/memory.failcnt", "2\n");
    put("memory/c/memory.limit_in_bytes", "9223372036854771712\n");
    put("memory/c/memory.memsw.usage_in_bytes", "12288\n");
    put("memory/c/memory.memsw.limit_in_bytes", "9223372036854771712\n");
    dirs.memory = put("memory/c/memory.kmem.tcp.usage_in_bytes", "0\n");  // kmem itself absent
    put("pids/c/pids.current", "3\n");
    dirs.pids = put("pids/c/pids.max", "100\n");
    // BFQ's group is empty (no I/O through it), so the throttle files count.
    put("blkio/c/blkio.bfq.io_service_bytes_recursive", "Total 0\n");
    put("blkio/c/blkio.throttle.io_serviced_recursive", "8:0 Read 2\n8:0 Write 1\nTotal 3\n");
    dirs.blkio =
        put("blkio/c/blkio.throttle.io_service_bytes_recursive", "8:0 Read 8192\nTotal 8192\n");
    put("hugetlb/c/hugetlb.2MB.usage_in_bytes", "0\n");
    put("hugetlb/c/hugetlb.2MB.max_usage_in_bytes", "4194304\n");
    dirs.hugetlb = put("hugetlb/c/hugetlb.2MB.failcnt", "1\n");

    const Stats stats = hako::cgroups::read_v1_stats(dirs, {"2MB", "1GB"});
    EXPECT_EQ(stats.cpu.throttling.periods, 4U);
    EXPECT_EQ(stats.cpu.throttling.throttled_time, 999U);
    EXPECT_EQ(stats.cpu.usage.total, 3000U);
    EXPECT_EQ(stats.cpu.usage.percpu, (std::vector<std::uint64_t>{1000, 2000}));
    EXPECT_EQ(stats.cpu.usage.percpu_user, (std::vector<std::uint64_t>{600, 1500}));
    EXPECT_EQ(stats.cpu.usage.percpu_kernel, (std::vector<std::uint64_t>{400, 500}));
    const auto tick = 1'000'000'000ULL / static_cast<std::uint64_t>(::sysconf(_SC_CLK_TCK));
    EXPECT_EQ(stats.cpu.usage.user, 2 * tick);
    EXPECT_EQ(stats.cpu.usage.kernel, 1 * tick);
    EXPECT_EQ(stats.cpuset.cpus, (std::vector<std::uint16_t>{0, 1}));
    EXPECT_EQ(stats.cpuset.sched_load_balance, 1U);
    EXPECT_EQ(stats.cpuset.sched_relax_domain_level, -1);
    EXPECT_EQ(stats.memory.cache, 4096U);
    EXPECT_EQ(stats.memory.raw.at("total_rss"), 8192U);
    EXPECT_EQ(stats.memory.usage.usage, 12288U);
    EXPECT_EQ(stats.memory.usage.max, 16384U);
    EXPECT_EQ(stats.memory.usage.failcnt, 2U);
    EXPECT_EQ(stats.memory.usage.limit, 9223372036854771712U);
    EXPECT_EQ(stats.memory.swap.usage, 12288U);
    EXPECT_EQ(stats.memory.kernel.usage, 0U);
    EXPECT_EQ(stats.memory.kernel.limit, 0U);
    EXPECT_EQ(stats.pids.current, 3U);
    EXPECT_EQ(stats.pids.limit, 100U);
    EXPECT_EQ(stats.blkio.io_serviced_recursive,
              (std::vector<BlkioEntry>{{8, 0, "Read", 2}, {8, 0, "Write", 1}}));
    EXPECT_EQ(stats.blkio.io_service_bytes_recursive,
              (std::vector<BlkioEntry>{{8, 0, "Read", 8192}}));
    ASSERT_EQ(stats.hugetlb.size(), 1U);
    EXPECT_EQ(stats.hugetlb.at("2MB").max, 4194304U);
    EXPECT_EQ(stats.hugetlb.at("2MB").failcnt, 1U);
}

TEST_F(FakeTree, V1NoControllers) {
    const Stats stats = hako::cgroups::read_v1_stats({}, {"2MB"});
    EXPECT_EQ(stats.cpu.usage.total, 0U);
    EXPECT_TRUE(stats.hugetlb.empty());
    EXPECT_EQ(hako::cgroups::to_runc_json(stats).dump(),
              R"({"cpu":{"usage":{"kernel":0,"user":0},"throttling":{}},)"
              R"("cpuset":{"cpu_exclusive":0,"mem_hardwall":0,"mem_exclusive":0,)"
              R"("memory_migrate":0,"memory_spread_page":0,"memory_spread_slab":0,)"
              R"("memory_pressure":0,"sched_load_balance":0,"sched_relax_domain_level":0},)"
              R"("memory":{"usage":{"limit":0,"failcnt":0},"swap":{"limit":0,"failcnt":0},)"
              R"("kernel":{"limit":0,"failcnt":0},"kernelTCP":{"limit":0,"failcnt":0}},)"
              R"("pids":{},"blkio":{},"hugetlb":{},"intel_rdt":{},"network_interfaces":null})");
}

// ---------------------------------------------------------------------------------------
// JSON: runc's names, order and omitted zeros (compared with `runc events --stats` output).

TEST(CgroupsStatsJson, RuncShape) {
    Stats stats;
    stats.cpu.usage = {14336667, {6092420, 8244247}, {0, 8000000}, {0, 0}, 10000000, 0};
    stats.cpuset.cpus = {0, 1};
    stats.cpuset.mems = {0};
    stats.cpuset.sched_load_balance = 1;
    stats.cpuset.sched_relax_domain_level = -1;
    stats.memory.cache = 4096;
    stats.memory.usage = {9223372036854771712U, 1011712, 2248704, 0};
    stats.memory.kernel_tcp = {9223372036854771712U, 0, 0, 0};
    stats.memory.raw = {{"rss", 176128}, {"cache", 4096}};
    stats.pids.current = 4;
    stats.blkio.io_service_bytes_recursive = {{8, 0, "Read", 4096}, {8, 0, "Total", 0}};
    stats.hugetlb["2MB"] = {0, 0, 0};
    const std::string json = hako::cgroups::to_runc_json(stats).dump();
    EXPECT_EQ(json,
              R"({"cpu":{"usage":{"total":14336667,"percpu":[6092420,8244247],)"
              R"("percpu_kernel":[0,8000000],"percpu_user":[0,0],"kernel":10000000,"user":0},)"
              R"("throttling":{}},"cpuset":{"cpus":[0,1],"cpu_exclusive":0,"mems":[0],)"
              R"("mem_hardwall":0,"mem_exclusive":0,"memory_migrate":0,"memory_spread_page":0,)"
              R"("memory_spread_slab":0,"memory_pressure":0,"sched_load_balance":1,)"
              R"("sched_relax_domain_level":-1},"memory":{"cache":4096,)"
              R"("usage":{"limit":9223372036854771712,"usage":1011712,"max":2248704,"failcnt":0},)"
              R"("swap":{"limit":0,"failcnt":0},"kernel":{"limit":0,"failcnt":0},)"
              R"("kernelTCP":{"limit":9223372036854771712,"failcnt":0},)"
              R"("raw":{"cache":4096,"rss":176128}},"pids":{"current":4},)"
              R"("blkio":{"ioServiceBytesRecursive":[{"major":8,"op":"Read","value":4096},)"
              R"({"major":8,"op":"Total"}]},"hugetlb":{"2MB":{"failcnt":0}},"intel_rdt":{},)"
              R"("network_interfaces":null})");
}

// ---------------------------------------------------------------------------------------
// A real container cgroup on this host: a child that touched some memory.

TEST(CgroupsStatsReal, ChildInAFreshCgroup) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    const hako::cgroups::Layout layout = hako::cgroups::detect_layout();
    if (layout.hierarchies.empty()) GTEST_SKIP() << "no cgroup mounts";
    auto manager = hako::cgroups::make_manager(
        layout, "/hako-test-" + std::to_string(::getpid()) + "-stats", "id");
    manager->create();
    // The child touches its memory only once it is in the cgroup: pages are charged where
    // they fault.
    int go[2];
    int ready[2];
    ASSERT_EQ(::pipe(go), 0);
    ASSERT_EQ(::pipe(ready), 0);
    const pid_t child = ::fork();
    if (child == 0) {
        char byte = 0;
        if (::read(go[0], &byte, 1) != 1) ::_exit(1);
        std::vector<char> memory(4 << 20, 1);
        if (::write(ready[1], memory.data(), 1) != 1) ::_exit(1);
        for (;;) ::pause();
    }
    ::close(go[0]);
    ::close(ready[1]);
    manager->add_process(child, {});
    char byte = 0;
    ASSERT_EQ(::write(go[1], "x", 1), 1);
    ASSERT_EQ(::read(ready[0], &byte, 1), 1);
    ::close(go[1]);
    ::close(ready[0]);
    const Stats stats = manager->stats();
    manager->destroy();
    ::waitpid(child, nullptr, 0);

    EXPECT_EQ(stats.pids.current, 1U);
    if (layout.find_v1("memory") != nullptr) {
        EXPECT_GT(stats.memory.usage.usage, 0U);
        EXPECT_FALSE(stats.memory.raw.empty());
    }
    if (layout.find_v1("cpuacct") != nullptr || layout.kind == hako::cgroups::LayoutKind::v2) {
        EXPECT_GT(stats.cpu.usage.total, 0U);
    }
    if (layout.find_v1("cpuset") != nullptr) {
        EXPECT_FALSE(stats.cpuset.cpus.empty());
    }
}

}  // namespace
