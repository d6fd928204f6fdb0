#include "security/seccomp_init.hpp"


namespace hako::security {

InitSeccomp::InitSeccomp(const spec::Spec& spec, const SeccompCache* cache) {
    if (spec.linux_config.seccomp_json.empty()) return;
    program_ = compile_seccomp_cached(spec.linux_config.seccomp_json, cache);
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
