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
//                                           setns() to the namespaces given by path,
//                                           unshare() the ones that must follow a join
//                 <-- kNamespacesReady ---
//   uid/gid maps, v1 cgroups,
//   oom_score_adj;  send kGo        ------> cgroupns, rootfs, pivot, hostname, sysctl,
//                                           rlimits, user, caps, cwd, finds the executable
//                   <------ kReady  ------  (or kError{errno, text} and exits 1)
//   state.json "created", pid file,
//   exit                                    blocks in accept() on exec.sock until start
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "sys/unique_fd.hpp"

namespace hako::process {

enum class SyncType : std::uint32_t {
    kNamespacesReady = 1,  // init -> parent: in its final namespaces, ready for id maps
    kGo = 2,               // parent -> init: maps, cgroups and oom_score_adj are in place
    kReady = 3,            // init -> parent: set up, waiting for start
    kError = 4,            // init -> parent: setup failed; text says why, errno the errno
    // New message types are appended here (and kLastSyncType moved), each documented in the
    // diagram above and in docs/ARCHITECTURE.md.
};
inline constexpr std::uint32_t kLastSyncType = 4;

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

    [[nodiscard]] int fd() const { return fd_.get(); }
    void close() { fd_.reset(); }

private:
    sys::UniqueFd fd_;
};

}  // namespace hako::process
