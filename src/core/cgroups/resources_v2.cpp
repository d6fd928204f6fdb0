// The cgroup v2 writers, following runc's fs2 (opencontainers/cgroups fs2/*.go): the v1-shaped
// runtime-spec values are converted (conversions.hpp), and settings v2 has no file for are
// skipped with a warning.
#include <cerrno>
#include <charconv>

#include <fmt/format.h>

#include "cgroups/conversions.hpp"
#include "cgroups/resource_writers.hpp"
#include "sys/error.hpp"

namespace hako::cgroups::detail {
namespace {

void check_usage_below(const CgroupFiles& files, std::int64_t limit, const char* what,
                       const WriteContext& ctx) {
    const auto text = files.read("memory.current");
    std::uint64_t usage = 0;
    // Best effort, as runc: an unreadable usage lets the write go ahead.
    if (!text || std::from_chars(text->data(), text->data() + text->size(), usage).ec != std::errc{}) {
        return;
    }
    if (limit > 0 && static_cast<std::uint64_t>(limit) <= usage) {
        fail("{}.memory.{}: rejecting {} {}: it is not above the current usage {} "
             "(memory.checkBeforeUpdate)",
             ctx.where, what, what, limit, usage);
    }
}

}  // namespace

void write_memory_v2(CgroupFiles& files, const MemoryResources& m, const WriteContext& ctx) {
    const std::int64_t limit = m.limit.value_or(0);
    const std::int64_t swap = m.swap.value_or(0);
    const std::int64_t reservation = m.reservation.value_or(0);
    if (limit != 0 || swap != 0 || reservation != 0) {
        if (m.check_before_update.value_or(false)) {
            check_usage_below(files, swap, "swap", ctx);
            check_usage_below(files, limit, "limit", ctx);
        }
        const std::int64_t swap_only = memory_swap_to_v2(swap, limit, ctx.where);
        std::string swap_value = v2_limit_value(swap_only);
        // memory == swap: no swap at all ("" would mean unset).
        if (swap_value.empty() && swap_only == 0 && swap > 0) swap_value = "0";
        if (!swap_value.empty()) {
            const int err = files.try_write("memory.swap.max", swap_value);
            // Without swap accounting there is no file; "no limit" and "no swap" hold anyway.
            if (err != 0 && !(err == ENOENT && (swap_value == "max" || swap_value == "0"))) {
                files.throw_write_error("memory.swap.max", swap_value, err);
            }
        }
        if (const std::string value = v2_limit_value(limit); !value.empty()) {
            files.write("memory.max", value);
        }
        if (const std::string value = v2_limit_value(reservation); !value.empty()) {
            files.write("memory.low", value);
        }
    }
    const auto ignored = [&](const char* field, const char* why) {
        ctx.warn(fmt::format("{}.memory.{}: ignored on cgroup v2 ({})", ctx.where, field, why));
    };
    if (m.kernel) ignored("kernel", "kernel memory is accounted with the rest");
    if (m.kernel_tcp) ignored("kernelTCP", "kernel memory is accounted with the rest");
    if (m.swappiness) ignored("swappiness", "cgroup v2 has no per-cgroup swappiness");
    if (m.disable_oom_killer.value_or(false)) {
        ignored("disableOOMKiller", "cgroup v2 cannot disable the OOM killer");
    }
    if (m.use_hierarchy && !*m.use_hierarchy) ignored("useHierarchy", "cgroup v2 is always hierarchical");
}

void write_cpu_v2(CgroupFiles& files, const CpuResources& c, const WriteContext& ctx) {
    if (c.idle) files.write("cpu.idle", std::to_string(*c.idle));
    if (c.shares && *c.shares != 0) {
        files.write("cpu.weight", std::to_string(cpu_shares_to_weight(*c.shares)));
    }
    const std::int64_t quota = c.quota.value_or(0);
    const std::uint64_t period = c.period.value_or(0);
    // A burst the kernel refuses before the new quota lands is retried after it, as runc.
    std::string pending_burst;
    if (c.burst) {
        const std::string burst = std::to_string(*c.burst);
        if (const int err = files.try_write("cpu.max.burst", burst); err != 0) {
            if (err != EINVAL || quota == 0) files.throw_write_error("cpu.max.burst", burst, err);
            pending_burst = burst;
        }
    }
    if (quota != 0 || period != 0) {
        // The kernel's default period (100 ms) stands in for a missing one.
        std::string value = quota > 0 ? std::to_string(quota) : "max";
        value += " " + std::to_string(period != 0 ? period : 100000);
        files.write("cpu.max", value);
        if (!pending_burst.empty()) files.write("cpu.max.burst", pending_burst);
    }
    if (c.realtime_runtime.value_or(0) != 0 || c.realtime_period.value_or(0) != 0) {
        ctx.warn(fmt::format("{}.cpu.realtimeRuntime/realtimePeriod: ignored on cgroup v2 "
                             "(it has no realtime group scheduling)",
                             ctx.where));
    }
}

void write_io_v2(CgroupFiles& files, const BlockIoResources& io, const WriteContext& ctx) {
    // BFQ takes v1's weight scale as it is; the generic io.weight needs the conversion.
    const bool bfq = files.exists("io.bfq.weight");
    if (io.weight && *io.weight != 0) {
        if (bfq) {
            files.write("io.bfq.weight", std::to_string(*io.weight));
        } else {
            files.write("io.weight", std::to_string(blkio_weight_to_io_weight(*io.weight)));
        }
    }
    for (const WeightDevice& d : io.weight_device) {
        if (!d.weight || *d.weight == 0) continue;
        if (!bfq) {
            ctx.warn(fmt::format("{}.blockIO.weightDevice ({}:{}): ignored, per-device weights "
                                 "need the BFQ scheduler (no io.bfq.weight)",
                                 ctx.where, d.major, d.minor));
            continue;
        }
        files.write("io.bfq.weight", fmt::format("{}:{} {}", d.major, d.minor, *d.weight));
    }
    if (io.leaf_weight.value_or(0) != 0) {
        ctx.warn(fmt::format("{}.blockIO.leafWeight: ignored on cgroup v2 (no leaf weights)",
                             ctx.where));
    }
    const auto throttle = [&](const char* key, const std::vector<ThrottleDevice>& devices) {
        for (const ThrottleDevice& d : devices) {
            files.write("io.max", fmt::format("{}:{} {}={}", d.major, d.minor, key, d.rate));
        }
    };
    throttle("rbps", io.throttle_read_bps);
    throttle("wbps", io.throttle_write_bps);
    throttle("riops", io.throttle_read_iops);
    throttle("wiops", io.throttle_write_iops);
}

void write_unified(CgroupFiles& files, const std::map<std::string, std::string>& unified,
                   const std::set<std::string>& controllers, bool only_existing,
                   const WriteContext& ctx) {
    for (const auto& [key, value] : unified) {
        const std::string field = fmt::format("{}.unified[\"{}\"]", ctx.where, key);
        const auto dot = key.find('.');
        const std::string controller = key.substr(0, dot);
        if (only_existing && !files.exists(key)) {
            fail("{}: no such file in the cgroup v2 directory {} (on this hybrid host the "
                 "unified hierarchy offers only: {})",
                 field, files.dir(),
                 controllers.empty() ? std::string("no controllers")
                                     : fmt::format("{}", fmt::join(controllers, " ")));
        }
        // One write per line, so multi-line values (io.max for two devices) each land; this is
        // runc's WriteFileByLine.
        std::string_view rest = value;
        for (;;) {
            const auto newline = rest.find('\n');
            const std::string line(rest.substr(0, newline));
            rest = newline == std::string_view::npos ? std::string_view{} : rest.substr(newline + 1);
            if (const int err = files.try_write(key, line); err != 0) {
                const bool missing = err == ENOENT || err == EPERM || err == EACCES;
                if (missing && dot == std::string::npos) {
                    fail("{}: not a cgroup v2 file (expected CONTROLLER.PARAMETER)", field);
                }
                if (missing && controller != "cgroup" && !controllers.contains(controller)) {
                    fail("{}: the {} controller is not enabled in {}", field, controller,
                         files.dir());
                }
                files.throw_write_error(key, line, err);
            }
            if (rest.empty()) break;
        }
    }
}

}  // namespace hako::cgroups::detail
