#pragma once
// The hybrid layout: the v1 hierarchies hold the controllers, and the cgroup2 hierarchy
// (usually /sys/fs/cgroup/unified) only tracks processes. Composes the two drivers.
#include "cgroups/v1_manager.hpp"
#include "cgroups/v2_manager.hpp"

namespace hako::cgroups::detail {

class HybridManager final : public Driver {
  public:
    HybridManager(V1Manager v1, V2Manager v2) : v1_(std::move(v1)), v2_(std::move(v2)) {}

    void create() override;
    void create_unified() override { v2_.create(); }
    void create_v1() override { v1_.create(); }
    [[nodiscard]] sys::UniqueFd open_unified_dir() const override { return v2_.open_unified_dir(); }
    [[nodiscard]] SelfJoin open_self_join() const override { return v1_.open_self_join(); }
    void add_process(pid_t pid, Joined joined) override;
    [[nodiscard]] std::map<std::string, std::string> paths() const override;
    void freeze(bool frozen) override;
    [[nodiscard]] FreezerState freezer_state() const override;
    [[nodiscard]] Stats stats() const override;
    [[nodiscard]] std::unique_ptr<OomNotifier> oom_notifier() const override;

    [[nodiscard]] ResourceTargets resource_targets() const override;
    [[nodiscard]] std::vector<std::string> dirs() const override;
    void prepare_kill() override;
    void undo_create() noexcept override;

  private:
    V1Manager v1_;
    V2Manager v2_;
};

}  // namespace hako::cgroups::detail
