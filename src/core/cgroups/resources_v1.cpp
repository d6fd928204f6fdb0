// The cgroup v1 writers, one per controller, in the order and with the special cases of runc's
// libcontainer/cgroups/fs (opencontainers/cgroups fs/*.go). Values of 0 mean "unset" there and
// write nothing; so do absent fields here.
#include <cerrno>
#include <charconv>

#include "cgroups/conversions.hpp"
#include "cgroups/resource_writers.hpp"
#include "sys/error.hpp"

namespace hako::cgroups::detail {
namespace {

std::optional<std::uint64_t> read_u64(const CgroupFiles& files, std::string_view file) {
    const auto text = files.read(file);
    if (!text) return std::nullopt;
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc{} || end != text->data() + text->size()) return std::nullopt;
    return value;
}

void write_memory_limit(CgroupFiles& files, std::int64_t limit) {
    if (limit == 0) return;
    const std::string value = std::to_string(limit);
    const int err = files.try_write("memory.limit_in_bytes", value);
    if (err == 0) return;
    // EBUSY: the new limit is below what the cgroup already uses.
    std::string hint;
    if (err == EBUSY) {
        const auto usage = read_u64(files, "memory.usage_in_bytes");
        const auto peak = read_u64(files, "memory.max_usage_in_bytes");
        if (usage && peak) hint = fmt::format("current usage {}, peak usage {}", *usage, *peak);
    }
    files.throw_write_error("memory.limit_in_bytes", value, err, hint);
}

void write_memsw_limit(CgroupFiles& files, std::int64_t swap) {
    if (swap == 0) return;
    files.write("memory.memsw.limit_in_bytes", std::to_string(swap),
                files.exists("memory.memsw.limit_in_bytes")
                    ? std::string_view{}
                    : "swap accounting is off in this kernel (swapaccount=0 or no CONFIG_MEMCG_SWAP)");
}

}  // namespace

bool wants_memory(const MemoryResources& m) {
    const auto nonzero = [](const std::optional<std::int64_t>& v) { return v && *v != 0; };
    return nonzero(m.limit) || nonzero(m.reservation) || nonzero(m.swap) ||
           nonzero(m.kernel_tcp) || m.swappiness || m.disable_oom_killer.value_or(false) ||
           m.use_hierarchy;
}

bool wants_cpu(const CpuResources& c) {
    const auto nonzero = [](const auto& v) { return v && *v != 0; };
    return nonzero(c.shares) || nonzero(c.quota) || c.burst || nonzero(c.period) ||
           nonzero(c.realtime_runtime) || nonzero(c.realtime_period) || c.idle;
}

bool wants_cpuset(const CpuResources& c) {
    return (c.cpus && !c.cpus->empty()) || (c.mems && !c.mems->empty());
}

bool wants_block_io(const BlockIoResources& io) {
    return io.weight.value_or(0) != 0 || io.leaf_weight.value_or(0) != 0 ||
           !io.weight_device.empty() || !io.throttle_read_bps.empty() ||
           !io.throttle_write_bps.empty() || !io.throttle_read_iops.empty() ||
           !io.throttle_write_iops.empty();
}

