#include "cgroups/v2_manager.hpp"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>

#include "cgroups/cgroup_fs.hpp"
#include "sys/error.hpp"

namespace hako::cgroups::detail {

void V2Manager::create() {
    created_.clear();
    created_ = make_dirs(dir_.hierarchy.mount_point, dir_.rel);
    enable_controllers();
}

void V2Manager::enable_controllers() const noexcept {
    // Every level from the root down to the parent must delegate a controller for the leaf to
    // have it. Lenient like runc: a level with processes of its own refuses domain controllers
    // (EBUSY), a threaded one some others (EOPNOTSUPP); the container then runs without them.
    std::string level = dir_.hierarchy.mount_point;
    const std::string& rel = dir_.rel;
    std::size_t leaf = rel.find_last_of('/');
    std::size_t pos = 0;
    for (;;) {
        try {
            std::vector<std::string> enabled =
                split_words(read_file(level + "/cgroup.subtree_control"));
            for (const std::string& controller :
                 split_words(read_file(level + "/cgroup.controllers"))) {
                if (std::find(enabled.begin(), enabled.end(), controller) != enabled.end()) {
                    continue;
                }
                // One controller per write, so one refusal does not block the others.
                (void)try_write_file(level + "/cgroup.subtree_control", "+" + controller);
            }
        } catch (const Error&) {
            // Unreadable lists: nothing to enable at this level.
        }
        std::size_t start = rel.find_first_not_of('/', pos);
        if (start == std::string::npos || start > leaf) break;
        std::size_t end = rel.find('/', start);
        level += '/';
        level.append(rel, start, end - start);
        pos = end;
    }
}

void V2Manager::undo_create() noexcept {
    undo_make_dirs(created_);
    created_.clear();
}

sys::UniqueFd V2Manager::open_unified_dir() const {
    std::string dir = dir_.dir();
    sys::UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) throw_sys_error("open", dir);
    return fd;
}

void V2Manager::add_process(pid_t pid, Joined joined) {
    if (joined.unified) return;
    write_file(dir_.dir() + "/cgroup.procs", std::to_string(pid));
}

std::map<std::string, std::string> V2Manager::paths() const {
    return {{dir_.hierarchy.mount_point, dir_.dir()}};
}

void V2Manager::prepare_kill() {
    // cgroup.kill (Linux 5.14) SIGKILLs the whole subtree at once, forks included.
    std::string kill_file = dir_.dir() + "/cgroup.kill";
    if (int err = try_write_file(kill_file, "1"); err != 0 && err != ENOENT) {
        throw_sys_error("write", kill_file, err);
    }
}

ResourceTargets V2Manager::resource_targets() const {
    ResourceTargets targets;
    targets.unified_dir = dir_.dir();
    targets.unified_only = true;
    try {
        // What the parent delegated: the controllers whose files the directory has.
        for (std::string& controller : split_words(read_file(dir_.dir() + "/cgroup.controllers"))) {
            targets.unified_controllers.insert(std::move(controller));
        }
    } catch (const Error&) {
        // Unreadable: no controller can be written, and apply() says which one was needed.
    }
    return targets;
}

}  // namespace hako::cgroups::detail
