#pragma once
// One interface for every cgroup layout. A driver knows which directories the container owns
// in which hierarchies; resources (a later issue) are written through the same object.
#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cgroups/layout.hpp"
#include "sys/unique_fd.hpp"

namespace hako::cgroups {

class Manager {
public:
    virtual ~Manager() = default;

    // Creates the container's directory in every hierarchy (parents as needed). Throws naming
    // the directory; on failure nothing this call made remains.
    virtual void create() = 0;

    // An O_DIRECTORY fd of the container's cgroup2 directory, for clone3(CLONE_INTO_CGROUP);
    // invalid when the layout has no unified hierarchy. Valid after create().
    [[nodiscard]] virtual sys::UniqueFd open_unified_dir() const = 0;

    // Moves pid into the container's cgroup in every hierarchy (writes cgroup.procs).
    // skip_unified: the process was born there through CLONE_INTO_CGROUP.
    virtual void add_process(pid_t pid, bool skip_unified) = 0;

    // Every pid in the container's cgroups (union over hierarchies, sorted, unique).
    [[nodiscard]] virtual std::vector<pid_t> pids() const = 0;

    // Sends signal to every process in the cgroups.
    virtual void signal_all(int signal) = 0;

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

}  // namespace hako::cgroups
