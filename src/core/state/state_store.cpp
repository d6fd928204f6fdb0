#include "state/state_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <memory>
#include <utility>

#include "cgroups/manager.hpp"
#include "state/container_id.hpp"
#include "state/proc_stat.hpp"
#include "sys/file_io.hpp"
#include "sys/error.hpp"

namespace hako::state {
namespace {

constexpr const char* kStateFile = "state.json";
constexpr const char* kStateTempFile = ".state.json.tmp";
constexpr const char* kExecSocket = "exec.sock";
// How often open() retries when the directory it locked was replaced meanwhile (deleted and
// re-created under the same id). Each round needs a full delete+create to race it.
constexpr int kMaxOpenAttempts = 16;

struct DirCloser {
    void operator()(DIR* dir) const noexcept { ::closedir(dir); }
};
using DirHandle = std::unique_ptr<DIR, DirCloser>;

std::string strip_trailing_slashes(std::string path) {
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    return path;
}

// mkdir -p: only the last component gets 0700; parents that are missing get the usual 0755.
void make_dirs(const std::string& path) {
    if (::mkdir(path.c_str(), 0700) == 0 || errno == EEXIST) return;
    if (errno != ENOENT) throw_sys_error("mkdir", path);
    std::string::size_type slash = 0;
    while ((slash = path.find('/', slash + 1)) != std::string::npos) {
        const std::string parent = path.substr(0, slash);
        if (::mkdir(parent.c_str(), 0755) < 0 && errno != EEXIST) throw_sys_error("mkdir", parent);
    }
    if (::mkdir(path.c_str(), 0700) < 0 && errno != EEXIST) throw_sys_error("mkdir", path);
}

sys::UniqueFd open_dir(const std::string& path) {
    return sys::UniqueFd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
}

void lock_exclusive(int fd, const std::string& path) {
    while (::flock(fd, LOCK_EX) < 0) {
        if (errno != EINTR) throw_sys_error("flock", path);
    }
}

// Names in the directory behind fd, without "." and "..". Read completely before anything is
// removed so unlinking cannot disturb the iteration.
// Every entry but "." and "..", with its d_type (DT_UNKNOWN where the filesystem gives none).
std::vector<std::pair<std::string, unsigned char>> typed_entries_of(int dir_fd,
                                                                    const std::string& path) {
    sys::UniqueFd own(::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!own) throw_sys_error("open", path);
    DirHandle dir(::fdopendir(own.get()));
    if (!dir) throw_sys_error("fdopendir", path);
    (void)own.release();  // closedir owns it now
    std::vector<std::pair<std::string, unsigned char>> entries;
    errno = 0;
    while (const dirent* entry = ::readdir(dir.get())) {
        const std::string_view name(entry->d_name);
        if (name != "." && name != "..") entries.emplace_back(name, entry->d_type);
        errno = 0;
    }
    if (errno != 0) throw_sys_error("readdir", path);
    return entries;
}

std::vector<std::string> entries_of(int dir_fd, const std::string& path) {
    std::vector<std::string> names;
    for (auto& [name, type] : typed_entries_of(dir_fd, path)) names.push_back(std::move(name));
    return names;
}

void remove_tree_at(int parent_fd, const std::string& name, const std::string& path);

void clear_dir(int dir_fd, const std::string& path) {
    for (const auto& name : entries_of(dir_fd, path)) {
        const std::string entry_path = path + "/" + name;
        if (::unlinkat(dir_fd, name.c_str(), 0) == 0 || errno == ENOENT) continue;
        // Linux answers EISDIR for unlink on a directory.
        if (errno != EISDIR && errno != EPERM) throw_sys_error("unlink", entry_path);
        remove_tree_at(dir_fd, name, entry_path);
    }
}

void remove_tree_at(int parent_fd, const std::string& name, const std::string& path) {
    const sys::UniqueFd fd(
        ::openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT) return;
        throw_sys_error("open", path);
    }
    clear_dir(fd.get(), path);
    if (::unlinkat(parent_fd, name.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT) {
        throw_sys_error("rmdir", path);
    }
}

// runc's phrase (engines match "does not exist"); ENOENT lets `delete --force` ignore it.
[[noreturn]] void fail_missing(const std::string& id) {
    throw Error(fmt::format("container {} does not exist", id), ENOENT);
}

}  // namespace

StateStore::StateStore(std::string root) : root_(strip_trailing_slashes(std::move(root))) {}

ContainerDir StateStore::create(const std::string& id) {
    validate_container_id(id);
    make_dirs(root_);
    const std::string path = root_ + "/" + id;
    if (::mkdir(path.c_str(), 0700) < 0) {
        if (errno == EEXIST) fail("container with id {} already exists", id);
        throw_sys_error("mkdir", path);
    }
    sys::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) throw_sys_error("open", path);
    lock_exclusive(fd.get(), path);
    return ContainerDir(id, path, std::move(fd));
}

