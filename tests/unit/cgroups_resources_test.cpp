// The LinuxResources model: what parses into what, the exact error for each kind of bad value,
// the JSON round trip state.json relies on, the merge `hako update` does, and runc's value
// conversions.
#include <gtest/gtest.h>

#include <string>

#include "cgroups/conversions.hpp"
#include "cgroups/resources.hpp"
#include "sys/error.hpp"

using hako::cgroups::DeviceRule;
using hako::cgroups::merge_resources;
using hako::cgroups::parse_resources;
using hako::cgroups::Resources;
using hako::cgroups::resources_to_json;

namespace {

Resources parse(const std::string& json) {
    return parse_resources(json, "linux.resources");
}

// The message of the error parsing json throws (fails the test when it does not throw).
std::string error_of(const std::string& json) {
    try {
        parse(json);
    } catch (const hako::Error& e) {
        return e.what();
    }
    ADD_FAILURE() << "no error for " << json;
    return {};
}

constexpr const char* kFull = R"({
  "devices": [{"allow": false, "access": "rwm"},
              {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "mwr"},
              {"allow": true, "type": "b", "major": -1, "access": "m"}],
  "memory": {"limit": 104857600, "reservation": 52428800, "swap": 209715200, "kernel": 1,
             "kernelTCP": 4096, "swappiness": 10, "disableOOMKiller": true,
             "useHierarchy": true, "checkBeforeUpdate": true},
  "cpu": {"shares": 512, "quota": 50000, "burst": 1000, "period": 100000,
          "realtimeRuntime": 950, "realtimePeriod": 1000, "cpus": "0-1", "mems": "0",
          "idle": 1},
  "pids": {"limit": 32},
  "blockIO": {"weight": 500, "leafWeight": 300,
              "weightDevice": [{"major": 8, "minor": 0, "weight": 600}],
              "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1048576}],
              "throttleWriteBpsDevice": [{"major": 8, "minor": 0, "rate": 2097152}],
              "throttleReadIOPSDevice": [{"major": 8, "minor": 0, "rate": 100}],
              "throttleWriteIOPSDevice": [{"major": 8, "minor": 0, "rate": 200}]},
  "hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}],
  "network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 5}]},
  "rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}},
  "unified": {"memory.high": "max", "io.max": "8:0 rbps=1"}
})";

