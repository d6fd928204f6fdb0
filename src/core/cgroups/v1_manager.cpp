#include "cgroups/v1_manager.hpp"

#include <algorithm>
#include <cerrno>

#include "cgroups/cgroup_fs.hpp"
#include "sys/error.hpp"

namespace hako::cgroups::detail {

namespace {

bool has_controller(const Hierarchy& hierarchy, std::string_view controller) {
    const auto& list = hierarchy.controllers;
    return std::find(list.begin(), list.end(), controller) != list.end();
}

std::string trim(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
}

// A new v1 cpuset starts with empty cpuset.cpus and cpuset.mems, and the kernel refuses tasks
// into it (ENOSPC): fill every empty level below the root from its parent, top down, as runc.
void fill_cpuset(const HierarchyDir& entry) {
    std::string parent = entry.hierarchy.mount_point;
    std::string level = parent;
    std::size_t pos = 0;
    const std::string& rel = entry.rel;
    while (pos < rel.size()) {
        std::size_t start = rel.find_first_not_of('/', pos);
        if (start == std::string::npos) break;
        std::size_t end = rel.find('/', start);
        if (end == std::string::npos) end = rel.size();
        level += '/';
        level.append(rel, start, end - start);
        pos = end;
        for (const char* file : {"/cpuset.cpus", "/cpuset.mems"}) {
            if (!trim(read_file(level + file)).empty()) continue;
            write_file(level + file, trim(read_file(parent + file)));
        }
        parent = level;
    }
}

}  // namespace

void V1Manager::create() {
    created_.clear();
    try {
        for (const HierarchyDir& entry : dirs_) {
            std::vector<std::string> made = make_dirs(entry.hierarchy.mount_point, entry.rel);
            created_.insert(created_.end(), made.begin(), made.end());
            if (has_controller(entry.hierarchy, "cpuset")) fill_cpuset(entry);
        }
    } catch (...) {
        undo_create();
        throw;
    }
}

void V1Manager::undo_create() noexcept {
    // created_ holds each hierarchy's levels outermost first, so reversed is innermost first.
    undo_make_dirs(created_);
    created_.clear();
}

void V1Manager::add_process(pid_t pid, Joined joined) {
    if (joined.v1) return;
    std::string text = std::to_string(pid);
    for (const HierarchyDir& entry : dirs_) write_file(entry.dir() + "/cgroup.procs", text);
}

std::map<std::string, std::string> V1Manager::paths() const {
    std::map<std::string, std::string> result;
    for (const HierarchyDir& entry : dirs_) result[entry.hierarchy.mount_point] = entry.dir();
    return result;
}

std::vector<std::string> V1Manager::dirs() const {
    std::vector<std::string> result;
    for (const HierarchyDir& entry : dirs_) result.push_back(entry.dir());
    return result;
}

const HierarchyDir* V1Manager::find(std::string_view controller) const {
    for (const HierarchyDir& entry : dirs_) {
        if (has_controller(entry.hierarchy, controller)) return &entry;
    }
    return nullptr;
}

void V1Manager::freeze(bool frozen) {
    const HierarchyDir* freezer = find("freezer");
    if (freezer == nullptr) {
        if (frozen) fail("cannot freeze: no v1 freezer hierarchy is mounted");
        return;
    }
    set_v1_freezer(freezer->dir(), frozen);
}

FreezerState V1Manager::freezer_state() const {
    const HierarchyDir* freezer = find("freezer");
    return freezer == nullptr ? FreezerState::undefined : v1_freezer_state(freezer->dir());
}

Stats V1Manager::stats() const {
    auto dir_of = [this](std::string_view controller) {
        const HierarchyDir* entry = find(controller);
        return entry == nullptr ? std::string() : entry->dir();
    };
    V1StatsDirs dirs{dir_of("cpu"),    dir_of("cpuacct"), dir_of("cpuset"), dir_of("memory"),
                     dir_of("pids"),   dir_of("blkio"),   dir_of("hugetlb")};
    return read_v1_stats(dirs, hugepage_sizes());
}

std::unique_ptr<OomNotifier> V1Manager::oom_notifier() const {
    const HierarchyDir* memory = find("memory");
    return memory == nullptr ? nullptr : make_v1_oom_notifier(memory->dir());
}

void V1Manager::prepare_kill() {
    // Frozen v1 tasks do not act on SIGKILL until thawed.
    for (const HierarchyDir& entry : dirs_) {
        if (!has_controller(entry.hierarchy, "freezer")) continue;
        std::string state = entry.dir() + "/freezer.state";
        if (int err = try_write_file(state, "THAWED"); err != 0 && err != ENOENT) {
            throw_sys_error("write", state, err);
        }
    }
}

ResourceTargets V1Manager::resource_targets() const {
    ResourceTargets targets;
    for (const HierarchyDir& entry : dirs_) {
        for (const std::string& controller : entry.hierarchy.controllers) {
            if (controller.find('=') == std::string::npos) targets.v1.emplace(controller, entry.dir());
        }
    }
    return targets;
}

}  // namespace hako::cgroups::detail
