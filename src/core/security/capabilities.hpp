#pragma once
// The five capability sets of process.capabilities, applied with libcap around the user
// switch: bounding is trimmed while still privileged, PR_SET_KEEPCAPS keeps the permitted set
// across setresuid, and the spec's effective/permitted/inheritable then ambient sets are
// installed last.
#include <linux/capability.h>

#include <optional>
#include <string>
#include <vector>

#include "spec/spec.hpp"

namespace hako::security {

// Resolves the names (e.g. "CAP_NET_ADMIN"). Unknown names are an error naming the field;
// names this kernel lacks (above /proc/sys/kernel/cap_last_cap) are skipped with a warning
// appended to warnings, as runc does. An ambient capability that is not also inheritable and
// permitted cannot be raised by the kernel: runc ignores it, hako drops it with a warning.
// Nothing is ever added to a set the spec did not list it in (inheritable above all:
// CVE-2022-29162).
class Capabilities {
public:
    // last_cap: the kernel's highest capability number; -1 asks libcap (cap_max_bits).
    static Capabilities resolve(const spec::Capabilities& names, std::vector<std::string>& warnings,
                                int last_cap = -1);

    // Before the user switch: drop what is not in bounding and keep caps across setresuid.
    void prepare_for_user_switch() const;
    // After the user switch: the final effective/permitted/inheritable and ambient sets.
    void apply() const;

    std::vector<int> bounding, effective, permitted, inheritable, ambient;
    int last_cap = CAP_LAST_CAP;  // as resolved, so the bounding drop need not read it again
};

}  // namespace hako::security
