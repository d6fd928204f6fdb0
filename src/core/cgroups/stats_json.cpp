// The stats document in runc's JSON shape (runc's types/events.go: types.Stats).
#include "cgroups/stats_json.hpp"

namespace hako::cgroups {
namespace {

using Json = nlohmann::ordered_json;

// runc's fields tagged `omitempty` are left out when zero or empty; the others never are.
template <typename Value>
void put_unless_empty(Json& json, const char* key, const Value& value) {
    if constexpr (std::is_arithmetic_v<Value>) {
        if (value != 0) json[key] = value;
    } else {
        if (!value.empty()) json[key] = value;
    }
}

Json memory_entry(const MemoryEntry& entry) {
    Json json = Json::object();
    json["limit"] = entry.limit;
    put_unless_empty(json, "usage", entry.usage);
    put_unless_empty(json, "max", entry.max);
    json["failcnt"] = entry.failcnt;
    return json;
}

Json blkio_entries(const std::vector<BlkioEntry>& entries) {
    Json list = Json::array();
    for (const BlkioEntry& entry : entries) {
        Json json = Json::object();
        put_unless_empty(json, "major", entry.major);
        put_unless_empty(json, "minor", entry.minor);
        put_unless_empty(json, "op", entry.op);
        put_unless_empty(json, "value", entry.value);
        list.push_back(std::move(json));
    }
    return list;
}

void put_blkio(Json& json, const char* key, const std::vector<BlkioEntry>& entries) {
    if (!entries.empty()) json[key] = blkio_entries(entries);
}

}  // namespace

Json to_runc_json(const Stats& stats) {
    Json usage = Json::object();
    put_unless_empty(usage, "total", stats.cpu.usage.total);
    put_unless_empty(usage, "percpu", stats.cpu.usage.percpu);
    put_unless_empty(usage, "percpu_kernel", stats.cpu.usage.percpu_kernel);
    put_unless_empty(usage, "percpu_user", stats.cpu.usage.percpu_user);
    usage["kernel"] = stats.cpu.usage.kernel;
    usage["user"] = stats.cpu.usage.user;
    Json throttling = Json::object();
    put_unless_empty(throttling, "periods", stats.cpu.throttling.periods);
    put_unless_empty(throttling, "throttledPeriods", stats.cpu.throttling.throttled_periods);
    put_unless_empty(throttling, "throttledTime", stats.cpu.throttling.throttled_time);

    const CpusetStats& set = stats.cpuset;
    Json cpuset = Json::object();
    put_unless_empty(cpuset, "cpus", set.cpus);
    cpuset["cpu_exclusive"] = set.cpu_exclusive;
    put_unless_empty(cpuset, "mems", set.mems);
    cpuset["mem_hardwall"] = set.mem_hardwall;
    cpuset["mem_exclusive"] = set.mem_exclusive;
    cpuset["memory_migrate"] = set.memory_migrate;
    cpuset["memory_spread_page"] = set.memory_spread_page;
    cpuset["memory_spread_slab"] = set.memory_spread_slab;
    cpuset["memory_pressure"] = set.memory_pressure;
    cpuset["sched_load_balance"] = set.sched_load_balance;
    cpuset["sched_relax_domain_level"] = set.sched_relax_domain_level;

    Json memory = Json::object();
    put_unless_empty(memory, "cache", stats.memory.cache);
    memory["usage"] = memory_entry(stats.memory.usage);
    memory["swap"] = memory_entry(stats.memory.swap);
    memory["kernel"] = memory_entry(stats.memory.kernel);
    memory["kernelTCP"] = memory_entry(stats.memory.kernel_tcp);
    put_unless_empty(memory, "raw", stats.memory.raw);

    Json pids = Json::object();
    put_unless_empty(pids, "current", stats.pids.current);
    put_unless_empty(pids, "limit", stats.pids.limit);

    const BlkioStats& io = stats.blkio;
    Json blkio = Json::object();
    put_blkio(blkio, "ioServiceBytesRecursive", io.io_service_bytes_recursive);
    put_blkio(blkio, "ioServicedRecursive", io.io_serviced_recursive);
    put_blkio(blkio, "ioQueueRecursive", io.io_queued_recursive);
    put_blkio(blkio, "ioServiceTimeRecursive", io.io_service_time_recursive);
    put_blkio(blkio, "ioWaitTimeRecursive", io.io_wait_time_recursive);
    put_blkio(blkio, "ioMergedRecursive", io.io_merged_recursive);
    put_blkio(blkio, "ioTimeRecursive", io.io_time_recursive);
    put_blkio(blkio, "sectorsRecursive", io.sectors_recursive);

    Json hugetlb = Json::object();
    for (const auto& [size, entry] : stats.hugetlb) {
        Json json = Json::object();
        put_unless_empty(json, "usage", entry.usage);
        put_unless_empty(json, "max", entry.max);
        json["failcnt"] = entry.failcnt;
        hugetlb[size] = std::move(json);
    }

    Json json = Json::object();
    json["cpu"] = Json{{"usage", std::move(usage)}, {"throttling", std::move(throttling)}};
    json["cpuset"] = std::move(cpuset);
    json["memory"] = std::move(memory);
    json["pids"] = std::move(pids);
    json["blkio"] = std::move(blkio);
    json["hugetlb"] = std::move(hugetlb);
    json["intel_rdt"] = Json::object();
    json["network_interfaces"] = nullptr;
    return json;
}

}  // namespace hako::cgroups
