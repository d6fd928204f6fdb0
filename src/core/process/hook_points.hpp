#pragma once
// Where the create and start flows run the spec's hooks (hooks/runner.hpp does the running):
//
//   parent, on kHooks (init paused after its mounts, before pivot_root):
//       prestart, then createRuntime, in hako's own namespaces, cwd the bundle
//   init, right after kHooksDone (or at that point when there were none):
//       createContainer, in the container's namespaces with the host's paths, cwd the rootfs
//   init, after `start` opened the exec gate and before execve:
//       startContainer, in the container (paths resolved after pivot_root)
//
// Every hook gets the state with the init's pid as the host sees it (runc gives createContainer
// and startContainer the pid inside the container; the spec says the host's).
#include <sys/types.h>

#include "process/launcher.hpp"
#include "process/sync_channel.hpp"

namespace hako::process {

// Parent side of kHooks: runs prestart and createRuntime; throws naming the failed hook.
void run_runtime_hooks(const LaunchRequest& request, pid_t init_pid);

// Init side, before pivot_root: asks the parent for the runtime hooks (when the spec has
// any) and waits for kHooksDone, then runs createContainer. Throws on failure.
void run_pre_pivot_hooks(const LaunchRequest& request, const SyncChannel& channel, pid_t host_pid);

// Init side, after the exec gate opened: runs startContainer. Throws on failure.
void run_start_container_hooks(const LaunchRequest& request, pid_t host_pid);

// The init's host pid from kGo's text; 0 when the text holds none.
pid_t host_pid_from_go(const SyncMessage& go);

// Without a kGo: the init's host pid from the host's procfs, still at /proc before its
// mounts ("self" is resolved in the pid namespace of the procfs, not the caller's). Only
// when the spec has hooks the init runs (createContainer, startContainer), else 0.
pid_t host_pid_from_host_procfs(const LaunchRequest& request);

}  // namespace hako::process
