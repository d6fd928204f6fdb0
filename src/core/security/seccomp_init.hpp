#pragma once
// When the container init compiles and loads linux.seccomp (runc's timeline):
//
//   - compiled first thing, so a bad profile fails `create` with the init's kError;
//   - without process.noNewPrivileges, loaded before the user switch: seccomp(2) then needs
//     CAP_SYS_ADMIN, which the init still holds;
//   - with noNewPrivileges, loaded right before execve, so a strict profile needs to allow
//     little more than execve itself;
//   - a profile using SCMP_ACT_NOTIFY has its listener fd only once loaded, and the agent must
//     have it during `create`: under noNewPrivileges it is loaded before kReady instead.
#include <optional>

#include "security/seccomp_cache.hpp"
#include "security/seccomp_filter.hpp"
#include "spec/spec.hpp"
#include "sys/unique_fd.hpp"

namespace hako::security {

enum class SeccompStage { before_user_switch, before_ready, before_exec };

class InitSeccomp {
public:
    InitSeccomp() = default;  // no linux.seccomp: every load_at() does nothing
    // Parses and compiles spec.linux_config.seccomp_json, or takes the program from cache
    // (may be null); throws naming the JSON path.
    explicit InitSeccomp(const spec::Spec& spec, const SeccompCache* cache = nullptr);

    // Loads the filter when `stage` is the one chosen for it. Returns the listener fd when
    // the filter was loaded now and notifies; the caller hands it to the parent.
    sys::UniqueFd load_at(SeccompStage stage) const;

    // The compiled program, or nullptr without linux.seccomp.
    [[nodiscard]] const SeccompProgram* program() const { return program_ ? &*program_ : nullptr; }

private:
    std::optional<SeccompProgram> program_;
    SeccompStage stage_ = SeccompStage::before_exec;
};

}  // namespace hako::security
