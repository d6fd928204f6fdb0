#pragma once
// How a new child of hako (the container's init, or an exec'd process) enters the
// container's cgroups, shared by the launcher and exec: born in the cgroup2 directory
// (clone3 CLONE_INTO_CGROUP) and joining each v1 hierarchy itself as its first act
// (cgroups/self_join.hpp). Whatever neither covered, add_process writes afterwards.
#include <sys/types.h>

#include "cgroups/manager.hpp"
#include "cgroups/self_join.hpp"
#include "sys/syscalls.hpp"
#include "sys/unique_fd.hpp"

namespace hako::process {

class CgroupEntry {
  public:
    // manager may be null (no cgroups): then every step does nothing.
    explicit CgroupEntry(cgroups::Manager* manager);

    // clone3 with args, into the cgroup2 directory when there is one; where the kernel
    // refuses to place a process directly there (a threaded directory, or a domain with
    // controllers enabled for children), cloned normally, and add_process moves it (or says
    // why not). In the parent the v1 task files are closed again.
    pid_t clone(sys::CloneArgs& args);

    // In the child, at once: its v1 hierarchies.
    [[nodiscard]] cgroups::SelfJoin& self_join() { return self_join_; }

    // In the parent: moves pid into the hierarchies the child did not enter by itself.
    void add_process(pid_t pid);

  private:
    cgroups::Manager* manager_;
    sys::UniqueFd unified_dir_;
    cgroups::SelfJoin self_join_;
    bool joins_v1_itself_ = false;
};

}  // namespace hako::process
