#pragma once
// Device access control: the rules the container gets (the spec's plus runc's defaults), a
// model of the cgroup v1 devices controller that turns an ordered rule list into the state it
// ends in, and, for cgroup v2, an eBPF BPF_PROG_TYPE_CGROUP_DEVICE program built from that
// state and attached to the container's cgroup.
#include <linux/bpf.h>

#include <cstdint>
#include <string>
#include <vector>

#include "cgroups/resources.hpp"

namespace hako::cgroups {

// runc's specconv.AllowedDevices rules, always appended after the spec's own: mknod of any
// char and block device, /dev/null, /dev/random, /dev/full, /dev/tty, /dev/zero, /dev/urandom,
// every /dev/pts/N (136:*), /dev/ptmx (5:2) and /dev/net/tun (10:200). As runc, a default
// whose path is one of spec_device_paths (linux.devices[].path) is left out: the spec's own
// device entry then decides.
std::vector<DeviceRule> default_device_rules(const std::vector<std::string>& spec_device_paths);

// The rules the devices controller is given: the spec's rules, then the defaults.
std::vector<DeviceRule> effective_device_rules(const std::vector<DeviceRule>& spec_rules,
                                               const std::vector<std::string>& spec_device_paths);

// Access bits as the kernel numbers them (BPF_DEVCG_ACC_* and v1's ACC_*: mknod 1, read 2,
// write 4).
std::uint8_t access_bits(const std::string& access);

// The state of a v1 devices cgroup after a sequence of writes, computed as the kernel does
// (security/device_cgroup.c): "a" rules switch the default and drop every exception; other
// rules add to the exceptions when they go against the default and take access away from
// identical exceptions when they agree with it. It starts where runc's target state starts:
// deny by default, no exceptions (runc writes devices.deny "a" first).
class DeviceCgroupModel {
  public:
    struct Exception {
        char type = 'c';  // 'c' or 'b'
        std::int64_t major = -1;  // -1: any
        std::int64_t minor = -1;
        std::uint8_t access = 0;

        bool operator==(const Exception&) const = default;
    };

    void apply(const DeviceRule& rule);

    // Whether an access (bits of access_bits()) to a device is allowed.
    [[nodiscard]] bool permits(char type, std::uint32_t major, std::uint32_t minor,
                               std::uint8_t access) const;

    [[nodiscard]] bool default_allow() const { return default_allow_; }
    [[nodiscard]] const std::vector<Exception>& exceptions() const { return exceptions_; }

  private:
    bool default_allow_ = false;
    std::vector<Exception> exceptions_;
};

// The eBPF program (BPF_PROG_TYPE_CGROUP_DEVICE) that decides as the model does: one block per
// exception comparing type, major, minor and access with the struct bpf_cgroup_dev_ctx, and the
// default decision at the end. Returns 1 (allow) or 0 (deny) to the kernel.
std::vector<bpf_insn> device_filter_program(const DeviceCgroupModel& model);

// Loads program with bpf(BPF_PROG_LOAD) and attaches it to the cgroup2 directory dir_fd with
// bpf(BPF_PROG_ATTACH, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI); device filters attached there
// before are then detached, so the new one replaces them (as runc). dir names the directory in
// errors; a verifier refusal carries the verifier's log.
void attach_device_filter(int dir_fd, const std::string& dir, const std::vector<bpf_insn>& program);

}  // namespace hako::cgroups