ContainerDir StateStore::open(const std::string& id) {
    validate_container_id(id);
    const sys::UniqueFd root_fd = open_dir(root_);
    if (!root_fd) {
        if (errno == ENOENT) fail_missing(id);
        throw_sys_error("open", root_);
    }
    const std::string path = root_ + "/" + id;
    for (int attempt = 0; attempt < kMaxOpenAttempts; ++attempt) {
        sys::UniqueFd fd(
            ::openat(root_fd.get(), id.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!fd) {
            // ENOTDIR/ELOOP: something else squats on the name; it is not a container.
            if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) fail_missing(id);
            throw_sys_error("open", path);
        }
        lock_exclusive(fd.get(), path);
        // Whoever held the lock before us may have deleted the container: the directory we
        // locked must still be the one under that name.
        struct stat locked {};
        check_sys(::fstat(fd.get(), &locked), "stat", path);
        struct stat current {};
        if (::fstatat(root_fd.get(), id.c_str(), &current, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno == ENOENT) fail_missing(id);
            throw_sys_error("stat", path);
        }
        if (locked.st_nlink != 0 && current.st_dev == locked.st_dev &&
            current.st_ino == locked.st_ino) {
            return ContainerDir(id, path, std::move(fd));
        }
        // Deleted and re-created under the same id while we waited: the id names the new
        // container now, so lock that one instead.
    }
    fail("container {}: directory {} keeps being replaced", id, path);
}

ContainerDir StateStore::open_for_reading(const std::string& id) {
    validate_container_id(id);
    const std::string path = root_ + "/" + id;
    sys::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) fail_missing(id);
        throw_sys_error("open", path);
    }
    return ContainerDir(id, path, std::move(fd));
}

std::vector<std::string> StateStore::list_ids() const {
    const sys::UniqueFd root_fd = open_dir(root_);
    if (!root_fd) {
        if (errno == ENOENT) return {};
        throw_sys_error("open", root_);
    }
    std::vector<std::string> ids;
    for (auto& [name, type] : typed_entries_of(root_fd.get(), root_)) {
        if (name.starts_with('.')) continue;
        // The entry's type from readdir spares a stat per container (list of a thousand).
        if (type == DT_DIR) {
            ids.push_back(std::move(name));
            continue;
        }
        if (type != DT_UNKNOWN) continue;
        struct stat st {};
        if (::fstatat(root_fd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno == ENOENT) continue;  // deleted while listing
            throw_sys_error("stat", root_ + "/" + name);
        }
        if (S_ISDIR(st.st_mode)) ids.push_back(std::move(name));
    }
    std::sort(ids.begin(), ids.end());
    return ids;
}

ContainerDir::ContainerDir(std::string id, std::string path, sys::UniqueFd dir_fd)
    : id_(std::move(id)), path_(std::move(path)), dir_fd_(std::move(dir_fd)) {}

void ContainerDir::save(const ContainerState& state) const {
    stage(state);
    commit_staged();
}

