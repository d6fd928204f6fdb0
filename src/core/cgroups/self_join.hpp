#pragma once
// A new process moving itself into the container's v1 cgroups.
//
// Writing a pid to a cgroup.procs file takes the kernel's global cgroup_threadgroup_rwsem for
// writing, and a writer that finds the lock idle waits out an RCU grace period first: 5-20 ms
// on the 2-core test host, most of a `create` on a v1 or hybrid layout. A process that writes
// "0" to a v1 `tasks` file moves only its calling thread, and the kernel then skips that lock.
// A freshly cloned child has exactly one thread, so moving the thread moves the process.
// (cgroup2 needs none of this: the child is born in its cgroup through CLONE_INTO_CGROUP.)
#include <string>
#include <vector>

#include "sys/unique_fd.hpp"

namespace hako::cgroups {

class SelfJoin {
  public:
    struct TaskFile {
        std::string path;
        sys::UniqueFd fd;  // opened O_WRONLY by the host-side parent: the kernel checks the
                           // opener's credentials, so a child in a user namespace may use it
    };

    SelfJoin() = default;
    explicit SelfJoin(std::vector<TaskFile> files) : files_(std::move(files)) {}

    // Opens <dir>/tasks of every directory given (the container's v1 directories).
    static SelfJoin open(const std::vector<std::string>& v1_dirs);

    [[nodiscard]] bool empty() const { return files_.empty(); }
    [[nodiscard]] const std::vector<TaskFile>& files() const { return files_; }

    // In the new process while it is single-threaded: joins every hierarchy, then closes the
    // files. Throws naming the file the kernel refused.
    void join();

    // The parent's copies, once the child holds its own.
    void close() noexcept { files_.clear(); }

  private:
    std::vector<TaskFile> files_;
};

}  // namespace hako::cgroups
