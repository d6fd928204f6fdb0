// The resource writers on fake cgroup trees: plain temp directories holding the control files
// a v1 or v2 cgroup directory has. Each test checks which file gets which value, in which order,
// and what the error says when the "kernel" (an injected errno) refuses a value. These tests
// need no root and are the only place the v2 writers run on this hybrid host.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <functional>
#include <fstream>
#include <map>
#include <sstream>

#include "cgroups/resource_writers.hpp"
#include "sys/error.hpp"

namespace {

using namespace hako::cgroups;
using namespace hako::cgroups::detail;

// A temp directory with the named control files, removed on scope exit.
class FakeDir {
  public:
    explicit FakeDir(const std::map<std::string, std::string>& files) {
        char pattern[] = "/tmp/hako-cgres-test-XXXXXX";
        if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp");
        path_ = pattern;
        for (const auto& [name, content] : files) set(name, content);
    }
    ~FakeDir() { std::filesystem::remove_all(path_); }
    FakeDir(const FakeDir&) = delete;
    FakeDir& operator=(const FakeDir&) = delete;

    [[nodiscard]] const std::string& path() const { return path_; }
    void set(const std::string& name, const std::string& content) const {
        std::ofstream(path_ + "/" + name) << content;
    }
    [[nodiscard]] std::string get(const std::string& name) const {
        std::ifstream in(path_ + "/" + name);
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    }

  private:
    std::string path_;
};

// CgroupFiles that records every write ("file=value", "!" when refused) and can refuse writes
// with an errno, like the kernel would, or store another value (the kernel clamping).
class Recorder : public CgroupFiles {
  public:
    using CgroupFiles::CgroupFiles;

    int try_write(std::string_view file, std::string_view value) override {
        const std::string key(file);
        std::string entry = key + "=" + std::string(value);
        if (auto it = refuse_.find(key); it != refuse_.end() && it->second.remaining > 0) {
            --it->second.remaining;
            writes.push_back(entry + " !");
            return it->second.err;
        }
        const auto stored = store_as_.find(key);
        const int err = CgroupFiles::try_write(file, stored != store_as_.end() ? stored->second : value);
        writes.push_back(err == 0 ? entry : entry + " !");
        return err;
    }

    void refuse(const std::string& file, int err, int times = 1) { refuse_[file] = {err, times}; }
    void store_as(const std::string& file, const std::string& value) { store_as_[file] = value; }

    std::vector<std::string> writes;

