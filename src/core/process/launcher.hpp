#pragma once
// The parent side of starting a container init: one clone3 with every namespace flag that
// can be created at once (and CLONE_INTO_CGROUP where a cgroup2 directory exists), then the
// sync protocol of sync_channel.hpp until the init waits for `start`.
#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cgroups/layout.hpp"
#include "cgroups/manager.hpp"
#include "process/namespaces_ahead.hpp"
#include "process/sync_channel.hpp"
#include "security/seccomp_init.hpp"
#include "spec/spec.hpp"
#include "sys/unique_fd.hpp"

namespace hako::process {

struct LaunchRequest {
    const spec::Spec* spec = nullptr;
    std::string container_id;
    std::string bundle;  // absolute
    std::string rootfs;  // absolute
    int preserve_fds = 0;
    bool no_pivot = false;
    bool no_new_keyring = false;
    int exec_gate_fd = -1;  // listening exec.sock, inherited by the init
    cgroups::Manager* cgroups = nullptr;
    const cgroups::Layout* cgroup_layout = nullptr;
    // linux.seccomp, compiled by the caller before the clone (from the cache when it can: the
    // cache lives on the host, which the init must not trust once it is inside the container).
    const security::InitSeccomp* seccomp = nullptr;
    // Give memory back while waiting for `start` (idle_memory.hpp); off when start follows.
    bool release_idle_memory = true;
    // `run`: no exec gate (exec_gate_fd -1); once ready the init goes straight on to its
    // startContainer hooks and execve, and reports their failure on the sync channel, which
    // LaunchedInit::exec_channel hands back.
    bool starts_at_once = false;
    // The sealed exec trampoline (security/exec_trampoline.hpp) the init execs the process
    // through, inherited across the clone; -1: hako runs from a sealed binary, exec directly.
    int exec_trampoline_fd = -1;
    // Makes the container's v1 cgroup directories, called once the init is cloned, while it
    // mounts. Then the init gets the v1 `tasks` files and joins before its first cgroup
    // mount. Empty: nothing is left to make (they were made before the clone; the cgroup2
    // directory must exist before the launch in any case).
    std::function<void()> make_cgroups;
    // Writes linux.resources, once the init has its v1 cgroups (it joins while hako writes);
    // the init waits for kResourcesApplied before it makes the devices.
    std::function<void()> apply_resources;
    // Work on the init's pid that hako would otherwise do after kReady (staging its state
    // file), called while the init mounts, when hako has nothing else to do. A throw kills
    // the init, as any launch failure does.
    std::function<void(pid_t)> while_init_prepares;
    // The network and ipc namespaces, when the caller started making them ahead; taken just
    // before the clone, which then leaves them out.
    NamespacesMadeAhead* namespaces_ahead = nullptr;
};

struct LaunchedInit {
    pid_t pid = 0;
    sys::UniqueFd pidfd;
    std::vector<std::string> warnings;
    sys::UniqueFd console_master;  // process.terminal: the pty master
    std::string console_name;      // and its name in the container ("/dev/pts/0")
    // starts_at_once: hako's end of the channel, for await_exec_on_channel.
    std::optional<SyncChannel> exec_channel;
};

// starts_at_once: waits until the init has exec'd the user process (EOF: its end is
// close-on-exec). Throws with the init's message when a startContainer hook or the execve
// failed.
void await_exec_on_channel(const SyncChannel& channel);

// Returns once the init is fully set up and blocked on the exec gate. On any failure the init
// is killed and reaped, and the error (the init's own message when it failed) is thrown.
LaunchedInit launch_init(const LaunchRequest& request);

}  // namespace hako::process
