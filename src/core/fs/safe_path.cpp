#include "fs/safe_path.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sys/error.hpp"
#include "sys/syscalls.hpp"

namespace hako::fs {
namespace {

// The kernel's MAXSYMLINKS, so that both resolvers give up on the same paths.
constexpr int kMaxSymlinks = 40;
// How often a step that lost a race (openat2's EAGAIN, a directory deleted between mkdirat
// and opening it) is retried before giving up, so a hostile container cannot make us spin.
constexpr int kMaxRetries = 16;

// What the walk does about a missing component.
enum class Create { nothing, directories, file };

// An fd or the errno that prevented it. Resolution reports failures by value so that each
// public function words its own one-line message.
struct Opened {
    sys::UniqueFd fd;
    int err = 0;
};

Opened failed(int err) { return Opened{sys::UniqueFd(), err}; }
Opened opened(int fd) { return fd < 0 ? failed(errno) : Opened{sys::UniqueFd(fd), 0}; }

// The components of path in order, empty ones dropped. A trailing slash becomes a final "."
// so that the last named component must be a directory and is followed even under
// O_NOFOLLOW, as the kernel does.
std::vector<std::string> split(std::string_view path) {
    std::vector<std::string> parts;
    std::size_t begin = 0;
    while (begin < path.size()) {
        std::size_t end = path.find('/', begin);
        if (end == std::string_view::npos) end = path.size();
        if (end > begin) parts.emplace_back(path.substr(begin, end - begin));
        begin = end + 1;
    }
    if (!parts.empty() && path.back() == '/') parts.emplace_back(".");
    return parts;
}

// The whole resolution done by the kernel; nullopt when openat2 cannot be used here (old
// kernel, or a seccomp filter that answers ENOSYS/EPERM/E2BIG) and the walk must do it.
std::optional<Opened> kernel_open(int root_fd, std::string_view path, int flags) {
    const std::size_t start = path.find_first_not_of('/');
    const std::string relative =
        start == std::string_view::npos ? std::string(".") : std::string(path.substr(start));
    for (int attempt = 0; attempt < kMaxRetries; ++attempt) {
        const int fd = sys::openat2(root_fd, relative.c_str(),
                                    static_cast<std::uint64_t>(flags | O_CLOEXEC), 0,
                                    RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
        if (fd >= 0) return Opened{sys::UniqueFd(fd), 0};
        // EAGAIN: a rename or mount raced with ".." resolution; the kernel asks us to retry.
        if (errno == EAGAIN) continue;
        if (errno == ENOSYS || errno == EPERM || errno == E2BIG) return std::nullopt;
        return failed(errno);
    }
    return std::nullopt;
}

// Reads the target of the symlink that the O_PATH|O_NOFOLLOW fd link_fd refers to: through
// the fd, so the link read is the one that was checked. Returns 0 or an errno.
int read_link(int link_fd, std::string& target) {
    target.assign(PATH_MAX, '\0');
    const ssize_t n = ::readlinkat(link_fd, "", target.data(), target.size());
    if (n < 0) return errno;
    if (static_cast<std::size_t>(n) >= target.size()) return ENAMETOOLONG;
    target.resize(static_cast<std::size_t>(n));
    // An empty target names nothing, as in the kernel's lookup.
    return target.empty() ? ENOENT : 0;
}

// Creates the missing component name in dir_fd: a directory, or for the last component of
// create_file_in_root an empty file. EEXIST means someone else made it first, which is fine:
// the caller opens whatever is there now.
int create_component(int dir_fd, const std::string& name, bool as_file, mode_t dir_mode) {
    if (as_file) {
        // O_EXCL|O_NOFOLLOW: never open (and never truncate or block on) something that
        // appeared in the meantime, a symlink, FIFO or device included.
        const sys::UniqueFd file(::openat(dir_fd, name.c_str(),
                                          O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
                                          0644));
        if (!file && errno != EEXIST) return errno;
        return 0;
    }
    if (::mkdirat(dir_fd, name.c_str(), dir_mode) < 0 && errno != EEXIST) return errno;
    return 0;
}

// The component-by-component resolution. Each directory on the way is held as an O_PATH fd
// and each component is opened from it with O_NOFOLLOW, so no path string is ever resolved
// by the kernel beyond one name. Symlinks are read and their targets resolved again from the
// root (absolute) or the current directory (relative); ".." pops the stack of directories
// and never leaves the root. Magic links (/proc/self/fd/N...) are only text here, resolved
// again inside the root, so they cannot jump out either. flags apply to the last component.
Opened walk(int root_fd, std::string_view path, int flags, Create create, mode_t dir_mode) {
    std::vector<sys::UniqueFd> dirs;
    {
        Opened root = opened(::openat(root_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (root.err != 0) return root;
        dirs.push_back(std::move(root.fd));
    }
    // Components still to resolve, the next one at the back, so that a symlink's target can
    // be put in front of what remains.
    std::vector<std::string> pending = split(path);
    std::reverse(pending.begin(), pending.end());
    int symlinks = 0;
    int retries = 0;
    std::string target;

    while (!pending.empty()) {
        const std::string name = std::move(pending.back());
        pending.pop_back();
        const bool last = pending.empty();
        if (name == ".") continue;
        if (name == "..") {
            if (dirs.size() > 1) dirs.pop_back();
            continue;
        }
        const int dir_fd = dirs.back().get();
        Opened probe = opened(::openat(dir_fd, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
        if (probe.err == ENOENT && create != Create::nothing) {
            if (++retries > kMaxRetries) return failed(ENOENT);
            const int err = create_component(dir_fd, name, last && create == Create::file, dir_mode);
            if (err != 0) return failed(err);
            pending.push_back(name);  // resolve what exists now, which may not be ours
            continue;
        }
        if (probe.err == ENOENT && last && (flags & O_CREAT) != 0) {
            return opened(::openat(dir_fd, name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, 0));
        }
        if (probe.err != 0) return probe;
        retries = 0;

        struct stat st {};
        if (::fstatat(probe.fd.get(), "", &st, AT_EMPTY_PATH) < 0) return failed(errno);
        if (S_ISLNK(st.st_mode)) {
            if (last && (flags & O_NOFOLLOW) != 0) {
                // openat2's answer for a final symlink under O_NOFOLLOW.
                return (flags & O_PATH) != 0 ? std::move(probe) : failed(ELOOP);
            }
            if (++symlinks > kMaxSymlinks) return failed(ELOOP);
            if (const int err = read_link(probe.fd.get(), target); err != 0) return failed(err);
            if (target.front() == '/') dirs.resize(1);
            const std::vector<std::string> parts = split(target);
            pending.insert(pending.end(), parts.rbegin(), parts.rend());
            continue;
        }
        if (last) {
            // Reopen by name with the caller's flags; O_NOFOLLOW makes a symlink swapped in
            // since the check fail (ELOOP) instead of being followed.
            return opened(::openat(dir_fd, name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC));
        }
        if (!S_ISDIR(st.st_mode)) return failed(ENOTDIR);
        dirs.push_back(std::move(probe.fd));
    }
    // The path ended on a directory reached through ".", "..", a trailing slash, a symlink
    // to a directory or nothing at all.
    return opened(::openat(dirs.back().get(), ".", flags | O_CLOEXEC));
}

// A missing last directory (the usual mount point: /dev/pts, /sys/fs/cgroup/cpu) made in
// its parent, which the kernel resolves in the root: 4 calls where the walk takes one open
// and one stat per component. nullopt when the parent is missing too, the name is taken (or
// is "." or ".."), for the walk to do.
std::optional<Opened> make_last_directory(int root_fd, std::string_view path, int flags,
                                          mode_t dir_mode) {
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    const std::size_t slash = path.rfind('/');
    const std::string name(slash == std::string_view::npos ? path : path.substr(slash + 1));
    if (name.empty() || name == "." || name == "..") return std::nullopt;
    std::optional<Opened> parent = kernel_open(
        root_fd, slash == std::string_view::npos ? std::string_view() : path.substr(0, slash),
        O_PATH | O_DIRECTORY);
    if (!parent || parent->err != 0) return std::nullopt;
    // Anything already there (a dangling symlink, to be followed inside the root) and any
    // error are the walk's to handle and word.
    if (::mkdirat(parent->fd.get(), name.c_str(), dir_mode) != 0) return std::nullopt;
    // O_NOFOLLOW|O_DIRECTORY: whatever took the name meanwhile must be a directory.
    return opened(::openat(parent->fd.get(), name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC));
}

Opened resolve(int root_fd, std::string_view path, int flags, Create create, mode_t dir_mode,
               Resolver resolver) {
    if (resolver == Resolver::automatic) {
        std::optional<Opened> fast = kernel_open(root_fd, path, flags);
        // A missing component is only final for plain opens; creating needs more.
        if (fast && !(fast->err == ENOENT && create != Create::nothing)) return std::move(*fast);
        if (fast && create == Create::directories && (flags & O_DIRECTORY) != 0)
            if (std::optional<Opened> made = make_last_directory(root_fd, path, flags, dir_mode))
                return std::move(*made);
    }
    return walk(root_fd, path, flags, create, dir_mode);
}

sys::UniqueFd take(Opened result, std::string_view step, std::string_view path) {
    if (result.err != 0) throw_sys_error(step, clean_path(path) + " in rootfs", result.err);
    return std::move(result.fd);
}

}  // namespace

sys::UniqueFd open_in_root(int root_fd, std::string_view path, int flags, Resolver resolver) {
    return take(resolve(root_fd, path, flags, Create::nothing, 0, resolver), "open", path);
}

sys::UniqueFd open_in_root_if_exists(int root_fd, std::string_view path, int flags,
                                     Resolver resolver) {
    Opened result = resolve(root_fd, path, flags, Create::nothing, 0, resolver);
    if (result.err == ENOENT) return {};
    return take(std::move(result), "open", path);
}

sys::UniqueFd mkdir_all_in_root(int root_fd, std::string_view path, mode_t mode,
                                Resolver resolver) {
    return take(resolve(root_fd, path, O_PATH | O_DIRECTORY, Create::directories, mode, resolver),
                "mkdir", path);
}

sys::UniqueFd create_file_in_root(int root_fd, std::string_view path, Resolver resolver) {
    return take(resolve(root_fd, path, O_PATH, Create::file, 0755, resolver), "create", path);
}

std::string clean_path(std::string_view path) {
    std::vector<std::string> kept;
    for (std::string& part : split(path)) {
        if (part == ".") continue;
        if (part == "..") {
            if (!kept.empty()) kept.pop_back();
            continue;
        }
        kept.push_back(std::move(part));
    }
    if (kept.empty()) return "/";
    std::string clean;
    for (const std::string& part : kept) {
        clean += '/';
        clean += part;
    }
    return clean;
}

}  // namespace hako::fs