  private:
    struct Refusal {
        int err = 0;
        int remaining = 0;
    };
    std::map<std::string, Refusal> refuse_;
    std::map<std::string, std::string> store_as_;
};

std::string error_of(const std::function<void()>& action) {
    try {
        action();
    } catch (const hako::Error& e) {
        return e.what();
    }
    ADD_FAILURE() << "no error";
    return {};
}

using Strings = std::vector<std::string>;
using Files = std::map<std::string, std::string>;

// --- cgroup v1 -----------------------------------------------------------------------------

const std::map<std::string, std::string> kV1Memory = {
    {"memory.limit_in_bytes", "9223372036854771712"},
    {"memory.memsw.limit_in_bytes", "9223372036854771712"},
    {"memory.soft_limit_in_bytes", ""},
    {"memory.kmem.tcp.limit_in_bytes", ""},
    {"memory.oom_control", ""},
    {"memory.swappiness", ""},
    {"memory.use_hierarchy", ""},
    {"memory.usage_in_bytes", "5000"},
    {"memory.max_usage_in_bytes", "6000"},
};

TEST(CgroupsWritersV1, MemoryLoweringWritesTheLimitBeforeMemsw) {
    FakeDir dir(kV1Memory);
    Recorder files(dir.path());
    Strings warnings;
    MemoryResources m;
    m.limit = 100 << 20;
    m.swap = 200 << 20;
    m.reservation = 50 << 20;
    m.kernel = 1;
    m.kernel_tcp = 1 << 20;
    m.swappiness = 10;
    m.disable_oom_killer = true;
    m.use_hierarchy = true;
    write_memory_v1(files, m, {"linux.resources", false, &warnings});
    EXPECT_EQ(files.writes, (Strings{"memory.limit_in_bytes=104857600",
                                     "memory.memsw.limit_in_bytes=209715200",
                                     "memory.kmem.tcp.limit_in_bytes=1048576",
                                     "memory.soft_limit_in_bytes=52428800",
                                     "memory.oom_control=1", "memory.swappiness=10",
                                     "memory.use_hierarchy=1"}));
    EXPECT_EQ(dir.get("memory.limit_in_bytes"), "104857600");
    EXPECT_EQ(warnings, (Strings{"linux.resources.memory.kernel: kernel memory limits are ignored "
                                 "(the kernel deprecated them), as runc does"}));
}

TEST(CgroupsWritersV1, MemoryRaisingWritesMemswFirst) {
    FakeDir dir(kV1Memory);
    dir.set("memory.limit_in_bytes", "1000");
    Recorder files(dir.path());
    MemoryResources m;
    m.limit = 4000;
    m.swap = 8000;
    write_memory_v1(files, m, {});
    EXPECT_EQ(files.writes, (Strings{"memory.memsw.limit_in_bytes=8000", "memory.limit_in_bytes=4000"}));
}

TEST(CgroupsWritersV1, UnlimitedMemoryMeansUnlimitedMemsw) {
    FakeDir dir(kV1Memory);
    Recorder files(dir.path());
    MemoryResources m;
    m.limit = -1;
    write_memory_v1(files, m, {});
    EXPECT_EQ(files.writes, (Strings{"memory.memsw.limit_in_bytes=-1", "memory.limit_in_bytes=-1"}));
}

TEST(CgroupsWritersV1, ZeroMeansUnsetAndWritesNothing) {
    FakeDir dir(kV1Memory);
    Recorder files(dir.path());
    MemoryResources m;
    m.limit = 0;
    m.reservation = 0;
    m.disable_oom_killer = false;
    write_memory_v1(files, m, {});
    EXPECT_TRUE(files.writes.empty());
    EXPECT_FALSE(wants_memory(m));
}

TEST(CgroupsWritersV1, MemoryBelowUsageNamesFileValueAndUsage) {
    FakeDir dir(kV1Memory);
    Recorder files(dir.path());
    files.refuse("memory.limit_in_bytes", EBUSY);
    MemoryResources m;
    m.limit = 100;
    EXPECT_EQ(error_of([&] { write_memory_v1(files, m, {}); }),
              "write " + dir.path() + "/memory.limit_in_bytes \"100\": Device or resource busy "
              "(current usage 5000, peak usage 6000)");
}

TEST(CgroupsWritersV1, MissingMemswIsExplained) {
    std::map<std::string, std::string> files_without_memsw = kV1Memory;
    files_without_memsw.erase("memory.memsw.limit_in_bytes");
    FakeDir dir(files_without_memsw);
    Recorder files(dir.path());
    MemoryResources m;
    m.limit = 100;
    m.swap = 200;
    EXPECT_EQ(error_of([&] { write_memory_v1(files, m, {}); }),
              "write " + dir.path() + "/memory.memsw.limit_in_bytes \"200\": No such file or "
              "directory (swap accounting is off in this kernel (swapaccount=0 or no "
              "CONFIG_MEMCG_SWAP))");
}

const std::map<std::string, std::string> kV1Cpu = {
    {"cpu.shares", "1024"},   {"cpu.cfs_period_us", "100000"}, {"cpu.cfs_quota_us", "-1"},
    {"cpu.cfs_burst_us", "0"}, {"cpu.idle", "0"},              {"cpu.rt_period_us", "1000000"},
    {"cpu.rt_runtime_us", "0"},
};

TEST(CgroupsWritersV1, CpuInRuncsOrder) {
    FakeDir dir(kV1Cpu);
    Recorder files(dir.path());
    CpuResources c;
    c.shares = 512;
    c.quota = 50000;
    c.period = 200000;
    c.burst = 1000;
    c.idle = 0;
    c.realtime_runtime = 950;
    c.realtime_period = 1000;
    write_cpu_v1(files, c, {});
    EXPECT_EQ(files.writes, (Strings{"cpu.shares=512", "cpu.cfs_period_us=200000",
                                     "cpu.cfs_burst_us=1000", "cpu.cfs_quota_us=50000",
                                     "cpu.idle=0", "cpu.rt_period_us=1000",
                                     "cpu.rt_runtime_us=950"}));
}

TEST(CgroupsWritersV1, CpuPeriodRefusedBeforeTheQuotaIsRetriedAfterIt) {
    FakeDir dir(kV1Cpu);
    Recorder files(dir.path());
    files.refuse("cpu.cfs_period_us", EINVAL);
    CpuResources c;
    c.quota = 10000;
    c.period = 20000;
    write_cpu_v1(files, c, {});
    EXPECT_EQ(files.writes, (Strings{"cpu.cfs_period_us=20000 !", "cpu.cfs_quota_us=10000",
                                     "cpu.cfs_period_us=20000"}));
    // Without a quota to write the refusal is final.
    Recorder again(dir.path());
    again.refuse("cpu.cfs_period_us", EINVAL);
    CpuResources period_only;
    period_only.period = 20000;
    EXPECT_EQ(error_of([&] { write_cpu_v1(again, period_only, {}); }),
              "write " + dir.path() + "/cpu.cfs_period_us \"20000\": Invalid argument");
}

TEST(CgroupsWritersV1, CpuSharesTheKernelClampsAreReported) {
    FakeDir dir(kV1Cpu);
    Recorder files(dir.path());
    files.store_as("cpu.shares", "262144");
    CpuResources c;
    c.shares = 1000000;
    EXPECT_EQ(error_of([&] { write_cpu_v1(files, c, {}); }),
              "write " + dir.path() + "/cpu.shares \"1000000\": the kernel set 262144 (the "
              "maximum allowed cpu shares)");
}

TEST(CgroupsWritersV1, CpusetAndPids) {
    FakeDir dir({{"cpuset.cpus", ""}, {"cpuset.mems", ""}, {"pids.max", "max"}});
    Recorder files(dir.path());
    CpuResources c;
    c.cpus = "1";
    c.mems = "0";
    write_cpuset(files, c);
    for (const std::int64_t limit : {std::int64_t{-1}, std::int64_t{0}, std::int64_t{42}}) {
        write_pids(files, PidsResources{limit});
    }
    write_pids(files, PidsResources{});  // absent: untouched
    EXPECT_EQ(files.writes, (Strings{"cpuset.cpus=1", "cpuset.mems=0", "pids.max=max",
                                     "pids.max=1", "pids.max=42"}));
    EXPECT_EQ(dir.get("pids.max"), "42");
}

BlockIoResources sample_block_io() {
    BlockIoResources io;
    io.weight = 500;
    io.weight_device.push_back({8, 0, 300, std::nullopt});
    io.throttle_read_bps.push_back({8, 0, 1048576});
    io.throttle_write_bps.push_back({8, 16, 2097152});
    io.throttle_read_iops.push_back({8, 0, 100});
    io.throttle_write_iops.push_back({8, 0, 200});
    return io;
}

TEST(CgroupsWritersV1, BlkioUsesBfqFilesWhenCfqIsGone) {
    FakeDir dir({{"blkio.bfq.weight", ""}, {"blkio.bfq.weight_device", ""},
                 {"blkio.throttle.read_bps_device", ""}, {"blkio.throttle.write_bps_device", ""},
                 {"blkio.throttle.read_iops_device", ""}, {"blkio.throttle.write_iops_device", ""}});
    Recorder files(dir.path());
    write_blkio_v1(files, sample_block_io());
    EXPECT_EQ(files.writes, (Strings{"blkio.bfq.weight=500", "blkio.bfq.weight_device=8:0 300",
                                     "blkio.throttle.read_bps_device=8:0 1048576",
                                     "blkio.throttle.write_bps_device=8:16 2097152",
                                     "blkio.throttle.read_iops_device=8:0 100",
                                     "blkio.throttle.write_iops_device=8:0 200"}));
}

TEST(CgroupsWritersV1, BlkioUsesCfqFilesWhereTheyExist) {
    FakeDir dir({{"blkio.weight", ""}, {"blkio.weight_device", ""}, {"blkio.leaf_weight", ""}});
    Recorder files(dir.path());
    BlockIoResources io;
    io.weight = 700;
    io.leaf_weight = 200;
    io.weight_device.push_back({8, 0, 300, std::nullopt});
    write_blkio_v1(files, io);
    EXPECT_EQ(files.writes, (Strings{"blkio.weight=700", "blkio.leaf_weight=200",
                                     "blkio.weight_device=8:0 300"}));
}

TEST(CgroupsWritersV1, HugetlbWithAndWithoutReservationFiles) {
    FakeDir dir({{"hugetlb.2MB.limit_in_bytes", ""}, {"hugetlb.2MB.rsvd.limit_in_bytes", ""},
                 {"hugetlb.1GB.limit_in_bytes", ""}});
    Recorder files(dir.path());
    write_hugetlb(files, {{"2MB", 4194304}, {"1GB", 0}}, false);
    EXPECT_EQ(files.writes, (Strings{"hugetlb.2MB.limit_in_bytes=4194304",
                                     "hugetlb.2MB.rsvd.limit_in_bytes=4194304",
                                     "hugetlb.1GB.limit_in_bytes=0",
                                     "hugetlb.1GB.rsvd.limit_in_bytes=0 !"}));
}

TEST(CgroupsWritersV1, HugetlbUnknownPageSize) {
    FakeDir dir({});
    Recorder files(dir.path());
    EXPECT_EQ(error_of([&] { write_hugetlb(files, {{"64KB", 1}}, false); }),
              "write " + dir.path() + "/hugetlb.64KB.limit_in_bytes \"1\": No such file or "
              "directory (no such huge page size on this host)");
}

TEST(CgroupsWritersV1, NetworkRdmaAndDevices) {
    FakeDir dir({{"net_cls.classid", ""}, {"net_prio.ifpriomap", ""}, {"rdma.max", ""},
                 {"devices.allow", ""}, {"devices.deny", ""}});
    Recorder files(dir.path());
    NetworkResources network;
    network.class_id = 0x100001;
    network.priorities = {{"eth0", 5}, {"lo", 1}};
    write_net_cls_v1(files, network);
    write_net_prio_v1(files, network);
    write_rdma(files, {{"mlx5_1", {3, 10000}}, {"mlx4_0", {std::nullopt, 7}}, {"none", {}}});
    write_devices_v1(files, {{false, 'a', std::nullopt, std::nullopt, "rwm"},
                             {true, 'c', 1, 3, "rwm"},
                             {true, 'c', 136, std::nullopt, "rwm"},
                             {true, 'b', std::nullopt, std::nullopt, "m"},
                             {false, 'c', 1, 7, "w"}});
    EXPECT_EQ(files.writes,
              (Strings{"net_cls.classid=1048577", "net_prio.ifpriomap=eth0 5",
                       "net_prio.ifpriomap=lo 1", "rdma.max=mlx4_0 hca_object=7",
                       "rdma.max=mlx5_1 hca_handle=3 hca_object=10000", "devices.deny=a",
                       "devices.deny=a", "devices.allow=c 1:3 rwm", "devices.allow=c 136:* rwm",
                       "devices.allow=b *:* m", "devices.deny=c 1:7 w"}));
}

// --- cgroup v2 -----------------------------------------------------------------------------

const std::map<std::string, std::string> kV2Memory = {
    {"memory.max", "max"}, {"memory.swap.max", "max"}, {"memory.low", "0"},
    {"memory.current", "5000"},
};

TEST(CgroupsWritersV2, MemorySwapIsConvertedToSwapOnly) {
    FakeDir dir(kV2Memory);
    Recorder files(dir.path());
    Strings warnings;
    MemoryResources m;
    m.limit = 100 << 20;
    m.swap = 300 << 20;
    m.reservation = 50 << 20;
    m.kernel = 1;
    m.kernel_tcp = 1;
    m.swappiness = 60;
    m.disable_oom_killer = true;
    m.use_hierarchy = false;
    write_memory_v2(files, m, {"linux.resources", false, &warnings});
    EXPECT_EQ(files.writes, (Strings{"memory.swap.max=209715200", "memory.max=104857600",
                                     "memory.low=52428800"}));
    EXPECT_EQ(dir.get("memory.swap.max"), "209715200");
    EXPECT_EQ(warnings.size(), 5u);
    EXPECT_EQ(warnings[3], "linux.resources.memory.disableOOMKiller: ignored on cgroup v2 (cgroup "
                           "v2 cannot disable the OOM killer)");
}

TEST(CgroupsWritersV2, MemoryEdgeCases) {
    FakeDir dir(kV2Memory);
    {
        Recorder files(dir.path());
        MemoryResources m;
        m.limit = 4096;
        m.swap = 4096;  // memory + swap == memory: no swap at all
        write_memory_v2(files, m, {});
        EXPECT_EQ(files.writes, (Strings{"memory.swap.max=0", "memory.max=4096"}));
    }
    {
        Recorder files(dir.path());
        MemoryResources m;
        m.limit = -1;
        write_memory_v2(files, m, {});
        EXPECT_EQ(files.writes, (Strings{"memory.swap.max=max", "memory.max=max"}));
    }
    {
        Recorder files(dir.path());
        MemoryResources m;
        m.swap = 4096;
        EXPECT_EQ(error_of([&] { write_memory_v2(files, m, {"linux.resources", false, nullptr}); }),
                  "linux.resources.memory.swap: a swap limit needs a memory limit (memory.limit)");
        EXPECT_TRUE(files.writes.empty());
    }
}

TEST(CgroupsWritersV2, MemoryWithoutSwapAccounting) {
    FakeDir dir(Files{{"memory.max", "max"}});
    Recorder files(dir.path());
    MemoryResources m;
    m.limit = -1;
    write_memory_v2(files, m, {});  // "max" on a missing memory.swap.max holds anyway
    EXPECT_EQ(files.writes, (Strings{"memory.swap.max=max !", "memory.max=max"}));
    MemoryResources with_swap;
    with_swap.limit = 100;
    with_swap.swap = 200;
    EXPECT_EQ(error_of([&] { write_memory_v2(files, with_swap, {}); }),
              "write " + dir.path() + "/memory.swap.max \"100\": No such file or directory");
}

TEST(CgroupsWritersV2, CheckBeforeUpdateRefusesALimitBelowUsage) {
    FakeDir dir(kV2Memory);
    Recorder files(dir.path());
    MemoryResources m;
    m.limit = 4096;
    m.check_before_update = true;
    EXPECT_EQ(error_of([&] { write_memory_v2(files, m, {"resources", true, nullptr}); }),
              "resources.memory.limit: rejecting limit 4096: it is not above the current usage "
              "5000 (memory.checkBeforeUpdate)");
    EXPECT_TRUE(files.writes.empty());
    m.limit = 8192;
    write_memory_v2(files, m, {"resources", true, nullptr});
    EXPECT_EQ(files.writes, (Strings{"memory.max=8192"}));
}

TEST(CgroupsWritersV2, Cpu) {
    FakeDir dir({{"cpu.weight", "100"}, {"cpu.max", "max 100000"}, {"cpu.max.burst", "0"},
                 {"cpu.idle", "0"}});
    Recorder files(dir.path());
    Strings warnings;
    CpuResources c;
    c.shares = 1024;
    c.quota = 50000;
    c.burst = 1000;
    c.idle = 1;
    c.realtime_runtime = 100;
    write_cpu_v2(files, c, {"linux.resources", false, &warnings});
    EXPECT_EQ(files.writes, (Strings{"cpu.idle=1", "cpu.weight=100", "cpu.max.burst=1000",
                                     "cpu.max=50000 100000"}));
    EXPECT_EQ(dir.get("cpu.max"), "50000 100000");
    EXPECT_EQ(warnings, (Strings{"linux.resources.cpu.realtimeRuntime/realtimePeriod: ignored on "
                                 "cgroup v2 (it has no realtime group scheduling)"}));

    Recorder unlimited(dir.path());
    CpuResources c2;
    c2.quota = -1;
    c2.period = 20000;
    c2.shares = 2;
    write_cpu_v2(unlimited, c2, {});
    EXPECT_EQ(unlimited.writes, (Strings{"cpu.weight=1", "cpu.max=max 20000"}));
}

TEST(CgroupsWritersV2, CpuBurstRefusedBeforeTheQuotaIsRetried) {
    FakeDir dir({{"cpu.max", "max 100000"}, {"cpu.max.burst", "0"}});
    Recorder files(dir.path());
    files.refuse("cpu.max.burst", EINVAL);
    CpuResources c;
    c.quota = 20000;
    c.burst = 10000;
    write_cpu_v2(files, c, {});
    EXPECT_EQ(files.writes, (Strings{"cpu.max.burst=10000 !", "cpu.max=20000 100000",
                                     "cpu.max.burst=10000"}));
}

TEST(CgroupsWritersV2, IoWithAndWithoutBfq) {
    {
        FakeDir dir({{"io.weight", "default 100"}, {"io.max", ""}});
        Recorder files(dir.path());
        Strings warnings;
        BlockIoResources io = sample_block_io();
        io.leaf_weight = 10;
        write_io_v2(files, io, {"linux.resources", false, &warnings});
        EXPECT_EQ(files.writes, (Strings{"io.weight=4950", "io.max=8:0 rbps=1048576",
                                         "io.max=8:16 wbps=2097152", "io.max=8:0 riops=100",
                                         "io.max=8:0 wiops=200"}));
        EXPECT_EQ(warnings.size(), 2u);  // weightDevice without BFQ, leafWeight
    }
    {
        FakeDir dir({{"io.bfq.weight", "default 100"}, {"io.max", ""}});
        Recorder files(dir.path());
        BlockIoResources io;
        io.weight = 500;
        io.weight_device.push_back({8, 0, 300, std::nullopt});
        write_io_v2(files, io, {});
        EXPECT_EQ(files.writes, (Strings{"io.bfq.weight=500", "io.bfq.weight=8:0 300"}));
    }
}

TEST(CgroupsWritersV2, Hugetlb) {
    FakeDir dir({{"hugetlb.2MB.max", "max"}, {"hugetlb.2MB.rsvd.max", "max"}});
    Recorder files(dir.path());
    write_hugetlb(files, {{"2MB", 2097152}}, true);
    EXPECT_EQ(files.writes, (Strings{"hugetlb.2MB.max=2097152", "hugetlb.2MB.rsvd.max=2097152"}));
}

TEST(CgroupsWritersV2, UnifiedIsWrittenVerbatimLineByLine) {
    FakeDir dir({{"memory.high", "max"}, {"io.max", ""}, {"cgroup.freeze", "0"}});
    Recorder files(dir.path());
    write_unified(files, {{"memory.high", "1048576"}, {"io.max", "8:0 rbps=1\n8:16 wbps=2\n"}},
                  {"memory", "io"}, false, {});
    EXPECT_EQ(files.writes, (Strings{"io.max=8:0 rbps=1", "io.max=8:16 wbps=2",
                                     "memory.high=1048576"}));
}

TEST(CgroupsWritersV2, UnifiedErrorsNameTheKeyAndController) {
    FakeDir dir(Files{{"memory.high", "max"}});
    Recorder files(dir.path());
    const WriteContext ctx{"linux.resources", false, nullptr};
    EXPECT_EQ(error_of([&] { write_unified(files, {{"pids.max", "5"}}, {"memory"}, false, ctx); }),
              "linux.resources.unified[\"pids.max\"]: the pids controller is not enabled in " +
                  dir.path());
    EXPECT_EQ(error_of([&] { write_unified(files, {{"nodot", "5"}}, {"memory"}, false, ctx); }),
              "linux.resources.unified[\"nodot\"]: not a cgroup v2 file (expected "
              "CONTROLLER.PARAMETER)");
    // Hybrid: only files the unified directory really has.
    EXPECT_EQ(error_of([&] { write_unified(files, {{"memory.max", "5"}}, {"hugetlb"}, true, ctx); }),
              "linux.resources.unified[\"memory.max\"]: no such file in the cgroup v2 directory " +
                  dir.path() + " (on this hybrid host the unified hierarchy offers only: hugetlb)");
}

// --- the dispatcher ------------------------------------------------------------------------

TEST(CgroupsApply, HybridSendsEachControllerToItsHierarchy) {
    FakeDir memory(kV1Memory);
    FakeDir pids(Files{{"pids.max", "max"}});
    FakeDir cpuset({{"cpuset.cpus", ""}, {"cpuset.mems", ""}});
    FakeDir unified({{"hugetlb.2MB.max", "max"}, {"hugetlb.2MB.rsvd.max", "max"},
                     {"cgroup.freeze", "0"}});
    ResourceTargets targets;
    targets.v1 = {{"memory", memory.path()}, {"pids", pids.path()}, {"cpuset", cpuset.path()}};
    targets.unified_dir = unified.path();
    targets.unified_controllers = {"hugetlb"};
    const Resources r = parse_resources(R"({
        "memory": {"limit": 1048576}, "pids": {"limit": 7}, "cpu": {"cpus": "0"},
        "hugepageLimits": [{"pageSize": "2MB", "limit": 0}],
        "unified": {"cgroup.freeze": "0"}})",
                                        "linux.resources");
    EXPECT_TRUE(apply_resources(targets, r, {}).empty());
    EXPECT_EQ(memory.get("memory.limit_in_bytes"), "1048576");
    EXPECT_EQ(pids.get("pids.max"), "7");
    EXPECT_EQ(cpuset.get("cpuset.cpus"), "0");
    EXPECT_EQ(unified.get("hugetlb.2MB.max"), "0");
    EXPECT_EQ(unified.get("hugetlb.2MB.rsvd.max"), "0");

    // The unified files on a hybrid host: only what the unified directory has.
    EXPECT_EQ(error_of([&] {
                  apply_resources(targets, parse_resources(R"({"unified": {"memory.max": "1"}})", "r"),
                                  {});
              }),
              "linux.resources.unified[\"memory.max\"]: no such file in the cgroup v2 directory " +
                  unified.path() + " (on this hybrid host the unified hierarchy offers only: hugetlb)");
}

