// apply_resources: each group of settings goes to the hierarchy that carries its controller.
// On a hybrid host that is usually the v1 one, but a controller only the unified hierarchy
// offers (hugetlb on this kind of host) is written there, in its v2 form.
#include <fcntl.h>

#include "cgroups/device_filter.hpp"
#include "cgroups/driver.hpp"
#include "cgroups/resource_writers.hpp"
#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace hako::cgroups::detail {
namespace {

struct Target {
    std::string dir;
    bool v2 = false;
};

class Dispatcher {
  public:
    Dispatcher(const ResourceTargets& targets, const ApplyOptions& options, Warnings& warnings)
        : targets_(targets), ctx_{options.where, options.update, &warnings} {}

    [[nodiscard]] const WriteContext& ctx() const { return ctx_; }

    // The hierarchy for a controller: its v1 hierarchy if mounted, else the unified one if
    // the container's cgroup2 directory has it; throws naming field otherwise.
    [[nodiscard]] Target pick(std::string_view field, const char* v1_name, const char* v2_name) const {
        if (auto it = targets_.v1.find(v1_name); it != targets_.v1.end()) return {it->second, false};
        if (targets_.unified_dir && targets_.unified_controllers.contains(v2_name)) {
            return {*targets_.unified_dir, true};
        }
        if (targets_.unified_dir) {
            fail("{}.{}: no cgroup hierarchy offers the {} controller here (no v1 mount, and "
                 "{}/cgroup.controllers lacks \"{}\")",
                 ctx_.where, field, v1_name, *targets_.unified_dir, v2_name);
        }
        fail("{}.{}: no cgroup hierarchy offers the {} controller here (it is not mounted)",
             ctx_.where, field, v1_name);
    }

  private:
    const ResourceTargets& targets_;
    WriteContext ctx_;
};

void apply_devices(const ResourceTargets& targets, const std::vector<DeviceRule>& rules,
                   const WriteContext& ctx) {
    if (auto it = targets.v1.find("devices"); it != targets.v1.end()) {
        CgroupFiles files(it->second);
        write_devices_v1(files, rules);
        return;
    }
    if (!targets.unified_dir) {
        fail("{}.devices: no cgroup hierarchy offers the devices controller here", ctx.where);
    }
    // cgroup v2 has no devices files: an eBPF program on the directory does the filtering.
    DeviceCgroupModel model;
    for (const DeviceRule& rule : rules) model.apply(rule);
    const std::string& dir = *targets.unified_dir;
    const sys::UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) throw_sys_error("open", dir);
    attach_device_filter(fd.get(), dir, device_filter_program(model));
}

void apply_network(const ResourceTargets& targets, const NetworkResources& network,
                   const WriteContext& ctx) {
    const bool class_id = network.class_id.value_or(0) != 0;
    const bool priorities = !network.priorities.empty();
    if (!class_id && !priorities) return;
    if (targets.v1.empty()) {
        // runc's v2 driver ignores these: there is nothing to write them to.
        ctx.warn(fmt::format("{}.network: ignored on cgroup v2 (net_cls and net_prio exist only "
                             "in cgroup v1)",
                             ctx.where));
        return;
    }
    for (const auto& [wanted, controller, field] :
         {std::tuple{class_id, "net_cls", "network.classID"},
          std::tuple{priorities, "net_prio", "network.priorities"}}) {
        if (!wanted) continue;
        const auto it = targets.v1.find(controller);
        if (it == targets.v1.end()) {
            fail("{}.{}: the {} cgroup controller is not mounted on this host", ctx.where, field,
                 controller);
        }
        CgroupFiles files(it->second);
        if (std::string_view(controller) == "net_cls") {
            write_net_cls_v1(files, network);
        } else {
            write_net_prio_v1(files, network);
        }
    }
}

void apply_unified(const ResourceTargets& targets, const std::map<std::string, std::string>& unified,
                   const WriteContext& ctx) {
    if (unified.empty()) return;
    if (!targets.unified_dir) {
        fail("{}.unified: needs a cgroup v2 hierarchy, and this host has only cgroup v1",
             ctx.where);
    }
    CgroupFiles files(*targets.unified_dir);
    write_unified(files, unified, targets.unified_controllers, !targets.unified_only, ctx);
}

}  // namespace

Warnings apply_resources(const ResourceTargets& targets, const Resources& resources,
                         const ApplyOptions& options) {
    Warnings warnings;
    const Dispatcher dispatch(targets, options, warnings);
    const WriteContext& ctx = dispatch.ctx();

    // runc's v1 order: cpuset, devices, memory, cpu, pids, blkio, hugetlb, net_cls, net_prio,
    // rdma; the unified files last, so they can refine anything before them.
    if (resources.cpu && wants_cpuset(*resources.cpu)) {
        const Target t = dispatch.pick("cpu.cpus", "cpuset", "cpuset");
        CgroupFiles files(t.dir);
        write_cpuset(files, *resources.cpu);
    }
    // `runc update` never changes device rules (it cannot know what a plugin added since).
    if (!options.update && !resources.devices.empty()) apply_devices(targets, resources.devices, ctx);
    if (resources.memory && wants_memory(*resources.memory)) {
        const Target t = dispatch.pick("memory", "memory", "memory");
        CgroupFiles files(t.dir);
        if (t.v2) {
            write_memory_v2(files, *resources.memory, ctx);
        } else {
            write_memory_v1(files, *resources.memory, ctx);
        }
    } else if (resources.memory && resources.memory->kernel) {
        warnings.push_back(fmt::format("{}.memory.kernel: kernel memory limits are ignored, as "
                                       "runc does",
                                       options.where));
    }
    if (resources.cpu && wants_cpu(*resources.cpu)) {
        const Target t = dispatch.pick("cpu", "cpu", "cpu");
        CgroupFiles files(t.dir);
        if (t.v2) {
            write_cpu_v2(files, *resources.cpu, ctx);
        } else {
            write_cpu_v1(files, *resources.cpu, ctx);
        }
    }
    if (resources.pids && resources.pids->limit) {
        const Target t = dispatch.pick("pids.limit", "pids", "pids");
        CgroupFiles files(t.dir);
        write_pids(files, *resources.pids);
    }
    if (resources.block_io && wants_block_io(*resources.block_io)) {
        const Target t = dispatch.pick("blockIO", "blkio", "io");
        CgroupFiles files(t.dir);
        if (t.v2) {
            write_io_v2(files, *resources.block_io, ctx);
        } else {
            write_blkio_v1(files, *resources.block_io);
        }
    }
    if (!resources.hugepage_limits.empty()) {
        const Target t = dispatch.pick("hugepageLimits", "hugetlb", "hugetlb");
        CgroupFiles files(t.dir);
        write_hugetlb(files, resources.hugepage_limits, t.v2);
    }
    if (resources.network) apply_network(targets, *resources.network, ctx);
    if (!resources.rdma.empty()) {
        const Target t = dispatch.pick("rdma", "rdma", "rdma");
        CgroupFiles files(t.dir);
        write_rdma(files, resources.rdma);
    }
    apply_unified(targets, resources.unified, ctx);
    return warnings;
}

std::vector<std::string> Driver::apply(const Resources& resources, const ApplyOptions& options) {
    return apply_resources(resource_targets(), resources, options);
}

}  // namespace hako::cgroups::detail
