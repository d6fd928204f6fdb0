// Stats from a cgroup2 directory, as runc's fs2 driver reads them.
#include <limits>

#include "cgroups/cgroup_fs.hpp"
#include "cgroups/stats.hpp"
#include "cgroups/stats_parse.hpp"

namespace hako::cgroups {
namespace {

using detail::read_stat_file;
using detail::read_uint;

constexpr std::uint64_t kUnlimited = std::numeric_limits<std::uint64_t>::max();

// A "key value" file as a map; empty when the file is absent.
std::map<std::string, std::uint64_t> read_keyed(const std::string& path) {
    const auto text = read_stat_file(path);
    if (!text) return {};
    return detail::parse_flat_keyed(*text, path);
}

std::uint64_t value_of(const std::map<std::string, std::uint64_t>& values, const char* key) {
    const auto it = values.find(key);
    return it == values.end() ? 0 : it->second;
}

void read_cpu(const std::string& dir, CpuStats& out) {
    // cpu.stat's usage fields exist in every cgroup2 directory, controller or not.
    const auto values = read_keyed(dir + "/cpu.stat");
    out.usage.total = value_of(values, "usage_usec") * 1000;
    out.usage.user = value_of(values, "user_usec") * 1000;
    out.usage.kernel = value_of(values, "system_usec") * 1000;
    out.throttling.periods = value_of(values, "nr_periods");
    out.throttling.throttled_periods = value_of(values, "nr_throttled");
    out.throttling.throttled_time = value_of(values, "throttled_usec") * 1000;
}

void read_cpuset(const std::string& dir, CpusetStats& out) {
    for (auto [file, list] : {std::pair{"/cpuset.cpus.effective", &out.cpus},
                              std::pair{"/cpuset.mems.effective", &out.mems}}) {
        const std::string path = dir + file;
        if (const auto text = read_stat_file(path)) *list = detail::parse_cpu_list(*text, path);
    }
}

// memory.<name>.{current,max,peak}; zero when the counter does not exist.
MemoryEntry read_memory_entry(const std::string& dir, const std::string& name) {
    const std::string prefix = dir + "/memory." + (name.empty() ? "" : name + ".");
    MemoryEntry entry;
    const std::string current = prefix + "current";
    const auto text = read_stat_file(current);
    if (!text) return entry;
    entry.usage = detail::parse_uint(*text, current);
    entry.limit = read_uint(prefix + "max", kUnlimited);
    entry.max = read_uint(prefix + "peak");
    return entry;
}

void read_memory(const std::string& dir, MemoryStats& out) {
    const auto text = read_stat_file(dir + "/memory.stat");
    if (!text) return;  // the memory controller is not enabled here
    out.raw = detail::parse_flat_keyed(*text, dir + "/memory.stat");
    out.cache = value_of(out.raw, "file");
    out.usage = read_memory_entry(dir, "");
    // v2 has no failcnt; "max" counts the times usage hit memory.max, which is what v1's
    // failcnt counted.
    out.usage.failcnt = value_of(read_keyed(dir + "/memory.events"), "max");
    // v1 reported memory+swap as "swap" (memsw); runc keeps that meaning on v2.
    MemoryEntry swap = read_memory_entry(dir, "swap");
    swap.usage += out.usage.usage;
    if (swap.limit != kUnlimited) {
        swap.limit = out.usage.limit > kUnlimited - swap.limit ? kUnlimited
                                                                : swap.limit + out.usage.limit;
    }
    swap.max = 0;  // memory.swap.peak is not the peak of memory+swap
    out.swap = swap;
}

void read_pids(const std::string& dir, PidsStats& out) {
    const std::string current = dir + "/pids.current";
    if (const auto text = read_stat_file(current)) {
        out.current = detail::parse_uint(*text, current);
        const std::uint64_t max = read_uint(dir + "/pids.max", kUnlimited);
        out.limit = max == kUnlimited ? 0 : max;
        return;
    }
    // No pids controller here: count the processes instead, as runc does.
    std::vector<pid_t> pids;
    detail::collect_pids(dir, pids);
    out.current = pids.size();
}

void read_io(const std::string& dir, BlkioStats& out) {
    const std::string path = dir + "/io.stat";
    if (const auto text = read_stat_file(path)) detail::parse_io_stat(*text, path, out);
}

}  // namespace

std::map<std::string, HugetlbStats> read_v2_hugetlb(const std::string& dir,
                                                    const std::vector<std::string>& sizes) {
    std::map<std::string, HugetlbStats> out;
    for (const std::string& size : sizes) {
        const std::string prefix = dir + "/hugetlb." + size + ".";
        const auto current = read_stat_file(prefix + "current");
        if (!current) continue;
        HugetlbStats entry;
        entry.usage = detail::parse_uint(*current, prefix + "current");
        entry.failcnt = value_of(read_keyed(prefix + "events"), "max");
        out[size] = entry;
    }
    return out;
}

Stats read_v2_stats(const std::string& dir, const std::vector<std::string>& hugepage_sizes) {
    Stats stats;
    read_cpu(dir, stats.cpu);
    read_cpuset(dir, stats.cpuset);
    read_memory(dir, stats.memory);
    read_pids(dir, stats.pids);
    read_io(dir, stats.blkio);
    stats.hugetlb = read_v2_hugetlb(dir, hugepage_sizes);
    return stats;
}

}  // namespace hako::cgroups