TEST(CgroupsResources, ParsesEveryField) {
    const Resources r = parse(kFull);
    ASSERT_EQ(r.devices.size(), 3u);
    EXPECT_EQ(r.devices[0], (DeviceRule{false, 'a', std::nullopt, std::nullopt, "rwm"}));
    EXPECT_EQ(r.devices[1], (DeviceRule{true, 'c', 1, 3, "rwm"}));  // access canonicalised
    EXPECT_EQ(r.devices[2], (DeviceRule{true, 'b', std::nullopt, std::nullopt, "m"}));  // -1 = any
    ASSERT_TRUE(r.memory);
    EXPECT_EQ(r.memory->limit, 104857600);
    EXPECT_EQ(r.memory->reservation, 52428800);
    EXPECT_EQ(r.memory->swap, 209715200);
    EXPECT_EQ(r.memory->kernel, 1);
    EXPECT_EQ(r.memory->kernel_tcp, 4096);
    EXPECT_EQ(r.memory->swappiness, 10u);
    EXPECT_EQ(r.memory->disable_oom_killer, true);
    EXPECT_EQ(r.memory->use_hierarchy, true);
    EXPECT_EQ(r.memory->check_before_update, true);
    ASSERT_TRUE(r.cpu);
    EXPECT_EQ(r.cpu->shares, 512u);
    EXPECT_EQ(r.cpu->quota, 50000);
    EXPECT_EQ(r.cpu->burst, 1000u);
    EXPECT_EQ(r.cpu->period, 100000u);
    EXPECT_EQ(r.cpu->realtime_runtime, 950);
    EXPECT_EQ(r.cpu->realtime_period, 1000u);
    EXPECT_EQ(r.cpu->cpus, "0-1");
    EXPECT_EQ(r.cpu->mems, "0");
    EXPECT_EQ(r.cpu->idle, 1);
    ASSERT_TRUE(r.pids);
    EXPECT_EQ(r.pids->limit, 32);
    ASSERT_TRUE(r.block_io);
    EXPECT_EQ(r.block_io->weight, 500);
    EXPECT_EQ(r.block_io->leaf_weight, 300);
    ASSERT_EQ(r.block_io->weight_device.size(), 1u);
    EXPECT_EQ(r.block_io->weight_device[0].weight, 600);
    EXPECT_FALSE(r.block_io->weight_device[0].leaf_weight);
    EXPECT_EQ(r.block_io->throttle_read_bps[0].rate, 1048576u);
    EXPECT_EQ(r.block_io->throttle_write_bps[0].rate, 2097152u);
    EXPECT_EQ(r.block_io->throttle_read_iops[0].rate, 100u);
    EXPECT_EQ(r.block_io->throttle_write_iops[0].rate, 200u);
    ASSERT_EQ(r.hugepage_limits.size(), 1u);
    EXPECT_EQ(r.hugepage_limits[0].page_size, "2MB");
    EXPECT_EQ(r.hugepage_limits[0].limit, 4194304u);
    ASSERT_TRUE(r.network);
    EXPECT_EQ(r.network->class_id, 1048577u);
    EXPECT_EQ(r.network->priorities[0].name, "eth0");
    EXPECT_EQ(r.network->priorities[0].priority, 5u);
    EXPECT_EQ(r.rdma.at("mlx5_1").hca_handles, 3u);
    EXPECT_EQ(r.rdma.at("mlx5_1").hca_objects, 10000u);
    EXPECT_EQ(r.unified.at("memory.high"), "max");
    EXPECT_EQ(r.unified.at("io.max"), "8:0 rbps=1");
}

TEST(CgroupsResources, AbsentAndNullAreTheSame) {
    EXPECT_EQ(parse(""), Resources{});
    EXPECT_EQ(parse("{}"), Resources{});
    const Resources r = parse(R"({"memory": {"limit": null}, "cpu": null, "pids": {}})");
    ASSERT_TRUE(r.memory);
    EXPECT_FALSE(r.memory->limit);
    EXPECT_FALSE(r.cpu);
    ASSERT_TRUE(r.pids);
    EXPECT_FALSE(r.pids->limit);
}

TEST(CgroupsResources, RoundTripsThroughJson) {
    const Resources r = parse(kFull);
    EXPECT_EQ(parse(resources_to_json(r)), r);
    EXPECT_EQ(resources_to_json(Resources{}), "{}");
    EXPECT_EQ(resources_to_json(parse(R"({"pids": {"limit": -1}})")), R"({"pids":{"limit":-1}})");
}