TEST(CgroupsApply, PureV2WritesEverythingInOneDirectory) {
    FakeDir dir({{"memory.max", "max"}, {"memory.swap.max", "max"}, {"pids.max", "max"},
                 {"cpu.weight", "100"}, {"cpu.max", "max 100000"}, {"memory.high", "max"}});
    ResourceTargets targets;
    targets.unified_dir = dir.path();
    targets.unified_controllers = {"memory", "pids", "cpu"};
    targets.unified_only = true;
    const Resources r = parse_resources(R"({
        "memory": {"limit": 8388608, "swap": 8388608}, "pids": {"limit": -1},
        "cpu": {"shares": 1024, "quota": 10000},
        "network": {"classID": 1},
        "unified": {"memory.high": "4194304"}})",
                                        "linux.resources");
    const Strings warnings = apply_resources(targets, r, {});
    EXPECT_EQ(dir.get("memory.max"), "8388608");
    EXPECT_EQ(dir.get("memory.swap.max"), "0");
    EXPECT_EQ(dir.get("pids.max"), "max");
    EXPECT_EQ(dir.get("cpu.weight"), "100");
    EXPECT_EQ(dir.get("cpu.max"), "10000 100000");
    EXPECT_EQ(dir.get("memory.high"), "4194304");
    EXPECT_EQ(warnings, (Strings{"linux.resources.network: ignored on cgroup v2 (net_cls and "
                                 "net_prio exist only in cgroup v1)"}));
}

