#pragma once
// The typed model of the runtime-spec's LinuxResources (config.json linux.resources, and the
// document `hako update --resources` reads). Every field keeps "absent" apart from any value,
// because an update only changes what it names and runc's writers skip absent fields.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hako::cgroups {

// One linux.resources.devices[] entry: a devices-cgroup rule.
struct DeviceRule {
    bool allow = false;
    char type = 'a';                   // 'a' (all), 'c' or 'b'
    std::optional<std::int64_t> major;  // absent: every major ("*")
    std::optional<std::int64_t> minor;  // absent: every minor
    std::string access;                 // a non-empty subset of "rwm"

    bool operator==(const DeviceRule&) const = default;
};

struct MemoryResources {
    std::optional<std::int64_t> limit;
    std::optional<std::int64_t> reservation;
    std::optional<std::int64_t> swap;  // memory + swap, as in cgroup v1
    std::optional<std::int64_t> kernel;
    std::optional<std::int64_t> kernel_tcp;
    std::optional<std::uint64_t> swappiness;
    std::optional<bool> disable_oom_killer;
    std::optional<bool> use_hierarchy;
    std::optional<bool> check_before_update;

    bool operator==(const MemoryResources&) const = default;
};

struct CpuResources {
    std::optional<std::uint64_t> shares;
    std::optional<std::int64_t> quota;
    std::optional<std::uint64_t> burst;
    std::optional<std::uint64_t> period;
    std::optional<std::int64_t> realtime_runtime;
    std::optional<std::uint64_t> realtime_period;
    std::optional<std::string> cpus;
    std::optional<std::string> mems;
    std::optional<std::int64_t> idle;

    bool operator==(const CpuResources&) const = default;
};

struct PidsResources {
    std::optional<std::int64_t> limit;

    bool operator==(const PidsResources&) const = default;
};

struct WeightDevice {
    std::int64_t major = 0;
    std::int64_t minor = 0;
    std::optional<std::uint16_t> weight;
    std::optional<std::uint16_t> leaf_weight;

    bool operator==(const WeightDevice&) const = default;
};

struct ThrottleDevice {
    std::int64_t major = 0;
    std::int64_t minor = 0;
    std::uint64_t rate = 0;

    bool operator==(const ThrottleDevice&) const = default;
};

struct BlockIoResources {
    std::optional<std::uint16_t> weight;
    std::optional<std::uint16_t> leaf_weight;
    std::vector<WeightDevice> weight_device;
    std::vector<ThrottleDevice> throttle_read_bps;
    std::vector<ThrottleDevice> throttle_write_bps;
    std::vector<ThrottleDevice> throttle_read_iops;
    std::vector<ThrottleDevice> throttle_write_iops;

    bool operator==(const BlockIoResources&) const = default;
};

struct HugepageLimit {
    std::string page_size;  // "2MB", "1GB", ...
    std::uint64_t limit = 0;

    bool operator==(const HugepageLimit&) const = default;
};

struct InterfacePriority {
    std::string name;
    std::uint32_t priority = 0;

    bool operator==(const InterfacePriority&) const = default;
};

struct NetworkResources {
    std::optional<std::uint32_t> class_id;
    std::vector<InterfacePriority> priorities;

    bool operator==(const NetworkResources&) const = default;
};

struct RdmaLimit {
    std::optional<std::uint32_t> hca_handles;
    std::optional<std::uint32_t> hca_objects;

    bool operator==(const RdmaLimit&) const = default;
};

struct Resources {
    std::vector<DeviceRule> devices;
    std::optional<MemoryResources> memory;
    std::optional<CpuResources> cpu;
    std::optional<PidsResources> pids;
    std::optional<BlockIoResources> block_io;
    std::vector<HugepageLimit> hugepage_limits;
    std::optional<NetworkResources> network;
    std::map<std::string, RdmaLimit> rdma;         // device name -> limits
    std::map<std::string, std::string> unified;    // cgroup v2 file -> value

    bool operator==(const Resources&) const = default;
};

// How Manager::apply writes resources.
struct ApplyOptions {
    std::string where = "linux.resources";  // the JSON path errors and warnings name
    bool update = false;  // `hako update`: device rules stay as they are, as with runc
};

// Parses LinuxResources JSON text ("" means no resources). Errors name the JSON path below
// `where`, e.g. where "linux.resources" gives "linux.resources.memory.limit: expected
// integer". JSON null counts as absent, as with Go's decoder (and so runc).
Resources parse_resources(std::string_view json_text, std::string_view where);

// The JSON text of resources, in the runtime-spec's shape (absent fields omitted); parsing it
// again gives back the same Resources.
std::string resources_to_json(const Resources& resources);

// What `hako update` stores: current with every field that changes names replaced. Lists keyed
// by a device or a name (throttle devices, weight devices, hugepage sizes, interface
// priorities, rdma devices, unified files) are merged entry by entry. Device rules are not
// updatable (as with runc) and stay as they were.
Resources merge_resources(const Resources& current, const Resources& changes);

}  // namespace hako::cgroups
