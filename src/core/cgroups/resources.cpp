// LinuxResources JSON <-> Resources, and the merge `hako update` does. Checks here are about
// the document's shape and ranges; what the kernel thinks of a value is found out when it is
// written (resources_v1.cpp, resources_v2.cpp).
#include "cgroups/resources.hpp"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

#include "spec/json_node.hpp"
#include "sys/error.hpp"

namespace hako::cgroups {
namespace {

using nlohmann::json;
using ordered_json = nlohmann::ordered_json;

// A JSON value with its path in the document ("linux.resources.devices[0].access").
using Node = spec::JsonNode;

std::string to_string(const Node& node) {
    if (!node.value().is_string()) node.error("expected string");
    auto text = node.value().get<std::string>();
    // Values end up in cgroup files, where a NUL would silently cut them short.
    if (text.find('\0') != std::string::npos) node.error("must not contain a NUL byte");
    return text;
}

bool to_bool(const Node& node) {
    if (!node.value().is_boolean()) node.error("expected boolean");
    return node.value().get<bool>();
}

std::uint64_t to_u64(const Node& node, std::uint64_t max = std::numeric_limits<std::uint64_t>::max()) {
    // Negative numbers and fractions are not unsigned integers; numbers beyond uint64 parse as
    // floats, so they land here too.
    if (!node.value().is_number_unsigned()) node.error("expected unsigned integer");
    const auto value = node.value().get<std::uint64_t>();
    if (value > max) node.error(fmt::format("{} is out of range (maximum {})", value, max));
    return value;
}

std::int64_t to_i64(const Node& node) {
    if (!node.value().is_number_integer()) node.error("expected integer");
    if (node.value().is_number_unsigned() &&
        node.value().get<std::uint64_t>() >
            static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        node.error(fmt::format("{} is out of range", node.value().get<std::uint64_t>()));
    }
    return node.value().get<std::int64_t>();
}

// A memory amount: bytes, or -1 for "unlimited" (what cgroup v1 itself accepts).
std::int64_t to_bytes_or_unlimited(const Node& node) {
    const std::int64_t value = to_i64(node);
    if (value < -1) node.error(fmt::format("{} is not a number of bytes or -1 (unlimited)", value));
    return value;
}

std::uint16_t to_u16(const Node& node) {
    return static_cast<std::uint16_t>(to_u64(node, std::numeric_limits<std::uint16_t>::max()));
}

std::uint32_t to_u32(const Node& node) {
    return static_cast<std::uint32_t>(to_u64(node, std::numeric_limits<std::uint32_t>::max()));
}

// A device number of a block device entry: the kernel takes 32-bit majors and minors.
std::int64_t to_device_number(const Node& node) {
    const std::int64_t value = to_i64(node);
    if (value < 0 || value > std::numeric_limits<std::uint32_t>::max()) {
        node.error(fmt::format("{} is not a device number", value));
    }
    return value;
}

// "rwm" letters, each at most once, in canonical order.
std::string to_access(const Node& node) {
    const std::string text = to_string(node);
    if (text.empty()) node.error("must not be empty (a subset of \"rwm\")");
    std::string canonical;
    for (const char letter : {'r', 'w', 'm'}) {
        if (text.find(letter) != std::string::npos) canonical += letter;
    }
    for (const char c : text) {
        if (c != 'r' && c != 'w' && c != 'm') {
            node.error(fmt::format("unknown access {} (expected a subset of \"rwm\")",
                                   json(text).dump()));
        }
    }
    return canonical;
}

DeviceRule parse_device_rule(const Node& node) {
    node.expect_object();
    DeviceRule rule;
    rule.allow = to_bool(node.required("allow"));
    if (auto n = node.member("type")) {
        const std::string type = to_string(*n);
        if (type != "a" && type != "b" && type != "c") {
            n->error(fmt::format("unknown device type {} (expected a, b or c)", json(type).dump()));
        }
        rule.type = type[0];
    }
    // -1 is how Go tools spell the wildcard when they fill the field anyway.
    for (auto [key, field] : {std::pair{"major", &rule.major}, std::pair{"minor", &rule.minor}}) {
        if (auto n = node.member(key)) {
            const std::int64_t value = to_i64(*n);
            if (value < -1 || value > std::numeric_limits<std::uint32_t>::max()) {
                n->error(fmt::format("{} is not a device number or -1 (any)", value));
            }
            if (value >= 0) *field = value;
        }
    }
    rule.access = to_access(node.required("access"));
    return rule;
}

MemoryResources parse_memory(const Node& node) {
    node.expect_object();
    MemoryResources memory;
    if (auto n = node.member("limit")) memory.limit = to_bytes_or_unlimited(*n);
    if (auto n = node.member("reservation")) memory.reservation = to_bytes_or_unlimited(*n);
    if (auto n = node.member("swap")) memory.swap = to_bytes_or_unlimited(*n);
    if (auto n = node.member("kernel")) memory.kernel = to_i64(*n);
    if (auto n = node.member("kernelTCP")) memory.kernel_tcp = to_bytes_or_unlimited(*n);
    if (auto n = node.member("swappiness")) {
        memory.swappiness = to_u64(*n);
        if (*memory.swappiness > 100) n->error("must be between 0 and 100");
    }
    if (auto n = node.member("disableOOMKiller")) memory.disable_oom_killer = to_bool(*n);
    if (auto n = node.member("useHierarchy")) memory.use_hierarchy = to_bool(*n);
    if (auto n = node.member("checkBeforeUpdate")) memory.check_before_update = to_bool(*n);
    return memory;
}

// A cpuset list ("0-3,5"): digits, commas and dashes only, so it cannot smuggle a second value.
std::string to_cpu_list(const Node& node) {
    const std::string text = to_string(node);
    if (!std::all_of(text.begin(), text.end(), [](char c) {
            return (c >= '0' && c <= '9') || c == ',' || c == '-';
        })) {
        node.error(fmt::format("{} is not a list like \"0-2,4\"", json(text).dump()));
    }
    return text;
}

CpuResources parse_cpu(const Node& node) {
    node.expect_object();
    CpuResources cpu;
    if (auto n = node.member("shares")) cpu.shares = to_u64(*n);
    if (auto n = node.member("quota")) cpu.quota = to_i64(*n);
    if (auto n = node.member("burst")) cpu.burst = to_u64(*n);
    if (auto n = node.member("period")) cpu.period = to_u64(*n);
    if (auto n = node.member("realtimeRuntime")) cpu.realtime_runtime = to_i64(*n);
    if (auto n = node.member("realtimePeriod")) cpu.realtime_period = to_u64(*n);
    if (auto n = node.member("cpus")) cpu.cpus = to_cpu_list(*n);
    if (auto n = node.member("mems")) cpu.mems = to_cpu_list(*n);
    if (auto n = node.member("idle")) cpu.idle = to_i64(*n);
    return cpu;
}

PidsResources parse_pids(const Node& node) {
    node.expect_object();
    PidsResources pids;
    if (auto n = node.member("limit")) pids.limit = to_i64(*n);
    return pids;
}

ThrottleDevice parse_throttle_device(const Node& node) {
    node.expect_object();
    return {to_device_number(node.required("major")), to_device_number(node.required("minor")),
            to_u64(node.required("rate"))};
}

std::vector<ThrottleDevice> parse_throttle_devices(const Node& node) {
    std::vector<ThrottleDevice> devices;
    for (const Node& element : node.elements()) devices.push_back(parse_throttle_device(element));
    return devices;
}

BlockIoResources parse_block_io(const Node& node) {
    node.expect_object();
    BlockIoResources io;
    if (auto n = node.member("weight")) io.weight = to_u16(*n);
    if (auto n = node.member("leafWeight")) io.leaf_weight = to_u16(*n);
    if (auto n = node.member("weightDevice")) {
        for (const Node& element : n->elements()) {
            element.expect_object();
            WeightDevice device;
            device.major = to_device_number(element.required("major"));
            device.minor = to_device_number(element.required("minor"));
            if (auto w = element.member("weight")) device.weight = to_u16(*w);
            if (auto w = element.member("leafWeight")) device.leaf_weight = to_u16(*w);
            io.weight_device.push_back(device);
        }
    }
    if (auto n = node.member("throttleReadBpsDevice")) io.throttle_read_bps = parse_throttle_devices(*n);
    if (auto n = node.member("throttleWriteBpsDevice")) io.throttle_write_bps = parse_throttle_devices(*n);
    if (auto n = node.member("throttleReadIOPSDevice")) io.throttle_read_iops = parse_throttle_devices(*n);
    if (auto n = node.member("throttleWriteIOPSDevice")) io.throttle_write_iops = parse_throttle_devices(*n);
    return io;
}

// "2MB", "1GB", "64KB": the size part of the hugetlb.<size>.* file names.
std::string to_page_size(const Node& node) {
    const std::string text = to_string(node);
    const auto digits = text.find_first_not_of("0123456789");
    const bool ok = digits != 0 && digits != std::string::npos && text.size() - digits == 2 &&
                    std::string_view("KMG").find(text[digits]) != std::string_view::npos &&
                    text[digits + 1] == 'B';
    if (!ok) node.error(fmt::format("{} is not a page size like \"2MB\"", json(text).dump()));
    return text;
}

std::vector<HugepageLimit> parse_hugepage_limits(const Node& node) {
    std::vector<HugepageLimit> limits;
    for (const Node& element : node.elements()) {
        element.expect_object();
        limits.push_back({to_page_size(element.required("pageSize")),
                          to_u64(element.required("limit"))});
    }
    return limits;
}

// A name that lands inside a one-line cgroup value: no whitespace, not empty.
std::string to_word(const Node& node) {
    const std::string text = to_string(node);
    if (text.empty() || text.find_first_of(" \t\n") != std::string::npos) {
        node.error(fmt::format("{} is not a single word", json(text).dump()));
    }
    return text;
}

NetworkResources parse_network(const Node& node) {
    node.expect_object();
    NetworkResources network;
    if (auto n = node.member("classID")) network.class_id = to_u32(*n);
    if (auto n = node.member("priorities")) {
        for (const Node& element : n->elements()) {
            element.expect_object();
            network.priorities.push_back({to_word(element.required("name")),
                                          to_u32(element.required("priority"))});
        }
    }
    return network;
}

std::map<std::string, RdmaLimit> parse_rdma(const Node& node) {
    std::map<std::string, RdmaLimit> rdma;
    for (const auto& [name, entry] : node.entries()) {
        if (name.empty() || name.find_first_of(" \t\n") != std::string::npos) {
            entry.error("is not an RDMA device name");
        }
        entry.expect_object();
        RdmaLimit limit;
        if (auto n = entry.member("hcaHandles")) limit.hca_handles = to_u32(*n);
        if (auto n = entry.member("hcaObjects")) limit.hca_objects = to_u32(*n);
        rdma.emplace(name, limit);
    }
    return rdma;
}

std::map<std::string, std::string> parse_unified(const Node& node) {
    std::map<std::string, std::string> unified;
    for (const auto& [key, entry] : node.entries()) {
        // A file name of the container's own cgroup directory, never a path out of it.
        if (key.empty() || key == "." || key == ".." || key.find('/') != std::string::npos ||
            key.find('\0') != std::string::npos) {
            entry.error("must be a file name of the cgroup directory (no \"/\")");
        }
        unified.emplace(key, to_string(entry));
    }
    return unified;
}

// --- to JSON -------------------------------------------------------------------------------

template <typename T>
void put(ordered_json& object, const char* key, const std::optional<T>& value) {
    if (value) object[key] = *value;
}

ordered_json throttle_json(const std::vector<ThrottleDevice>& devices) {
    ordered_json array = ordered_json::array();
    for (const auto& d : devices) {
        array.push_back({{"major", d.major}, {"minor", d.minor}, {"rate", d.rate}});
    }
    return array;
}

// --- merge ---------------------------------------------------------------------------------

template <typename T>
void take(std::optional<T>& into, const std::optional<T>& from) {
    if (from) into = from;
}

// Replaces the entries of `into` that `from` has an entry with the same key for, appends the
// others, and keeps the order of first appearance.
template <typename T, typename Key>
void merge_by(std::vector<T>& into, const std::vector<T>& from, Key key) {
    for (const T& entry : from) {
        auto it = std::find_if(into.begin(), into.end(),
                               [&](const T& existing) { return key(existing) == key(entry); });
        if (it != into.end()) {
            *it = entry;
        } else {
            into.push_back(entry);
        }
    }
}

template <typename T>
auto device_key(const T& device) {
    return std::pair{device.major, device.minor};
}

}  // namespace

Resources parse_resources(std::string_view json_text, std::string_view where) {
    Resources resources;
    if (json_text.empty()) return resources;
    json document;
    try {
        document = json::parse(json_text);
    } catch (const json::parse_error& e) {
        std::string_view message = e.what();
        if (message.starts_with('[')) {
            const auto end = message.find("] ");
            if (end != std::string_view::npos) message.remove_prefix(end + 2);
        }
        if (where.empty()) fail("invalid JSON: {}", message);
        fail("{}: invalid JSON: {}", where, message);
    }
    const Node root(document, std::string(where));
    if (document.is_null()) return resources;
    root.expect_object();
    if (auto n = root.member("devices")) {
        for (const Node& element : n->elements()) resources.devices.push_back(parse_device_rule(element));
    }
    if (auto n = root.member("memory")) resources.memory = parse_memory(*n);
    if (auto n = root.member("cpu")) resources.cpu = parse_cpu(*n);
    if (auto n = root.member("pids")) resources.pids = parse_pids(*n);
    if (auto n = root.member("blockIO")) resources.block_io = parse_block_io(*n);
    if (auto n = root.member("hugepageLimits")) resources.hugepage_limits = parse_hugepage_limits(*n);
    if (auto n = root.member("network")) resources.network = parse_network(*n);
    if (auto n = root.member("rdma")) resources.rdma = parse_rdma(*n);
    if (auto n = root.member("unified")) resources.unified = parse_unified(*n);
    return resources;
}

std::string resources_to_json(const Resources& resources) {
    ordered_json out = ordered_json::object();
    if (!resources.devices.empty()) {
        ordered_json devices = ordered_json::array();
        for (const DeviceRule& rule : resources.devices) {
            ordered_json entry = {{"allow", rule.allow}, {"type", std::string(1, rule.type)}};
            put(entry, "major", rule.major);
            put(entry, "minor", rule.minor);
            entry["access"] = rule.access;
            devices.push_back(std::move(entry));
        }
        out["devices"] = std::move(devices);
    }
    if (const auto& m = resources.memory) {
        ordered_json memory = ordered_json::object();
        put(memory, "limit", m->limit);
        put(memory, "reservation", m->reservation);
        put(memory, "swap", m->swap);
        put(memory, "kernel", m->kernel);
        put(memory, "kernelTCP", m->kernel_tcp);
        put(memory, "swappiness", m->swappiness);
        put(memory, "disableOOMKiller", m->disable_oom_killer);
        put(memory, "useHierarchy", m->use_hierarchy);
        put(memory, "checkBeforeUpdate", m->check_before_update);
        out["memory"] = std::move(memory);
    }
    if (const auto& c = resources.cpu) {
        ordered_json cpu = ordered_json::object();
        put(cpu, "shares", c->shares);
        put(cpu, "quota", c->quota);
        put(cpu, "burst", c->burst);
        put(cpu, "period", c->period);
        put(cpu, "realtimeRuntime", c->realtime_runtime);
        put(cpu, "realtimePeriod", c->realtime_period);
        put(cpu, "cpus", c->cpus);
        put(cpu, "mems", c->mems);
        put(cpu, "idle", c->idle);
        out["cpu"] = std::move(cpu);
    }
    if (const auto& p = resources.pids) {
        ordered_json pids = ordered_json::object();
        put(pids, "limit", p->limit);
        out["pids"] = std::move(pids);
    }
    if (const auto& b = resources.block_io) {
        ordered_json io = ordered_json::object();
        put(io, "weight", b->weight);
        put(io, "leafWeight", b->leaf_weight);
        if (!b->weight_device.empty()) {
            ordered_json devices = ordered_json::array();
            for (const auto& d : b->weight_device) {
                ordered_json entry = {{"major", d.major}, {"minor", d.minor}};
                put(entry, "weight", d.weight);
                put(entry, "leafWeight", d.leaf_weight);
                devices.push_back(std::move(entry));
            }
            io["weightDevice"] = std::move(devices);
        }
        if (!b->throttle_read_bps.empty()) io["throttleReadBpsDevice"] = throttle_json(b->throttle_read_bps);
        if (!b->throttle_write_bps.empty()) io["throttleWriteBpsDevice"] = throttle_json(b->throttle_write_bps);
        if (!b->throttle_read_iops.empty()) io["throttleReadIOPSDevice"] = throttle_json(b->throttle_read_iops);
        if (!b->throttle_write_iops.empty()) io["throttleWriteIOPSDevice"] = throttle_json(b->throttle_write_iops);
        out["blockIO"] = std::move(io);
    }
    if (!resources.hugepage_limits.empty()) {
        ordered_json limits = ordered_json::array();
        for (const auto& l : resources.hugepage_limits) {
            limits.push_back({{"pageSize", l.page_size}, {"limit", l.limit}});
        }
        out["hugepageLimits"] = std::move(limits);
    }
    if (const auto& n = resources.network) {
        ordered_json network = ordered_json::object();
        put(network, "classID", n->class_id);
        if (!n->priorities.empty()) {
            ordered_json priorities = ordered_json::array();
            for (const auto& p : n->priorities) {
                priorities.push_back({{"name", p.name}, {"priority", p.priority}});
            }
            network["priorities"] = std::move(priorities);
        }
        out["network"] = std::move(network);
    }
    if (!resources.rdma.empty()) {
        ordered_json rdma = ordered_json::object();
        for (const auto& [name, limit] : resources.rdma) {
            ordered_json entry = ordered_json::object();
            put(entry, "hcaHandles", limit.hca_handles);
            put(entry, "hcaObjects", limit.hca_objects);
            rdma[name] = std::move(entry);
        }
        out["rdma"] = std::move(rdma);
    }
    if (!resources.unified.empty()) {
        ordered_json unified = ordered_json::object();
        for (const auto& [key, value] : resources.unified) unified[key] = value;
        out["unified"] = std::move(unified);
    }
    return out.dump();
}

Resources merge_resources(const Resources& current, const Resources& changes) {
    Resources merged = current;
    if (const auto& m = changes.memory) {
        MemoryResources& into = merged.memory ? *merged.memory : merged.memory.emplace();
        take(into.limit, m->limit);
        take(into.reservation, m->reservation);
        take(into.swap, m->swap);
        take(into.kernel, m->kernel);
        take(into.kernel_tcp, m->kernel_tcp);
        take(into.swappiness, m->swappiness);
        take(into.disable_oom_killer, m->disable_oom_killer);
        take(into.use_hierarchy, m->use_hierarchy);
        take(into.check_before_update, m->check_before_update);
        // As runc update: an unlimited memory with no swap given means unlimited swap too,
        // or cgroup v1 would keep an old memsw limit below the new memory limit.
        if (m->limit == -1 && !m->swap) into.swap = -1;
    }
    if (const auto& c = changes.cpu) {
        CpuResources& into = merged.cpu ? *merged.cpu : merged.cpu.emplace();
        take(into.shares, c->shares);
        take(into.quota, c->quota);
        take(into.burst, c->burst);
        take(into.period, c->period);
        take(into.realtime_runtime, c->realtime_runtime);
        take(into.realtime_period, c->realtime_period);
        take(into.cpus, c->cpus);
        take(into.mems, c->mems);
        take(into.idle, c->idle);
    }
    if (const auto& p = changes.pids) {
        PidsResources& into = merged.pids ? *merged.pids : merged.pids.emplace();
        take(into.limit, p->limit);
    }
    if (const auto& b = changes.block_io) {
        BlockIoResources& into = merged.block_io ? *merged.block_io : merged.block_io.emplace();
        take(into.weight, b->weight);
        take(into.leaf_weight, b->leaf_weight);
        merge_by(into.weight_device, b->weight_device, device_key<WeightDevice>);
        merge_by(into.throttle_read_bps, b->throttle_read_bps, device_key<ThrottleDevice>);
        merge_by(into.throttle_write_bps, b->throttle_write_bps, device_key<ThrottleDevice>);
        merge_by(into.throttle_read_iops, b->throttle_read_iops, device_key<ThrottleDevice>);
        merge_by(into.throttle_write_iops, b->throttle_write_iops, device_key<ThrottleDevice>);
    }
    merge_by(merged.hugepage_limits, changes.hugepage_limits,
             [](const HugepageLimit& l) { return l.page_size; });
    if (const auto& n = changes.network) {
        NetworkResources& into = merged.network ? *merged.network : merged.network.emplace();
        take(into.class_id, n->class_id);
        merge_by(into.priorities, n->priorities, [](const InterfacePriority& p) { return p.name; });
    }
    for (const auto& [name, limit] : changes.rdma) merged.rdma[name] = limit;
    for (const auto& [key, value] : changes.unified) merged.unified[key] = value;
    return merged;
}

}  // namespace hako::cgroups
