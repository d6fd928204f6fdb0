#include "cgroups/hybrid_manager.hpp"

namespace hako::cgroups::detail {

void HybridManager::create() {
    v1_.create();
    try {
        v2_.create();
    } catch (...) {
        v1_.undo_create();
        throw;
    }
}

void HybridManager::undo_create() noexcept {
    v2_.undo_create();
    v1_.undo_create();
}

void HybridManager::add_process(pid_t pid, bool skip_unified) {
    v1_.add_process(pid, skip_unified);
    v2_.add_process(pid, skip_unified);
}

std::map<std::string, std::string> HybridManager::paths() const {
    std::map<std::string, std::string> result = v1_.paths();
    result.merge(v2_.paths());
    return result;
}

std::vector<std::string> HybridManager::dirs() const {
    std::vector<std::string> result = v1_.dirs();
    result.push_back(v2_.dirs().front());
    return result;
}

void HybridManager::prepare_kill() {
    v1_.prepare_kill();  // thaw first, so the cgroup.kill below lands
    v2_.prepare_kill();
}

}  // namespace hako::cgroups::detail