void write_memory_v1(CgroupFiles& files, const MemoryResources& m, const WriteContext& ctx) {
    const std::int64_t limit = m.limit.value_or(0);
    std::int64_t swap = m.swap.value_or(0);
    // Unlimited memory with no swap given: unlimited memsw too, where swap is accounted.
    if (limit == -1 && swap == 0 && files.exists("memory.memsw.limit_in_bytes")) swap = -1;

    // memsw must stay >= memory at every moment: raising both writes memsw first, lowering
    // writes memory first.
    bool swap_first = false;
    if (limit != 0 && swap != 0) {
        const auto current = read_u64(files, "memory.limit_in_bytes");
        if (!current) {
            fail("read {}/memory.limit_in_bytes: not a number", files.dir());
        }
        swap_first = swap == -1 || *current < static_cast<std::uint64_t>(swap);
    }
    if (swap_first) {
        write_memsw_limit(files, swap);
        write_memory_limit(files, limit);
    } else {
        write_memory_limit(files, limit);
        write_memsw_limit(files, swap);
    }

    if (m.kernel) {
        ctx.warn(fmt::format("{}.memory.kernel: kernel memory limits are ignored (the kernel "
                             "deprecated them), as runc does",
                             ctx.where));
    }
    if (m.kernel_tcp && *m.kernel_tcp != 0) {
        files.write("memory.kmem.tcp.limit_in_bytes", std::to_string(*m.kernel_tcp));
    }
    if (m.reservation && *m.reservation != 0) {
        files.write("memory.soft_limit_in_bytes", std::to_string(*m.reservation));
    }
    if (m.disable_oom_killer.value_or(false)) files.write("memory.oom_control", "1");
    if (m.swappiness) files.write("memory.swappiness", std::to_string(*m.swappiness));
    if (m.use_hierarchy) {
        files.write("memory.use_hierarchy", *m.use_hierarchy ? "1" : "0",
                    *m.use_hierarchy ? std::string_view{}
                                     : "this kernel only supports hierarchical accounting");
    }
    // checkBeforeUpdate is a cgroup v2 feature: v1 itself refuses a limit below usage (EBUSY).
}

void write_cpu_v1(CgroupFiles& files, const CpuResources& c, const WriteContext& /*ctx*/) {
    if (c.shares && *c.shares != 0) {
        const std::string value = std::to_string(*c.shares);
        files.write("cpu.shares", value);
        // The kernel clamps out-of-range shares silently; runc reports the clamp.
        if (const auto read_back = read_u64(files, "cpu.shares"); read_back && *read_back != *c.shares) {
            fail("write {}/cpu.shares \"{}\": the kernel set {} (the {} allowed cpu shares)",
                 files.dir(), value, *read_back, *c.shares > *read_back ? "maximum" : "minimum");
        }
    }

    const std::int64_t quota = c.quota.value_or(0);
    // A period the kernel refuses before the quota changes (EINVAL: old quota / new period
    // exceeds the parent's bandwidth) is retried after the quota, as runc.
    std::string pending_period;
    if (c.period && *c.period != 0) {
        const std::string period = std::to_string(*c.period);
        if (const int err = files.try_write("cpu.cfs_period_us", period); err != 0) {
            if (err != EINVAL || quota == 0) files.throw_write_error("cpu.cfs_period_us", period, err);
            pending_period = period;
        }
    }
    std::string pending_burst;
    if (c.burst) {
        const std::string burst = std::to_string(*c.burst);
        if (const int err = files.try_write("cpu.cfs_burst_us", burst); err != 0) {
            if (err == ENOENT && *c.burst == 0) {
                // No burst support in this kernel, and none asked for.
            } else if (err != EINVAL || quota == 0) {
                files.throw_write_error("cpu.cfs_burst_us", burst, err);
            } else {
                pending_burst = burst;
            }
        }
    }
    if (quota != 0) {
        files.write("cpu.cfs_quota_us", std::to_string(quota));
        if (!pending_period.empty()) files.write("cpu.cfs_period_us", pending_period);
        if (!pending_burst.empty()) files.write("cpu.cfs_burst_us", pending_burst);
    }
    if (c.idle) files.write("cpu.idle", std::to_string(*c.idle));

    // Realtime: the same ordering dance between period and runtime.
    const std::int64_t runtime = c.realtime_runtime.value_or(0);
    std::string pending_rt_period;
    if (c.realtime_period && *c.realtime_period != 0) {
        const std::string period = std::to_string(*c.realtime_period);
        if (const int err = files.try_write("cpu.rt_period_us", period); err != 0) {
            if (err != EINVAL || runtime == 0) files.throw_write_error("cpu.rt_period_us", period, err);
            pending_rt_period = period;
        }
    }
    if (runtime != 0) {
        files.write("cpu.rt_runtime_us", std::to_string(runtime),
                    "the parent cgroup must grant realtime runtime first (cpu.rt_runtime_us)");
        if (!pending_rt_period.empty()) files.write("cpu.rt_period_us", pending_rt_period);
    }
}