TEST(CgroupsApply, MissingControllersAreErrorsNamingTheField) {
    FakeDir memory(kV1Memory);
    FakeDir unified({});
    ResourceTargets hybrid;
    hybrid.v1 = {{"memory", memory.path()}};
    hybrid.unified_dir = unified.path();
    hybrid.unified_controllers = {"hugetlb"};
    const auto apply = [&](const ResourceTargets& targets, const char* json) {
        return error_of([&] { apply_resources(targets, parse_resources(json, "linux.resources"), {}); });
    };
    EXPECT_EQ(apply(hybrid, R"({"network": {"classID": 1}})"),
              "linux.resources.network.classID: the net_cls cgroup controller is not mounted on "
              "this host");
    EXPECT_EQ(apply(hybrid, R"({"network": {"priorities": [{"name": "lo", "priority": 1}]}})"),
              "linux.resources.network.priorities: the net_prio cgroup controller is not mounted "
              "on this host");
    EXPECT_EQ(apply(hybrid, R"({"rdma": {"mlx5_0": {"hcaHandles": 1}}})"),
              "linux.resources.rdma: no cgroup hierarchy offers the rdma controller here (no v1 "
              "mount, and " + unified.path() + "/cgroup.controllers lacks \"rdma\")");
    EXPECT_EQ(apply(hybrid, R"({"pids": {"limit": 5}})"),
              "linux.resources.pids.limit: no cgroup hierarchy offers the pids controller here "
              "(no v1 mount, and " + unified.path() + "/cgroup.controllers lacks \"pids\")");
    // Settings that write nothing need no controller.
    EXPECT_TRUE(apply_resources(hybrid, parse_resources(R"({"pids": {}, "cpu": {"shares": 0},
        "network": {"classID": 0}, "blockIO": {"weight": 0}})", "x"), {}).empty());

    ResourceTargets v1_only;
    v1_only.v1 = {{"memory", memory.path()}};
    EXPECT_EQ(apply(v1_only, R"({"unified": {"memory.max": "1"}})"),
              "linux.resources.unified: needs a cgroup v2 hierarchy, and this host has only "
              "cgroup v1");
    EXPECT_EQ(apply(v1_only, R"({"hugepageLimits": [{"pageSize": "2MB", "limit": 1}]})"),
              "linux.resources.hugepageLimits: no cgroup hierarchy offers the hugetlb controller "
              "here (it is not mounted)");
}

TEST(CgroupsApply, UpdateLeavesDevicesAlone) {
    FakeDir devices({{"devices.allow", ""}, {"devices.deny", ""}});
    ResourceTargets targets;
    targets.v1 = {{"devices", devices.path()}};
    const Resources r = parse_resources(R"({"devices": [{"allow": true, "access": "rwm"}]})", "x");
    ApplyOptions update;
    update.update = true;
    apply_resources(targets, r, update);
    EXPECT_EQ(devices.get("devices.allow"), "");
    apply_resources(targets, r, {});
    EXPECT_EQ(devices.get("devices.deny"), "a");
    EXPECT_EQ(devices.get("devices.allow"), "a");
}

}  // namespace
