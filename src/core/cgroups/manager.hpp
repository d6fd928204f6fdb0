#pragma once
// One interface for every cgroup layout. A driver knows which directories the container owns
// in which hierarchies; resources (a later issue) are written through the same object.
#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cgroups/freezer.hpp"
#include "cgroups/layout.hpp"
#include "cgroups/oom_notifier.hpp"
#include "cgroups/resources.hpp"
#include "cgroups/self_join.hpp"
#include "cgroups/stats.hpp"
#include "sys/unique_fd.hpp"

namespace hako::cgroups {

class Manager {
public:
    virtual ~Manager() = default;

    // Creates the container's directory in every hierarchy (parents as needed). Throws naming
    // the directory; on failure nothing this call made remains.
    virtual void create() = 0;

    // create() in two steps, so that `create` can make the v1 directories while the init
    // mounts: only the cgroup2 directory (for CLONE_INTO_CGROUP; nothing on a v1 layout),
    // then only the v1 ones (nothing on pure cgroup2). On failure, what the failing step made
    // is gone; destroy() removes the rest.
    virtual void create_unified() = 0;
    virtual void create_v1() = 0;

    // An O_DIRECTORY fd of the container's cgroup2 directory, for clone3(CLONE_INTO_CGROUP);
    // invalid when the layout has no unified hierarchy. Valid after create().
    [[nodiscard]] virtual sys::UniqueFd open_unified_dir() const = 0;

    // The v1 `tasks` files through which a new single-threaded process joins the container's
    // v1 cgroups itself, without the RCU grace period a cgroup.procs write costs
    // (self_join.hpp); empty without v1 hierarchies. Valid after create().
    [[nodiscard]] virtual SelfJoin open_self_join() const = 0;

    // What a new process already joined on its own.
    struct Joined {
        bool unified = false;  // born there through CLONE_INTO_CGROUP
        bool v1 = false;       // through open_self_join()
    };

    // Moves pid into the container's cgroup in every hierarchy it has not joined yet (writes
    // cgroup.procs).
    virtual void add_process(pid_t pid, Joined joined) = 0;

    // Every pid in the container's cgroups (union over hierarchies, sorted, unique).
    [[nodiscard]] virtual std::vector<pid_t> pids() const = 0;

    // Sends signal to every process in the cgroups, with the cgroup frozen meanwhile so no
    // fork escapes it. A paused container stays paused, except that SIGKILL thaws it (a frozen
    // v1 task dies only once thawed) and, on cgroup2, also goes through cgroup.kill.
    virtual void signal_all(int signal) = 0;

    // Freezes (pause) or thaws (resume) every process of the container: the v1 freezer
    // hierarchy when there is one (also on hybrid hosts, as runc), else cgroup2's cgroup.freeze.
    // Freezing returns once the kernel reports the cgroup frozen; it throws when there is no
    // freezer. Thawing a cgroup without a freezer does nothing.
    virtual void freeze(bool frozen) = 0;
    [[nodiscard]] virtual FreezerState freezer_state() const = 0;

    // Writes linux.resources into the container's cgroups, each controller into the hierarchy
    // that carries it on this host. Returns warnings for settings the host cannot express
    // (skipped, as runc skips them); throws naming the field, or the file and value the kernel
    // refused. Valid after create().
    virtual std::vector<std::string> apply(const Resources& resources,
                                           const ApplyOptions& options) = 0;

    // Resource usage (runc's stats document), from the hierarchy that holds each controller.
    [[nodiscard]] virtual Stats stats() const = 0;

    // OOM kill notifications of the container's memory cgroup; nullptr without one.
    [[nodiscard]] virtual std::unique_ptr<OomNotifier> oom_notifier() const = 0;

    // Kills every process (SIGKILL, waits until the cgroups are empty, bounded) and removes
    // the directories, deepest first. Missing directories are not an error.
    virtual void destroy() = 0;

    // Hierarchy mount point -> the container's directory, as stored in state.json.
    [[nodiscard]] virtual std::map<std::string, std::string> paths() const = 0;
};

// The directory name linux.cgroupsPath resolves to, relative to each hierarchy root:
// absolute paths are taken as they are, relative ones are joined to the caller's own cgroup in
// that hierarchy, and an empty one means the relative path "<id>", as runc does.
// Rejects ".." components and systemd "slice:prefix:name" syntax (no systemd driver yet).
std::string resolve_cgroups_path(const std::string& cgroups_path, const std::string& id,
                                 const std::string& own_path);

// A manager for a new container on this host's layout.
std::unique_ptr<Manager> make_manager(const Layout& layout, const std::string& cgroups_path,
                                      const std::string& id);

// A manager for an existing container, from the paths saved in state.json.
std::unique_ptr<Manager> load_manager(const std::map<std::string, std::string>& paths);
// The same with the layout already detected: `list` checks every container's freezer, and
// detecting the layout reads /proc/self/mountinfo.
std::unique_ptr<Manager> load_manager(const std::map<std::string, std::string>& paths,
                                      const Layout& layout);

}  // namespace hako::cgroups