void write_cpuset(CgroupFiles& files, const CpuResources& c) {
    if (c.cpus && !c.cpus->empty()) files.write("cpuset.cpus", *c.cpus);
    if (c.mems && !c.mems->empty()) files.write("cpuset.mems", *c.mems);
}

void write_pids(CgroupFiles& files, const PidsResources& pids) {
    if (pids.limit) files.write("pids.max", pids_max_value(*pids.limit));
}

void write_blkio_v1(CgroupFiles& files, const BlockIoResources& io) {
    // CFQ's blkio.weight is gone from current kernels; BFQ offers blkio.bfq.weight instead.
    const bool cfq = files.exists("blkio.weight");
    const char* weight_file = cfq ? "blkio.weight" : "blkio.bfq.weight";
    const char* weight_device_file = cfq ? "blkio.weight_device" : "blkio.bfq.weight_device";
    if (io.weight && *io.weight != 0) files.write(weight_file, std::to_string(*io.weight));
    if (io.leaf_weight && *io.leaf_weight != 0) {
        files.write("blkio.leaf_weight", std::to_string(*io.leaf_weight));
    }
    for (const WeightDevice& d : io.weight_device) {
        if (d.weight && *d.weight != 0) {
            files.write(weight_device_file, fmt::format("{}:{} {}", d.major, d.minor, *d.weight));
        }
        if (d.leaf_weight && *d.leaf_weight != 0) {
            files.write("blkio.leaf_weight_device",
                        fmt::format("{}:{} {}", d.major, d.minor, *d.leaf_weight));
        }
    }
    const auto throttle = [&](const char* file, const std::vector<ThrottleDevice>& devices) {
        for (const ThrottleDevice& d : devices) {
            files.write(file, fmt::format("{}:{} {}", d.major, d.minor, d.rate));
        }
    };
    throttle("blkio.throttle.read_bps_device", io.throttle_read_bps);
    throttle("blkio.throttle.write_bps_device", io.throttle_write_bps);
    throttle("blkio.throttle.read_iops_device", io.throttle_read_iops);
    throttle("blkio.throttle.write_iops_device", io.throttle_write_iops);
}

void write_hugetlb(CgroupFiles& files, const std::vector<HugepageLimit>& limits, bool v2) {
    bool reservations = true;
    for (const HugepageLimit& limit : limits) {
        const std::string value = std::to_string(limit.limit);
        const std::string file = hugetlb_limit_file(limit.page_size, v2);
        files.write(file, value,
                    files.exists(file) ? std::string_view{} : "no such huge page size on this host");
        // Reservations (Linux 5.7) get the same limit, so a reservation cannot dodge it.
        if (!reservations) continue;
        const std::string rsvd = hugetlb_limit_file(limit.page_size, v2, true);
        if (const int err = files.try_write(rsvd, value); err != 0) {
            if (err != ENOENT) files.throw_write_error(rsvd, value, err);
            reservations = false;
        }
    }
}

void write_net_cls_v1(CgroupFiles& files, const NetworkResources& network) {
    if (network.class_id && *network.class_id != 0) {
        files.write("net_cls.classid", std::to_string(*network.class_id));
    }
}

void write_net_prio_v1(CgroupFiles& files, const NetworkResources& network) {
    for (const InterfacePriority& p : network.priorities) {
        files.write("net_prio.ifpriomap", fmt::format("{} {}", p.name, p.priority));
    }
}

void write_rdma(CgroupFiles& files, const std::map<std::string, RdmaLimit>& rdma) {
    for (const auto& [device, limit] : rdma) {
        std::string value = device;
        if (limit.hca_handles) value += fmt::format(" hca_handle={}", *limit.hca_handles);
        if (limit.hca_objects) value += fmt::format(" hca_object={}", *limit.hca_objects);
        if (value == device) continue;  // nothing to limit
        files.write("rdma.max", value);
    }
}

}  // namespace hako::cgroups::detail