TEST(CgroupsResources, ErrorsNameTheJsonPath) {
    EXPECT_EQ(error_of(R"({"memory": {"limit": "1g"}})"),
              "linux.resources.memory.limit: expected integer");
    EXPECT_EQ(error_of(R"({"memory": {"limit": -2}})"),
              "linux.resources.memory.limit: -2 is not a number of bytes or -1 (unlimited)");
    EXPECT_EQ(error_of(R"({"memory": {"swappiness": 101}})"),
              "linux.resources.memory.swappiness: must be between 0 and 100");
    EXPECT_EQ(error_of(R"({"memory": {"swappiness": -1}})"),
              "linux.resources.memory.swappiness: expected unsigned integer");
    EXPECT_EQ(error_of(R"({"memory": {"disableOOMKiller": 1}})"),
              "linux.resources.memory.disableOOMKiller: expected boolean");
    EXPECT_EQ(error_of(R"({"memory": []})"), "linux.resources.memory: expected object");
    EXPECT_EQ(error_of(R"({"cpu": {"shares": -5}})"),
              "linux.resources.cpu.shares: expected unsigned integer");
    EXPECT_EQ(error_of(R"({"cpu": {"quota": 1.5}})"), "linux.resources.cpu.quota: expected integer");
    EXPECT_EQ(error_of(R"({"cpu": {"cpus": "0-1\n2"}})"),
              "linux.resources.cpu.cpus: \"0-1\\n2\" is not a list like \"0-2,4\"");
    EXPECT_EQ(error_of(R"({"pids": {"limit": true}})"), "linux.resources.pids.limit: expected integer");
    EXPECT_EQ(error_of(R"({"blockIO": {"weight": 70000}})"),
              "linux.resources.blockIO.weight: 70000 is out of range (maximum 65535)");
    EXPECT_EQ(error_of(R"({"blockIO": {"throttleReadBpsDevice": [{"major": 8, "minor": 0}]}})"),
              "linux.resources.blockIO.throttleReadBpsDevice[0].rate: required");
    EXPECT_EQ(error_of(R"({"blockIO": {"weightDevice": [{"major": -1, "minor": 0}]}})"),
              "linux.resources.blockIO.weightDevice[0].major: -1 is not a device number");
    EXPECT_EQ(error_of(R"({"hugepageLimits": [{"pageSize": "../2MB", "limit": 1}]})"),
              "linux.resources.hugepageLimits[0].pageSize: \"../2MB\" is not a page size like \"2MB\"");
    EXPECT_EQ(error_of(R"({"network": {"classID": 4294967296}})"),
              "linux.resources.network.classID: 4294967296 is out of range (maximum 4294967295)");
    EXPECT_EQ(error_of(R"({"network": {"priorities": [{"name": "eth 0", "priority": 1}]}})"),
              "linux.resources.network.priorities[0].name: \"eth 0\" is not a single word");
    EXPECT_EQ(error_of(R"({"rdma": {"mlx": {"hcaHandles": -1}}})"),
              "linux.resources.rdma[\"mlx\"].hcaHandles: expected unsigned integer");
    EXPECT_EQ(error_of(R"({"unified": {"../memory.max": "1"}})"),
              "linux.resources.unified[\"../memory.max\"]: must be a file name of the cgroup "
              "directory (no \"/\")");
    EXPECT_EQ(error_of(R"({"unified": {"memory.max": 1}})"),
              "linux.resources.unified[\"memory.max\"]: expected string");
    EXPECT_EQ(error_of(R"({"devices": [{"access": "rwm"}]})"),
              "linux.resources.devices[0].allow: required");
    EXPECT_EQ(error_of(R"({"devices": [{"allow": true, "type": "x", "access": "r"}]})"),
              "linux.resources.devices[0].type: unknown device type \"x\" (expected a, b or c)");
    EXPECT_EQ(error_of(R"({"devices": [{"allow": true, "access": "rwx"}]})"),
              "linux.resources.devices[0].access: unknown access \"rwx\" (expected a subset of \"rwm\")");
    EXPECT_EQ(error_of(R"({"devices": [{"allow": true, "access": ""}]})"),
              "linux.resources.devices[0].access: must not be empty (a subset of \"rwm\")");
    EXPECT_EQ(error_of(R"({"devices": [{"allow": true}]})"),
              "linux.resources.devices[0].access: required");
    EXPECT_EQ(error_of(R"({"devices": {}})"), "linux.resources.devices: expected array");
    EXPECT_EQ(error_of("[1]"), "linux.resources: expected object");
    EXPECT_EQ(error_of("{"),
              "linux.resources: invalid JSON: parse error at line 1, column 2: syntax error while "
              "parsing object key - unexpected end of input; expected string literal");
}

TEST(CgroupsResources, ErrorsWithoutAPrefix) {
    try {
        parse_resources(R"({"cpu": {"period": "x"}})", "resources");
        FAIL();
    } catch (const hako::Error& e) {
        EXPECT_STREQ(e.what(), "resources.cpu.period: expected unsigned integer");
    }
}

