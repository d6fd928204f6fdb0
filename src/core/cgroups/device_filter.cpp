// The device rules a container gets and the v1 devices-controller model they are evaluated
// with (the eBPF program and the v1 writes live in device_filter_bpf.cpp and
// device_filter_v1.cpp).
#include "cgroups/device_filter.hpp"

#include <algorithm>
#include <array>
#include <string_view>

namespace hako::cgroups {
namespace {

struct DefaultDevice {
    std::string_view path;  // "" for rules that are not one device node
    char type;
    std::int64_t major;  // -1: any
    std::int64_t minor;
    std::string_view access;
};

// runc libcontainer/specconv.AllowedDevices, in its order.
constexpr std::array<DefaultDevice, 11> kDefaultDevices = {{
    {"", 'c', -1, -1, "m"},
    {"", 'b', -1, -1, "m"},
    {"/dev/null", 'c', 1, 3, "rwm"},
    {"/dev/random", 'c', 1, 8, "rwm"},
    {"/dev/full", 'c', 1, 7, "rwm"},
    {"/dev/tty", 'c', 5, 0, "rwm"},
    {"/dev/zero", 'c', 1, 5, "rwm"},
    {"/dev/urandom", 'c', 1, 9, "rwm"},
    {"", 'c', 136, -1, "rwm"},  // /dev/pts/*
    {"", 'c', 5, 2, "rwm"},     // /dev/ptmx
    {"", 'c', 10, 200, "rwm"},  // /dev/net/tun, kept by runc for compatibility
}};

constexpr std::int64_t kAny = -1;

std::int64_t number_or_any(const std::optional<std::int64_t>& value) {
    return value ? *value : kAny;
}

bool matches(std::int64_t rule_value, std::uint32_t device_value) {
    return rule_value == kAny || rule_value == static_cast<std::int64_t>(device_value);
}

}  // namespace

std::vector<DeviceRule> default_device_rules(const std::vector<std::string>& spec_device_paths) {
    std::vector<DeviceRule> rules;
    for (const DefaultDevice& device : kDefaultDevices) {
        if (!device.path.empty() &&
            std::find(spec_device_paths.begin(), spec_device_paths.end(), device.path) !=
                spec_device_paths.end()) {
            continue;
        }
        DeviceRule rule;
        rule.allow = true;
        rule.type = device.type;
        if (device.major != kAny) rule.major = device.major;
        if (device.minor != kAny) rule.minor = device.minor;
        rule.access = std::string(device.access);
        rules.push_back(std::move(rule));
    }
    return rules;
}

std::vector<DeviceRule> effective_device_rules(const std::vector<DeviceRule>& spec_rules,
                                               const std::vector<std::string>& spec_device_paths) {
    std::vector<DeviceRule> rules = spec_rules;
    for (DeviceRule& rule : default_device_rules(spec_device_paths)) rules.push_back(std::move(rule));
    return rules;
}

std::uint8_t access_bits(const std::string& access) {
    std::uint8_t bits = 0;
    for (const char c : access) {
        if (c == 'm') bits |= BPF_DEVCG_ACC_MKNOD;
        if (c == 'r') bits |= BPF_DEVCG_ACC_READ;
        if (c == 'w') bits |= BPF_DEVCG_ACC_WRITE;
    }
    return bits;
}

void DeviceCgroupModel::apply(const DeviceRule& rule) {
    if (rule.type == 'a') {
        // "a" in either file is the kernel's reset: a new default, no exceptions.
        default_allow_ = rule.allow;
        exceptions_.clear();
        return;
    }
    const Exception entry{rule.type, number_or_any(rule.major), number_or_any(rule.minor),
                          access_bits(rule.access)};
    const auto same_device = [&](const Exception& e) {
        return e.type == entry.type && e.major == entry.major && e.minor == entry.minor;
    };
    if (rule.allow == default_allow_) {
        // Agrees with the default: takes the access away from an identical exception only
        // (dev_exception_rm). A narrower rule inside a wider exception changes nothing.
        for (Exception& e : exceptions_) {
            if (same_device(e)) e.access &= static_cast<std::uint8_t>(~entry.access);
        }
        std::erase_if(exceptions_, [](const Exception& e) { return e.access == 0; });
        return;
    }
    // Goes against the default: a new exception, or more access for an identical one
    // (dev_exception_add).
    auto it = std::find_if(exceptions_.begin(), exceptions_.end(), same_device);
    if (it != exceptions_.end()) {
        it->access |= entry.access;
    } else {
        exceptions_.push_back(entry);
    }
}

bool DeviceCgroupModel::permits(char type, std::uint32_t major, std::uint32_t minor,
                                std::uint8_t access) const {
    for (const Exception& e : exceptions_) {
        if (e.type != type || !matches(e.major, major) || !matches(e.minor, minor)) continue;
        if (default_allow_) {
            // Deny list: any overlap with a denied access refuses (match_exception_partial).
            if ((access & e.access) != 0) return false;
        } else if ((access & ~e.access) == 0) {
            // Allow list: one exception must grant all of the access (match_exception).
            return true;
        }
    }
    return default_allow_;
}

}  // namespace hako::cgroups
