#pragma once
// The child side: what the cloned init does, from its first instruction to execve.
#include "process/idle_memory.hpp"
#include "process/launcher.hpp"
#include "process/namespace_plan.hpp"
#include "process/namespaces_ahead.hpp"
#include "process/sync_channel.hpp"

namespace hako::process {

// Runs in the cloned child; never returns. Every failure is reported on the channel as
// kError with the errno and a one-line message, then the child exits 1.
// Its v1 cgroups come over the channel, before its first cgroup mount (cgroup_entry.hpp).
// idle: what to give back while waiting for `start` (made by the parent, idle_memory.hpp).
// made_ahead: namespaces the init enters first, in place of clone3 (namespaces_ahead.hpp);
// filesystems_ahead: what it attaches in place of new filesystems.
// waits_for_go: whether the parent has work to do on the init (id maps, moving it into a
// cgroup, oom_score_adj) before it may go on past its namespaces (kNamespacesReady, kGo).
[[noreturn]] void run_container_init(const LaunchRequest& request, const NamespacePlan& plan,
                                     const IdleMemoryPlan& idle,
                                     std::vector<MadeNamespace>& made_ahead,
                                     std::vector<fs::FilesystemAhead>& filesystems_ahead,
                                     bool waits_for_go, SyncChannel& channel) noexcept;

}  // namespace hako::process