TEST(CgroupsResources, MergeReplacesWhatTheUpdateNames) {
    const Resources current = parse(R"({
        "devices": [{"allow": false, "access": "rwm"}],
        "memory": {"limit": 100, "swap": 200},
        "cpu": {"quota": 1000, "period": 10000, "cpus": "0"},
        "blockIO": {"throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1},
                                              {"major": 8, "minor": 16, "rate": 2}]},
        "hugepageLimits": [{"pageSize": "2MB", "limit": 1}],
        "unified": {"memory.high": "1000"}})");
    const Resources changes = parse(R"({
        "devices": [{"allow": true, "access": "rwm"}],
        "memory": {"limit": 150},
        "cpu": {"quota": 5000},
        "pids": {"limit": 10},
        "blockIO": {"throttleReadBpsDevice": [{"major": 8, "minor": 16, "rate": 20},
                                              {"major": 8, "minor": 32, "rate": 30}]},
        "hugepageLimits": [{"pageSize": "1GB", "limit": 0}],
        "unified": {"pids.max": "5"}})");
    const Resources merged = merge_resources(current, changes);
    EXPECT_EQ(merged.devices, current.devices);  // not updatable, as with runc
    EXPECT_EQ(merged.memory->limit, 150);
    EXPECT_EQ(merged.memory->swap, 200);
    EXPECT_EQ(merged.cpu->quota, 5000);
    EXPECT_EQ(merged.cpu->period, 10000u);
    EXPECT_EQ(merged.cpu->cpus, "0");
    EXPECT_EQ(merged.pids->limit, 10);
    ASSERT_EQ(merged.block_io->throttle_read_bps.size(), 3u);
    EXPECT_EQ(merged.block_io->throttle_read_bps[0].rate, 1u);
    EXPECT_EQ(merged.block_io->throttle_read_bps[1].rate, 20u);
    EXPECT_EQ(merged.block_io->throttle_read_bps[2].rate, 30u);
    ASSERT_EQ(merged.hugepage_limits.size(), 2u);
    EXPECT_EQ(merged.unified.size(), 2u);
}

TEST(CgroupsResources, MergeUnlimitedMemoryMeansUnlimitedSwap) {
    const Resources current = parse(R"({"memory": {"limit": 100, "swap": 200}})");
    EXPECT_EQ(merge_resources(current, parse(R"({"memory": {"limit": -1}})")).memory->swap, -1);
    EXPECT_EQ(merge_resources(current, parse(R"({"memory": {"limit": -1, "swap": 300}})"))
                  .memory->swap,
              300);
}

// --- conversions ---------------------------------------------------------------------------

TEST(CgroupsConversions, CpuSharesToWeightIsRunc14sFormula) {
    using hako::cgroups::cpu_shares_to_weight;
    EXPECT_EQ(cpu_shares_to_weight(0), 0u);
    EXPECT_EQ(cpu_shares_to_weight(1), 1u);
    EXPECT_EQ(cpu_shares_to_weight(2), 1u);
    EXPECT_EQ(cpu_shares_to_weight(1024), 100u);  // v1 default -> v2 default
    EXPECT_EQ(cpu_shares_to_weight(262144), 10000u);
    EXPECT_EQ(cpu_shares_to_weight(300000), 10000u);
    // ceil(10^((l^2 + 125 l) / 612 - 7/34)), l = log2(shares), worked out by hand.
    EXPECT_EQ(cpu_shares_to_weight(3), 2u);
    EXPECT_EQ(cpu_shares_to_weight(100), 17u);
    EXPECT_EQ(cpu_shares_to_weight(512), 59u);
    EXPECT_EQ(cpu_shares_to_weight(2048), 174u);
    EXPECT_EQ(cpu_shares_to_weight(131072), 5478u);
    EXPECT_EQ(cpu_shares_to_weight(262143), 10000u);
}

TEST(CgroupsConversions, BlkioWeightToIoWeight) {
    using hako::cgroups::blkio_weight_to_io_weight;
    EXPECT_EQ(blkio_weight_to_io_weight(0), 0u);
    EXPECT_EQ(blkio_weight_to_io_weight(10), 1u);
    EXPECT_EQ(blkio_weight_to_io_weight(500), 4950u);  // 1 + 490 * 9999 / 990
    EXPECT_EQ(blkio_weight_to_io_weight(1000), 10000u);
    EXPECT_EQ(blkio_weight_to_io_weight(5), 1u);        // clamped, no wrap-around
    EXPECT_EQ(blkio_weight_to_io_weight(2000), 10000u);
}

