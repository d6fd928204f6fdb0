#pragma once
// The typed channel between hako (the parent) and the container init it cloned.
//
// One SOCK_SEQPACKET socketpair, so every send is one message; each message is a fixed
// header plus at most kMaxText bytes of text whose length is checked on receipt (the
// length-overflow class of CVE-2021-43784 cannot arise). The protocol is a fixed sequence,
// documented as a diagram in docs/ARCHITECTURE.md:
//
//   parent                                  init (cloned child)
//   clone3(new ns flags, INTO_CGROUP) ----> born in its namespaces and cgroup2 dir
//                                           setns() to those made ahead (net, ipc) and
//                                           to the namespaces given by path,
//                                           unshare() the ones that must follow a join
//                 <-- kNamespacesReady ---  (these two only when the parent has work to do
//   uid/gid maps, oom_score_adj;             on the init: maps, oom_score_adj, a cgroup
//   send kGo{pid}                   ------>  move; else it goes straight on)
//                                           rootfs: the spec's mounts, up to the first one
//   v1 cgroup dirs (unless made before       of a cgroup (or all of them), then waits for
//   the clone)                               its v1 cgroups: joins them, cgroupns;
//   kCgroupTask{fd} per v1 hierarchy ---->  the remaining mounts, devices
//   kCgroupsReady                   ------>
//   linux.resources; kResourcesApplied -->  (waits for it before making devices)
//   prestart + createRuntime hooks <-- kHooks  (only when the spec has such hooks)
//   (runtime namespaces)  kHooksDone ------> createContainer hooks (container namespaces,
//                                           host paths), then pivot, hostname, sysctl,
//                                           rlimits, user, caps, cwd, finds the executable
//                                           (a profile with SCMP_ACT_NOTIFY is loaded now)
//   fd + state JSON to the agent at  <-- kSeccompListener{fd}  (only then)
//   linux.seccomp.listenerPath
//   to --console-socket, or kept for  <-- kConsole{fd, name}  (process.terminal: the pty
//   the foreground relay                    master, made in the container's devpts)
//                   <------ kReady  ------  (or kError{errno, text} and exits 1)
//   state.json "created", pid file,
//   exit                                    blocks in accept() on exec.sock until start
//   (`run`: state.json "running", then    (`run`: no exec.sock; straight on to the
//    waits for EOF = exec'd, or kError)     startContainer hooks and exec; a failure
//                   <------ kError  ------   of either is sent as kError)
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "sys/unique_fd.hpp"

namespace hako::process {

enum class SyncType : std::uint32_t {
    kNamespacesReady = 1,  // init -> parent: in its final namespaces, ready for id maps
    kGo = 2,               // parent -> init: maps, cgroups and oom_score_adj are in place;
                           // text = the init's pid as the host sees it (for hook states)
    kReady = 3,            // init -> parent: set up, waiting for start (run: exec'ing)
    kError = 4,            // init -> parent: setup failed; text says why, errno the errno
    kSeccompListener = 5,  // init -> parent: fd = the SCMP_ACT_NOTIFY listener, for the agent
    kConsole = 6,          // init/exec child -> parent: fd = the pty master, text = its name
    kHooks = 7,            // init -> parent: mounts done, before pivot_root: run the prestart
                           // and createRuntime hooks (sent only when the spec has any)
    kHooksDone = 8,        // parent -> init: those hooks succeeded (on failure the parent
                           // kills the init instead)
    kCgroupTask = 9,       // parent -> init: fd = one v1 `tasks` file to join, text = its path
    kCgroupsReady = 10,    // parent -> init: every kCgroupTask sent
    kResourcesApplied = 11,  // parent -> init: linux.resources written; awaited before the
                             // devices are made (and so before any hook and the process)
    // New message types are appended here (and kLastSyncType moved), each documented in the
    // diagram above and in docs/ARCHITECTURE.md.
};
inline constexpr std::uint32_t kLastSyncType = 11;

struct SyncMessage {
    SyncType type = SyncType::kError;
    std::int32_t errno_value = 0;
    std::string text;
    sys::UniqueFd fd;  // passed with SCM_RIGHTS, when the sender attached one
};

class SyncChannel {
public:
    static constexpr std::size_t kMaxText = 4096;

    // A connected pair: first for the parent, second for the child.
    static std::pair<SyncChannel, SyncChannel> make_pair();

    explicit SyncChannel(sys::UniqueFd fd) : fd_(std::move(fd)) {}

    // attached_fd >= 0 is passed to the peer with SCM_RIGHTS (a pty master, a seccomp
    // notify fd); the sender keeps its own copy.
    void send(SyncType type, std::int32_t errno_value = 0, std::string_view text = {},
              int attached_fd = -1) const;
    // Throws when the peer closed the channel ("init exited during setup") or sent a
    // malformed frame.
    SyncMessage receive() const;
    // receive() of a message that must be of type wanted: a kError from the peer is thrown
    // as that error, any other type fails naming both.
    SyncMessage receive(SyncType wanted) const;
    // The same, but nullopt when the peer closed the channel: an exec'd process's channel
    // end is close-on-exec, so EOF after kReady means execve succeeded.
    std::optional<SyncMessage> receive_unless_closed() const;

    [[nodiscard]] int fd() const { return fd_.get(); }
    void close() { fd_.reset(); }

private:
    sys::UniqueFd fd_;
};

}  // namespace hako::process
