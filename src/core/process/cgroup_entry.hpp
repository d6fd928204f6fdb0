#pragma once
// How a new child of hako (the container's init, or an exec'd process) enters the
// container's cgroups, shared by the launcher and exec: born in the cgroup2 directory
// (clone3 CLONE_INTO_CGROUP) and joining each v1 hierarchy itself (cgroups/self_join.hpp):
// as its first act, or (the init of `create`, whose v1 directories are made while it mounts)
// once the parent has sent it their `tasks` files. Whatever neither covered, add_process
// writes afterwards.
#include <sys/types.h>

#include "cgroups/manager.hpp"
#include "cgroups/self_join.hpp"
#include "process/sync_channel.hpp"
#include "sys/syscalls.hpp"
#include "sys/unique_fd.hpp"

namespace hako::process {

class CgroupEntry {
  public:
    enum class V1 {
        at_once,    // the v1 directories exist: the child joins them first thing (exec)
        when_sent,  // the child joins once sent (below): the init, whose v1 directories are
                    // made after the clone
    };

    // manager may be null (no cgroups): then every step does nothing.
    explicit CgroupEntry(cgroups::Manager* manager, V1 v1 = V1::at_once);

    // clone3 with args, into the cgroup2 directory when there is one; where the kernel
    // refuses to place a process directly there (a threaded directory, or a domain with
    // controllers enabled for children), cloned normally, and add_process moves it (or says
    // why not). In the parent the v1 task files are closed again.
    pid_t clone(sys::CloneArgs& args);

    // In the child, at once: its v1 hierarchies.
    [[nodiscard]] cgroups::SelfJoin& self_join() { return self_join_; }

    // In the parent: moves pid into the hierarchies the child did not enter by itself.
    void add_process(pid_t pid);
    // Whether add_process has anything to do (clone3 could not place the child, or it does
    // not join its v1 hierarchies itself); known in the child too, which is cloned after.
    [[nodiscard]] bool needs_add_process() const {
        return manager_ != nullptr && (placed_by_parent_ || !joins_v1_itself_);
    }

    // V1::when_sent, in the parent once the v1 directories exist: sends the child their
    // `tasks` files (kCgroupTask each, then kCgroupsReady).
    void send_v1(const SyncChannel& channel) const;

    // V1::when_sent, in the child: receives those files and joins through them.
    static void receive_v1_and_join(const SyncChannel& channel);

  private:
    cgroups::Manager* manager_;
    sys::UniqueFd unified_dir_;
    cgroups::SelfJoin self_join_;
    bool joins_v1_itself_ = false;
    bool placed_by_parent_ = false;  // CLONE_INTO_CGROUP refused: add_process moves it
    V1 v1_;
};

}  // namespace hako::process
