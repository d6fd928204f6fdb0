#pragma once
// Resource usage of a container's cgroups, modelled on runc's stats document (the "data" of
// `runc events`, runc's types.Stats) so tools parsing runc's output parse hako's. Readers for
// cgroup v1 (one directory per controller) and cgroup v2 (one directory); both take the
// directories as arguments, so they can be pointed at a fake tree in a test. The JSON form is
// in stats_json.hpp.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace hako::cgroups {

struct CpuUsage {
    std::uint64_t total = 0;  // nanoseconds, as every time below
    std::vector<std::uint64_t> percpu;
    std::vector<std::uint64_t> percpu_kernel;
    std::vector<std::uint64_t> percpu_user;
    std::uint64_t kernel = 0;
    std::uint64_t user = 0;
};

struct CpuThrottling {
    std::uint64_t periods = 0;
    std::uint64_t throttled_periods = 0;
    std::uint64_t throttled_time = 0;
};

struct CpuStats {
    CpuUsage usage;
    CpuThrottling throttling;
};

struct CpusetStats {
    std::vector<std::uint16_t> cpus;
    std::uint64_t cpu_exclusive = 0;
    std::vector<std::uint16_t> mems;
    std::uint64_t mem_hardwall = 0;
    std::uint64_t mem_exclusive = 0;
    std::uint64_t memory_migrate = 0;
    std::uint64_t memory_spread_page = 0;
    std::uint64_t memory_spread_slab = 0;
    std::uint64_t memory_pressure = 0;
    std::uint64_t sched_load_balance = 0;
    std::int64_t sched_relax_domain_level = 0;
};

// Bytes; "no limit" is the kernel's own number (v1: a page-rounded INT64_MAX, v2: UINT64_MAX).
struct MemoryEntry {
    std::uint64_t limit = 0;
    std::uint64_t usage = 0;
    std::uint64_t max = 0;  // peak usage
    std::uint64_t failcnt = 0;
};

struct MemoryStats {
    std::uint64_t cache = 0;
    MemoryEntry usage;
    MemoryEntry swap;  // memory + swap, on v2 too (runc's convention, from v1's memsw)
    MemoryEntry kernel;
    MemoryEntry kernel_tcp;
    std::map<std::string, std::uint64_t> raw;  // memory.stat as it is
};

struct PidsStats {
    std::uint64_t current = 0;
    std::uint64_t limit = 0;  // 0: no limit
};

struct BlkioEntry {
    std::uint64_t major = 0;
    std::uint64_t minor = 0;
    std::string op;  // "Read", "Write", "Sync", "Async", "Discard", "Total" or empty
    std::uint64_t value = 0;

    bool operator==(const BlkioEntry&) const = default;
};

struct BlkioStats {
    std::vector<BlkioEntry> io_service_bytes_recursive;
    std::vector<BlkioEntry> io_serviced_recursive;
    std::vector<BlkioEntry> io_queued_recursive;
    std::vector<BlkioEntry> io_service_time_recursive;
    std::vector<BlkioEntry> io_wait_time_recursive;
    std::vector<BlkioEntry> io_merged_recursive;
    std::vector<BlkioEntry> io_time_recursive;
    std::vector<BlkioEntry> sectors_recursive;
};

struct HugetlbStats {
    std::uint64_t usage = 0;
    std::uint64_t max = 0;  // peak usage (v1 only)
    std::uint64_t failcnt = 0;
};

struct Stats {
    CpuStats cpu;
    CpusetStats cpuset;
    MemoryStats memory;
    PidsStats pids;
    BlkioStats blkio;
    std::map<std::string, HugetlbStats> hugetlb;  // by page size: "2MB", "1GB"
};

// The directory of each v1 controller the container has; empty when that controller is not
// mounted. cpu and cpuacct may be the same directory (co-mounted).
struct V1StatsDirs {
    std::string cpu;
    std::string cpuacct;
    std::string cpuset;
    std::string memory;
    std::string pids;
    std::string blkio;
    std::string hugetlb;
};

// Reads every controller present; missing files (a controller or feature the kernel lacks)
// leave their fields zero. Throws naming the file when a file exists but cannot be read or
// parsed.
Stats read_v1_stats(const V1StatsDirs& dirs, const std::vector<std::string>& hugepage_sizes);
Stats read_v2_stats(const std::string& dir, const std::vector<std::string>& hugepage_sizes);

// Only the hugetlb part of a cgroup2 directory (a hybrid host may offer hugetlb there only).
std::map<std::string, HugetlbStats> read_v2_hugetlb(const std::string& dir,
                                                    const std::vector<std::string>& sizes);

// The host's huge page sizes as cgroup file names spell them ("2MB", "1GB"), from the
// hugepages-<N>kB entries of sysfs_dir; empty when it does not exist.
std::vector<std::string> hugepage_sizes(const std::string& sysfs_dir = "/sys/kernel/mm/hugepages");

// 2048 -> "2MB", 1048576 -> "1GB", 64 -> "64KB".
std::string hugepage_size_name(std::uint64_t kib);

}  // namespace hako::cgroups