void ContainerDir::stage(const ContainerState& state) const {
    const std::string text = to_json(state);
    const std::string temp_path = path_ + "/" + kStateTempFile;
    sys::UniqueFd fd(::openat(dir_fd_.get(), kStateTempFile,
                              O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) throw_sys_error("open", temp_path);
    if (!sys::write_all(fd.get(), text)) throw_sys_error("write", temp_path);
    // No fsync: the store lives on tmpfs (/run), where it buys nothing but latency.
    check_sys(::close(fd.release()), "close", temp_path);
}

void ContainerDir::commit_staged() const {
    check_sys(::renameat(dir_fd_.get(), kStateTempFile, dir_fd_.get(), kStateFile), "rename",
              path_ + "/" + kStateTempFile);
}

std::optional<ContainerState> ContainerDir::try_load() const { return try_load_with(from_json); }

std::optional<ContainerState> ContainerDir::try_load_for_listing() const {
    return try_load_with(from_json_for_listing);
}

std::optional<ContainerState> ContainerDir::try_load_with(
    ContainerState (*parse)(const std::string&)) const {
    const std::string file_path = path_ + "/" + kStateFile;
    const sys::UniqueFd fd(::openat(dir_fd_.get(), kStateFile, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT) return std::nullopt;
        throw_sys_error("open", file_path);
    }
    const std::string text = sys::read_regular_file(fd.get(), file_path);
    try {
        return parse(text);
    } catch (const Error& e) {
        fail("{}: invalid: {}", file_path, e.what());
    }
}

ContainerState ContainerDir::load() const {
    auto state = try_load();
    if (!state) fail("container {}: state.json missing", id_);
    return std::move(*state);
}

Status ContainerDir::current_status(const ContainerState& state,
                                    const cgroups::Layout* layout) const {
    // No pid yet: only a create still in progress may legitimately say so.
    if (state.pid == 0) return state.status == Status::creating ? Status::creating : Status::stopped;
    if (!process_alive(state.pid, state.init_start_time)) return Status::stopped;
    // The freezer decides, as runc: a container thawed behind hako's back is running again,
    // and one frozen by someone else is paused. Only without cgroups does the file decide.
    const bool frozen =
        state.cgroup_paths.empty()
            ? state.status == Status::paused
            : (layout != nullptr && state.cgroup_hierarchies.empty()
                   ? cgroups::load_manager(state.cgroup_paths, *layout)
                   : cgroup_manager(state))
                      ->freezer_state() == cgroups::FreezerState::frozen;
    if (frozen) return Status::paused;
    struct stat st {};
    if (::fstatat(dir_fd_.get(), kExecSocket, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        return Status::created;
    }
    if (errno != ENOENT) throw_sys_error("stat", exec_socket_path());
    if (state.status == Status::creating) return Status::creating;
    return Status::running;
}

void ContainerDir::unlock() { check_sys(::flock(dir_fd_.get(), LOCK_UN), "unlock", path_); }

bool ContainerDir::relock() {
    lock_exclusive(dir_fd_.get(), path_);
    struct stat st {};
    check_sys(::fstat(dir_fd_.get(), &st), "stat", path_);
    return st.st_nlink != 0;
}

void ContainerDir::remove() {
    // Emptied through our own fd: that is the directory we hold the lock on, whatever the
    // name points at.
    clear_dir(dir_fd_.get(), path_);
    const auto slash = path_.rfind('/');
    const std::string parent =
        slash == std::string::npos ? "." : (slash == 0 ? "/" : path_.substr(0, slash));
    const std::string name = slash == std::string::npos ? path_ : path_.substr(slash + 1);
    const sys::UniqueFd parent_fd = open_dir(parent);
    if (!parent_fd) {
        if (errno == ENOENT) return;
        throw_sys_error("open", parent);
    }
    if (::unlinkat(parent_fd.get(), name.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT) {
        throw_sys_error("rmdir", path_);
    }
}

cgroups::Layout cgroup_layout(const ContainerState& state) {
    if (state.cgroup_hierarchies.empty()) return cgroups::detect_layout();
    return cgroups::layout_of(state.cgroup_hierarchies);
}

std::unique_ptr<cgroups::Manager> cgroup_manager(const ContainerState& state) {
    return cgroups::load_manager(state.cgroup_paths, cgroup_layout(state));
}

}  // namespace hako::state
