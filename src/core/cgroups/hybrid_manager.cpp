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

void HybridManager::add_process(pid_t pid, Joined joined) {
    v1_.add_process(pid, joined);
    v2_.add_process(pid, joined);
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

// runc's fs driver freezes through the v1 hierarchy on hybrid hosts; the unified one only
// stands in for a controller the v1 side lacks.
void HybridManager::freeze(bool frozen) {
    if (v1_.find("freezer") != nullptr) {
        v1_.freeze(frozen);
    } else {
        v2_.freeze(frozen);
    }
}

FreezerState HybridManager::freezer_state() const {
    return v1_.find("freezer") != nullptr ? v1_.freezer_state() : v2_.freezer_state();
}

Stats HybridManager::stats() const {
    Stats stats = v1_.stats();
    if (v1_.find("hugetlb") == nullptr) {
        stats.hugetlb = read_v2_hugetlb(v2_.dirs().front(), hugepage_sizes());
    }
    return stats;
}

std::unique_ptr<OomNotifier> HybridManager::oom_notifier() const {
    return v1_.find("memory") != nullptr ? v1_.oom_notifier() : v2_.oom_notifier();
}

void HybridManager::prepare_kill() {
    v1_.prepare_kill();  // thaw first, so the cgroup.kill below lands
    v2_.prepare_kill();
}

ResourceTargets HybridManager::resource_targets() const {
    ResourceTargets targets = v2_.resource_targets();
    targets.v1 = v1_.resource_targets().v1;
    targets.unified_only = false;
    return targets;
}

}  // namespace hako::cgroups::detail
