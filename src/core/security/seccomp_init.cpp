#include "security/seccomp_init.hpp"

#include "security/seccomp_profile.hpp"

namespace hako::security {

InitSeccomp::InitSeccomp(const spec::Spec& spec) {
    if (spec.linux_config.seccomp_json.empty()) return;
    const SeccompProfile profile = parse_seccomp_profile(spec.linux_config.seccomp_json);
    program_ = compile_seccomp(profile);
    const bool no_new_privileges = spec.process && spec.process->no_new_privileges;
    if (!no_new_privileges)
        stage_ = SeccompStage::before_user_switch;
    else if (program_->has_listener())
        stage_ = SeccompStage::before_ready;
    else
        stage_ = SeccompStage::before_exec;
}

sys::UniqueFd InitSeccomp::load_at(SeccompStage stage) const {
    if (!program_ || stage != stage_) return {};
    return load_seccomp(*program_);
}

}  // namespace hako::security
