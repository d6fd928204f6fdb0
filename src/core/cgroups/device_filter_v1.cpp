// The cgroup v1 devices controller: the rules are written as runc's target state is reached
// from a new cgroup (which inherits "allow all"): devices.deny "a" first, then each rule in
// order to devices.allow or devices.deny. The kernel then holds what DeviceCgroupModel computes.
#include <string>

#include "cgroups/resource_writers.hpp"
#include "sys/error.hpp"

namespace hako::cgroups::detail {
namespace {

// "c 1:3 rwm", "b *:* m"; "a" for the all-devices rule (the kernel ignores the rest of it).
std::string rule_text(const DeviceRule& rule) {
    if (rule.type == 'a') return "a";
    const auto number = [](const std::optional<std::int64_t>& value) {
        return value ? std::to_string(*value) : std::string("*");
    };
    return fmt::format("{} {}:{} {}", rule.type, number(rule.major), number(rule.minor),
                       rule.access);
}

}  // namespace

void write_devices_v1(CgroupFiles& files, const std::vector<DeviceRule>& rules) {
    files.write("devices.deny", "a");
    for (const DeviceRule& rule : rules) {
        files.write(rule.allow ? "devices.allow" : "devices.deny", rule_text(rule));
    }
}

}  // namespace hako::cgroups::detail