TEST(CgroupsConversions, MemorySwapToV2) {
    using hako::cgroups::memory_swap_to_v2;
    EXPECT_EQ(memory_swap_to_v2(0, -1, "r"), -1);
    EXPECT_EQ(memory_swap_to_v2(-1, 100, "r"), -1);
    EXPECT_EQ(memory_swap_to_v2(0, 100, "r"), 0);
    EXPECT_EQ(memory_swap_to_v2(500, -1, "r"), 500);
    EXPECT_EQ(memory_swap_to_v2(300, 100, "r"), 200);
    EXPECT_EQ(memory_swap_to_v2(100, 100, "r"), 0);
    try {
        memory_swap_to_v2(300, 0, "linux.resources");
        FAIL();
    } catch (const hako::Error& e) {
        EXPECT_STREQ(e.what(),
                     "linux.resources.memory.swap: a swap limit needs a memory limit (memory.limit)");
    }
    try {
        memory_swap_to_v2(50, 100, "linux.resources");
        FAIL();
    } catch (const hako::Error& e) {
        EXPECT_STREQ(e.what(), "linux.resources.memory.swap: 50 is below memory.limit 100 (swap "
                               "counts memory + swap)");
    }
}

TEST(CgroupsConversions, LimitsAndFileNames) {
    using namespace hako::cgroups;
    EXPECT_EQ(v2_limit_value(0), "");
    EXPECT_EQ(v2_limit_value(-1), "max");
    EXPECT_EQ(v2_limit_value(4096), "4096");
    EXPECT_EQ(pids_max_value(-1), "max");
    EXPECT_EQ(pids_max_value(-7), "max");
    EXPECT_EQ(pids_max_value(0), "1");
    EXPECT_EQ(pids_max_value(100), "100");
    EXPECT_EQ(hugetlb_limit_file("2MB", false), "hugetlb.2MB.limit_in_bytes");
    EXPECT_EQ(hugetlb_limit_file("2MB", true), "hugetlb.2MB.max");
    EXPECT_EQ(hugetlb_limit_file("1GB", false, true), "hugetlb.1GB.rsvd.limit_in_bytes");
    EXPECT_EQ(hugetlb_limit_file("1GB", true, true), "hugetlb.1GB.rsvd.max");
}

TEST(CgroupsConversions, RamInBytes) {
    using hako::cgroups::parse_ram_in_bytes;
    EXPECT_EQ(parse_ram_in_bytes("-1", "--memory"), -1);
    EXPECT_EQ(parse_ram_in_bytes("512", "--memory"), 512);
    EXPECT_EQ(parse_ram_in_bytes("64k", "--memory"), 64 * 1024);
    EXPECT_EQ(parse_ram_in_bytes("64KB", "--memory"), 64 * 1024);
    EXPECT_EQ(parse_ram_in_bytes("100m", "--memory"), 100 * 1024 * 1024);
    EXPECT_EQ(parse_ram_in_bytes("2GiB", "--memory"), 2LL * 1024 * 1024 * 1024);
    EXPECT_EQ(parse_ram_in_bytes("1.5g", "--memory"), 1536LL * 1024 * 1024);
    EXPECT_EQ(parse_ram_in_bytes("100 MB", "--memory"), 100 * 1024 * 1024);
    EXPECT_EQ(parse_ram_in_bytes("10b", "--memory"), 10);
    for (const char* bad : {"", "m", "-2", "1x", "1.m", "1mm", "1ib"}) {
        EXPECT_THROW(parse_ram_in_bytes(bad, "--memory"), hako::Error) << bad;
    }
    try {
        parse_ram_in_bytes("12q", "--memory-swap");
        FAIL();
    } catch (const hako::Error& e) {
        EXPECT_STREQ(e.what(), "invalid value for --memory-swap: \"12q\" is not a size like 512, "
                               "64k, 1.5g or 2GiB");
    }
}

}  // namespace
