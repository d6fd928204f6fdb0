#include "security/capabilities.hpp"

#include <sys/capability.h>
#include <sys/prctl.h>

#include <algorithm>
#include <memory>

#include "sys/error.hpp"

namespace hako::security {
namespace {

// The kernel's highest capability, as libcap probed it with PR_CAPBSET_READ when hako started
// (the same number as /proc/sys/kernel/cap_last_cap, which would cost a file read, and in a
// fresh process the first use of iostreams).
int last_capability() {
    return static_cast<int>(cap_max_bits()) - 1;
}

std::vector<int> resolve_set(const std::vector<std::string>& names, const char* field,
                             int last_cap, std::vector<std::string>& warnings) {
    std::vector<int> values;
    for (const auto& name : names) {
        cap_value_t value = 0;
        std::string lower = name;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (cap_from_name(lower.c_str(), &value) != 0 || lower.rfind("cap_", 0) != 0) {
            // libcap knows every name up to its build; a numeric or unknown name is an error.
            fail("process.capabilities.{}: unknown capability \"{}\"", field, name);
        }
        if (value > last_cap) {
            warnings.push_back(
                fmt::format("capability {} is not supported by this kernel; skipped", name));
            continue;
        }
        values.push_back(value);
    }
    return values;
}

struct CapFree {
    void operator()(cap_t caps) const { cap_free(caps); }
};

}  // namespace

Capabilities Capabilities::resolve(const spec::Capabilities& names,
                                   std::vector<std::string>& warnings, int last_cap) {
    if (last_cap < 0) last_cap = last_capability();
    Capabilities caps;
    caps.last_cap = last_cap;
    caps.bounding = resolve_set(names.bounding, "bounding", last_cap, warnings);
    caps.effective = resolve_set(names.effective, "effective", last_cap, warnings);
    caps.permitted = resolve_set(names.permitted, "permitted", last_cap, warnings);
    caps.inheritable = resolve_set(names.inheritable, "inheritable", last_cap, warnings);
    const auto listed = [](const std::vector<int>& set, int cap) {
        return std::find(set.begin(), set.end(), cap) != set.end();
    };
    for (const auto& name : names.ambient) {
        const std::vector<int> one = resolve_set({name}, "ambient", last_cap, warnings);
        if (one.empty()) continue;  // not in this kernel: already warned
        if (listed(caps.inheritable, one.front()) && listed(caps.permitted, one.front())) {
            caps.ambient.push_back(one.front());
        } else {
            warnings.push_back(fmt::format("process.capabilities.ambient: {} is not also "
                                           "inheritable and permitted; not raised",
                                           name));
        }
    }
    return caps;
}

void Capabilities::prepare_for_user_switch() const {
    for (int cap = 0; cap <= last_cap; ++cap) {
        if (std::find(bounding.begin(), bounding.end(), cap) != bounding.end()) continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
            throw_sys_error("drop bounding capability", fmt::format("{}", cap));
    }
    check_sys(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), "prctl PR_SET_KEEPCAPS");
}

void Capabilities::apply() const {
    std::unique_ptr<std::remove_pointer_t<cap_t>, CapFree> state(cap_init());
    if (!state) throw_sys_error("cap_init");
    const auto set = [&](const std::vector<int>& values, cap_flag_t flag) {
        if (values.empty()) return;
        std::vector<cap_value_t> list(values.begin(), values.end());
        check_sys(cap_set_flag(state.get(), flag, static_cast<int>(list.size()), list.data(),
                               CAP_SET),
                  "cap_set_flag");
    };
    set(effective, CAP_EFFECTIVE);
    set(permitted, CAP_PERMITTED);
    set(inheritable, CAP_INHERITABLE);
    check_sys(cap_set_proc(state.get()), "apply capabilities (cap_set_proc)");
    // One prctl: libcap's cap_reset_ambient asks about each capability first (41 calls).
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
        (errno != EINVAL || !ambient.empty()))
        throw_sys_error("clear ambient capabilities");
    for (int cap : ambient) {
        // The kernel only raises an ambient capability that is permitted and inheritable.
        if (cap_set_ambient(cap, CAP_SET) < 0)
            throw_sys_error("raise ambient capability", fmt::format("{}", cap));
    }
    check_sys(prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0), "prctl PR_SET_KEEPCAPS");
}

}  // namespace hako::security
