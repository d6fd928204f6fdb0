// Stats from cgroup v1: one directory per controller, read as runc's fs driver reads them.
#include <unistd.h>

#include <array>
#include <limits>

#include "cgroups/stats.hpp"
#include "cgroups/stats_parse.hpp"
#include "sys/error.hpp"

namespace hako::cgroups {
namespace {

using detail::parse_uint;
using detail::read_stat_file;
using detail::read_uint;

constexpr std::uint64_t kNanosecondsPerSecond = 1'000'000'000;

void read_cpu(const std::string& dir, CpuThrottling& out) {
    const std::string path = dir + "/cpu.stat";
    const auto text = read_stat_file(path);
    if (!text) return;
    const auto values = detail::parse_flat_keyed(*text, path);
    auto get = [&values](const char* key) {
        const auto it = values.find(key);
        return it == values.end() ? 0 : it->second;
    };
    out.periods = get("nr_periods");
    out.throttled_periods = get("nr_throttled");
    out.throttled_time = get("throttled_time");
}

void read_cpuacct(const std::string& dir, CpuUsage& out) {
    out.total = read_uint(dir + "/cpuacct.usage");
    const std::string percpu = dir + "/cpuacct.usage_percpu";
    if (const auto text = read_stat_file(percpu)) out.percpu = detail::parse_uint_list(*text, percpu);

    // cpuacct.stat counts USER_HZ ticks.
    const std::string stat = dir + "/cpuacct.stat";
    if (const auto text = read_stat_file(stat)) {
        const auto values = detail::parse_flat_keyed(*text, stat);
        const long ticks = ::sysconf(_SC_CLK_TCK);
        const std::uint64_t per_second = ticks > 0 ? static_cast<std::uint64_t>(ticks) : 100;
        auto nanoseconds = [&](const char* key) -> std::uint64_t {
            const auto it = values.find(key);
            return it == values.end() ? 0 : it->second * kNanosecondsPerSecond / per_second;
        };
        out.user = nanoseconds("user");
        out.kernel = nanoseconds("system");
    }

    // "cpu user system" header, then one line per cpu, in nanoseconds.
    const std::string all = dir + "/cpuacct.usage_all";
    if (const auto text = read_stat_file(all)) {
        std::vector<std::uint64_t> numbers = detail::parse_uint_list(
            text->substr(std::min(text->find('\n'), text->size())), all);
        if (numbers.size() % 3 != 0) fail("read {}: expected \"cpu user system\" rows", all);
        for (std::size_t i = 0; i < numbers.size(); i += 3) {
            out.percpu_user.push_back(numbers[i + 1]);
            out.percpu_kernel.push_back(numbers[i + 2]);
        }
    }
}

void read_cpuset(const std::string& dir, CpusetStats& out) {
    for (auto [file, list] : {std::pair{"/cpuset.cpus", &out.cpus}, std::pair{"/cpuset.mems", &out.mems}}) {
        const std::string path = dir + file;
        if (const auto text = read_stat_file(path)) *list = detail::parse_cpu_list(*text, path);
    }
    out.cpu_exclusive = read_uint(dir + "/cpuset.cpu_exclusive");
    out.mem_hardwall = read_uint(dir + "/cpuset.mem_hardwall");
    out.mem_exclusive = read_uint(dir + "/cpuset.mem_exclusive");
    out.memory_migrate = read_uint(dir + "/cpuset.memory_migrate");
    out.memory_spread_page = read_uint(dir + "/cpuset.memory_spread_page");
    out.memory_spread_slab = read_uint(dir + "/cpuset.memory_spread_slab");
    out.memory_pressure = read_uint(dir + "/cpuset.memory_pressure");
    out.sched_load_balance = read_uint(dir + "/cpuset.sched_load_balance");
    const std::string level = dir + "/cpuset.sched_relax_domain_level";
    if (const auto text = read_stat_file(level)) out.sched_relax_domain_level = detail::parse_int(*text, level);
}

// memory.<name>.{usage_in_bytes,max_usage_in_bytes,failcnt,limit_in_bytes}; all zero when the
// kernel lacks that counter (memsw without swap accounting, kmem on newer kernels).
MemoryEntry read_memory_entry(const std::string& dir, const std::string& name) {
    const std::string prefix = dir + "/memory." + (name.empty() ? "" : name + ".");
    MemoryEntry entry;
    const std::string usage = prefix + "usage_in_bytes";
    const auto text = read_stat_file(usage);
    if (!text) return entry;
    entry.usage = parse_uint(*text, usage);
    entry.max = read_uint(prefix + "max_usage_in_bytes");
    entry.failcnt = read_uint(prefix + "failcnt");
    entry.limit = read_uint(prefix + "limit_in_bytes");
    return entry;
}

void read_memory(const std::string& dir, MemoryStats& out) {
    const std::string stat = dir + "/memory.stat";
    const auto text = read_stat_file(stat);
    if (!text) return;
    out.raw = detail::parse_flat_keyed(*text, stat);
    if (const auto it = out.raw.find("cache"); it != out.raw.end()) out.cache = it->second;
    out.usage = read_memory_entry(dir, "");
    out.swap = read_memory_entry(dir, "memsw");
    out.kernel = read_memory_entry(dir, "kmem");
    out.kernel_tcp = read_memory_entry(dir, "kmem.tcp");
}

void read_pids(const std::string& dir, PidsStats& out) {
    out.current = read_uint(dir + "/pids.current");
    const std::uint64_t max = read_uint(dir + "/pids.max");
    out.limit = max == std::numeric_limits<std::uint64_t>::max() ? 0 : max;
}

// runc's order: the BFQ debug files, BFQ, CFQ, the throttle policy's recursive files, its
// plain ones. The first group whose first file has entries is read whole.
void read_blkio(const std::string& dir, BlkioStats& out) {
    using Field = std::vector<BlkioEntry> BlkioStats::*;
    struct File {
        const char* name;
        Field field;
    };
    const std::vector<std::vector<File>> groups = {
        {{"blkio.bfq.sectors_recursive", &BlkioStats::sectors_recursive},
         {"blkio.bfq.io_service_time_recursive", &BlkioStats::io_service_time_recursive},
         {"blkio.bfq.io_wait_time_recursive", &BlkioStats::io_wait_time_recursive},
         {"blkio.bfq.io_merged_recursive", &BlkioStats::io_merged_recursive},
         {"blkio.bfq.io_queued_recursive", &BlkioStats::io_queued_recursive},
         {"blkio.bfq.time_recursive", &BlkioStats::io_time_recursive},
         {"blkio.bfq.io_serviced_recursive", &BlkioStats::io_serviced_recursive},
         {"blkio.bfq.io_service_bytes_recursive", &BlkioStats::io_service_bytes_recursive}},
        {{"blkio.bfq.io_serviced_recursive", &BlkioStats::io_serviced_recursive},
         {"blkio.bfq.io_service_bytes_recursive", &BlkioStats::io_service_bytes_recursive}},
        {{"blkio.sectors_recursive", &BlkioStats::sectors_recursive},
         {"blkio.io_service_time_recursive", &BlkioStats::io_service_time_recursive},
         {"blkio.io_wait_time_recursive", &BlkioStats::io_wait_time_recursive},
         {"blkio.io_merged_recursive", &BlkioStats::io_merged_recursive},
         {"blkio.io_queued_recursive", &BlkioStats::io_queued_recursive},
         {"blkio.time_recursive", &BlkioStats::io_time_recursive},
         {"blkio.io_serviced_recursive", &BlkioStats::io_serviced_recursive},
         {"blkio.io_service_bytes_recursive", &BlkioStats::io_service_bytes_recursive}},
        {{"blkio.throttle.io_serviced_recursive", &BlkioStats::io_serviced_recursive},
         {"blkio.throttle.io_service_bytes_recursive", &BlkioStats::io_service_bytes_recursive}},
        {{"blkio.throttle.io_serviced", &BlkioStats::io_serviced_recursive},
         {"blkio.throttle.io_service_bytes", &BlkioStats::io_service_bytes_recursive}},
    };
    for (const auto& group : groups) {
        BlkioStats found;
        bool complete = true;
        for (const File& file : group) {
            const std::string path = dir + "/" + file.name;
            const auto text = read_stat_file(path);
            std::vector<BlkioEntry> entries;
            if (text) entries = detail::parse_blkio_v1(*text, path);
            if (&file == &group.front() && entries.empty()) {
                complete = false;
                break;
            }
            found.*(file.field) = std::move(entries);
        }
        if (complete) {
            out = std::move(found);
            return;
        }
    }
}

void read_hugetlb(const std::string& dir, const std::vector<std::string>& sizes,
                  std::map<std::string, HugetlbStats>& out) {
    for (const std::string& size : sizes) {
        const std::string prefix = dir + "/hugetlb." + size + ".";
        const auto usage = read_stat_file(prefix + "usage_in_bytes");
        if (!usage) continue;
        HugetlbStats entry;
        entry.usage = parse_uint(*usage, prefix + "usage_in_bytes");
        entry.max = read_uint(prefix + "max_usage_in_bytes");
        entry.failcnt = read_uint(prefix + "failcnt");
        out[size] = entry;
    }
}

}  // namespace

Stats read_v1_stats(const V1StatsDirs& dirs, const std::vector<std::string>& hugepage_sizes) {
    Stats stats;
    if (!dirs.cpu.empty()) read_cpu(dirs.cpu, stats.cpu.throttling);
    if (!dirs.cpuacct.empty()) read_cpuacct(dirs.cpuacct, stats.cpu.usage);
    if (!dirs.cpuset.empty()) read_cpuset(dirs.cpuset, stats.cpuset);
    if (!dirs.memory.empty()) read_memory(dirs.memory, stats.memory);
    if (!dirs.pids.empty()) read_pids(dirs.pids, stats.pids);
    if (!dirs.blkio.empty()) read_blkio(dirs.blkio, stats.blkio);
    if (!dirs.hugetlb.empty()) read_hugetlb(dirs.hugetlb, hugepage_sizes, stats.hugetlb);
    return stats;
}

}  // namespace hako::cgroups
