#pragma once
// The cgroup v2 driver: one directory in the cgroup2 hierarchy, with the controllers the
// hierarchy offers enabled down to its parent. Also the unified half of a hybrid layout.
#include "cgroups/driver.hpp"

namespace hako::cgroups::detail {

class V2Manager final : public Driver {
  public:
    explicit V2Manager(HierarchyDir dir) : dir_(std::move(dir)) {}

    void create() override;
    void create_unified() override { create(); }
    void create_v1() override {}
    [[nodiscard]] sys::UniqueFd open_unified_dir() const override;
    [[nodiscard]] SelfJoin open_self_join() const override { return {}; }
    void add_process(pid_t pid, Joined joined) override;
    [[nodiscard]] std::map<std::string, std::string> paths() const override;
    void freeze(bool frozen) override { set_v2_freezer(dir_.dir(), frozen); }
    [[nodiscard]] FreezerState freezer_state() const override {
        return v2_freezer_state(dir_.dir());
    }
    [[nodiscard]] Stats stats() const override { return read_v2_stats(dir_.dir(), hugepage_sizes()); }
    [[nodiscard]] std::unique_ptr<OomNotifier> oom_notifier() const override {
        return make_v2_oom_notifier(dir_.dir());
    }

    [[nodiscard]] ResourceTargets resource_targets() const override;
    [[nodiscard]] std::vector<std::string> dirs() const override { return {dir_.dir()}; }
    void prepare_kill() override;
    void undo_create() noexcept override;

  private:
    void enable_controllers() const noexcept;

    HierarchyDir dir_;
    std::vector<std::string> created_;  // by the last create(), outermost first
};

}  // namespace hako::cgroups::detail
