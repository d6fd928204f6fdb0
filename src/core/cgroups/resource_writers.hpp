#pragma once
// How linux.resources reaches the cgroup files (private to src/core/cgroups): one writer per
// controller and hierarchy version, and the dispatcher that picks, for each controller, the
// hierarchy that carries it on this host. Writers take a CgroupFiles rather than a path so
// unit tests can run them on a fake directory tree and record every write in order.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cgroups/resources.hpp"

namespace hako::cgroups::detail {

using Warnings = std::vector<std::string>;

// The control files of one cgroup directory.
class CgroupFiles {
  public:
    explicit CgroupFiles(std::string dir) : dir_(std::move(dir)) {}
    virtual ~CgroupFiles() = default;
    CgroupFiles(const CgroupFiles&) = delete;
    CgroupFiles& operator=(const CgroupFiles&) = delete;

    [[nodiscard]] const std::string& dir() const { return dir_; }

    // Writes value with a single write(2), as cgroupfs wants one value per write; returns 0
    // or the errno.
    virtual int try_write(std::string_view file, std::string_view value);

    // Like try_write; failures throw `write DIR/FILE "VALUE": strerror` (plus hint when given).
    void write(std::string_view file, std::string_view value, std::string_view hint = {});

    // The file's content without trailing whitespace, or nullopt when it cannot be read.
    [[nodiscard]] virtual std::optional<std::string> read(std::string_view file) const;

    [[nodiscard]] bool exists(std::string_view file) const;

    // Throws the error write() would for errno err.
    [[noreturn]] void throw_write_error(std::string_view file, std::string_view value, int err,
                                        std::string_view hint = {}) const;

  private:
    std::string dir_;
};

// What the writers need besides the values.
struct WriteContext {
    std::string where;   // JSON path of the resources ("linux.resources"), for messages
    bool update = false;  // `hako update` (create otherwise)
    Warnings* warnings = nullptr;

    void warn(std::string message) const {
        if (warnings != nullptr) warnings->push_back(std::move(message));
    }
};

// --- cgroup v1 (resources_v1.cpp) ----------------------------------------------------------
void write_memory_v1(CgroupFiles& files, const MemoryResources& memory, const WriteContext& ctx);
void write_cpu_v1(CgroupFiles& files, const CpuResources& cpu, const WriteContext& ctx);
void write_cpuset(CgroupFiles& files, const CpuResources& cpu);  // same files in v1 and v2
void write_pids(CgroupFiles& files, const PidsResources& pids);  // same file in v1 and v2
void write_blkio_v1(CgroupFiles& files, const BlockIoResources& io);
void write_hugetlb(CgroupFiles& files, const std::vector<HugepageLimit>& limits, bool v2);
void write_net_cls_v1(CgroupFiles& files, const NetworkResources& network);
void write_net_prio_v1(CgroupFiles& files, const NetworkResources& network);
void write_rdma(CgroupFiles& files, const std::map<std::string, RdmaLimit>& rdma);  // v1 and v2
// devices.deny "a" then each rule to devices.allow / devices.deny (device_filter_v1.cpp).
void write_devices_v1(CgroupFiles& files, const std::vector<DeviceRule>& rules);

// --- cgroup v2 (resources_v2.cpp) ----------------------------------------------------------
void write_memory_v2(CgroupFiles& files, const MemoryResources& memory, const WriteContext& ctx);
void write_cpu_v2(CgroupFiles& files, const CpuResources& cpu, const WriteContext& ctx);
void write_io_v2(CgroupFiles& files, const BlockIoResources& io, const WriteContext& ctx);
// linux.resources.unified: each key is a file of the directory, written verbatim (one write per
// line, as runc). only_existing: refuse keys that are not files there (the hybrid layout,
// where the unified hierarchy holds only some controllers).
void write_unified(CgroupFiles& files, const std::map<std::string, std::string>& unified,
                   const std::set<std::string>& controllers, bool only_existing,
                   const WriteContext& ctx);

// Whether a group of settings would write anything (absent and runc's "0 = unset" values
// write nothing), so a missing controller is an error only when it is really needed.
bool wants_memory(const MemoryResources& memory);
bool wants_cpu(const CpuResources& cpu);
bool wants_cpuset(const CpuResources& cpu);
bool wants_block_io(const BlockIoResources& io);

// --- the dispatcher (resources_apply.cpp) --------------------------------------------------

// Where the container's cgroup directories are, as a driver knows them.
struct ResourceTargets {
    std::map<std::string, std::string> v1;      // v1 controller ("memory") -> its directory
    std::optional<std::string> unified_dir;     // the container's cgroup2 directory
    std::set<std::string> unified_controllers;  // that directory's cgroup.controllers
    bool unified_only = false;                  // a pure v2 host
};

// Writes every setting of resources into the hierarchy that carries its controller (v1 first,
// then the unified one). A setting whose controller no hierarchy offers is an error naming it;
// settings a hierarchy cannot express are skipped with a warning, as runc ignores them.
// Returns the warnings.
Warnings apply_resources(const ResourceTargets& targets, const Resources& resources,
                         const ApplyOptions& options);

}  // namespace hako::cgroups::detail
