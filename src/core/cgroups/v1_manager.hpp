#pragma once
// The cgroup v1 driver: one directory per mounted v1 hierarchy (co-mounted controllers such as
// cpu,cpuacct share one), the name=systemd hierarchy included.
#include <vector>

#include "cgroups/driver.hpp"

namespace hako::cgroups::detail {

class V1Manager final : public Driver {
  public:
    explicit V1Manager(std::vector<HierarchyDir> dirs) : dirs_(std::move(dirs)) {}

    void create() override;
    void create_unified() override {}
    void create_v1() override { create(); }
    [[nodiscard]] sys::UniqueFd open_unified_dir() const override { return {}; }
    [[nodiscard]] SelfJoin open_self_join() const override { return SelfJoin::open(dirs()); }
    void add_process(pid_t pid, Joined joined) override;
    [[nodiscard]] std::map<std::string, std::string> paths() const override;
    void freeze(bool frozen) override;
    [[nodiscard]] FreezerState freezer_state() const override;
    [[nodiscard]] Stats stats() const override;
    [[nodiscard]] std::unique_ptr<OomNotifier> oom_notifier() const override;

    // The container's directory in the hierarchy holding controller; nullptr when none does.
    [[nodiscard]] const HierarchyDir* find(std::string_view controller) const;

    [[nodiscard]] ResourceTargets resource_targets() const override;
    [[nodiscard]] std::vector<std::string> dirs() const override;
    void prepare_kill() override;
    void undo_create() noexcept override;

  private:
    std::vector<HierarchyDir> dirs_;
    std::vector<std::string> created_;  // by the last create(), outermost first
};

}  // namespace hako::cgroups::detail
