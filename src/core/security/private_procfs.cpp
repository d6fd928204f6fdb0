#include "security/private_procfs.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <string>
#include <vector>

#include "sys/error.hpp"
#include "sys/syscalls.hpp"

namespace hako::security {
namespace {

constexpr std::uint64_t kResolveStrict =
    RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;

std::vector<std::string> components(std::string_view relative) {
    std::vector<std::string> parts;
    std::size_t begin = 0;
    while (begin <= relative.size()) {
        std::size_t end = relative.find('/', begin);
        if (end == std::string_view::npos) end = relative.size();
        if (end > begin) parts.emplace_back(relative.substr(begin, end - begin));
        begin = end + 1;
    }
    return parts;
}

int mount_id(int fd, std::uint64_t& id) {
    struct statx stx {};
    if (::statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0) return errno;
    if ((stx.stx_mask & STATX_MNT_ID) == 0) return ENOTSUP;
    id = stx.stx_mnt_id;
    return 0;
}

// The openat2 rules by hand: each component opened with O_NOFOLLOW from the previous one,
// never "." or "..", and each on the same mount as dir_fd. Returns an fd or -1 with errno.
int walk_beneath(int dir_fd, std::string_view relative, int flags) {
    const std::vector<std::string> parts = components(relative);
    if (parts.empty()) {
        errno = EINVAL;
        return -1;
    }
    std::uint64_t top_mount = 0;
    if (const int err = mount_id(dir_fd, top_mount); err != 0) {
        errno = err;
        return -1;
    }
    sys::UniqueFd current(::openat(dir_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!current) return -1;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (parts[i] == "." || parts[i] == "..") {
            errno = EXDEV;
            return -1;
        }
        const bool last = i + 1 == parts.size();
        sys::UniqueFd next(::openat(current.get(), parts[i].c_str(),
                                    (last ? flags : O_PATH | O_DIRECTORY) | O_NOFOLLOW |
                                        O_CLOEXEC));
        if (!next) return -1;
        std::uint64_t id = 0;
        if (const int err = mount_id(next.get(), id); err != 0) {
            errno = err;
            return -1;
        }
        if (id != top_mount) {
            errno = EXDEV;
            return -1;
        }
        current = std::move(next);
    }
    return current.release();
}

}  // namespace

void require_procfs(int fd, std::string_view what) {
    struct statfs sfs {};
    check_sys(::fstatfs(fd, &sfs), "statfs", what);
    if (sfs.f_type != PROC_SUPER_MAGIC)
        fail("{} is not on procfs (f_type {:#x}); refusing to use it", what,
             static_cast<unsigned long>(sfs.f_type));
}

sys::UniqueFd open_procfs_file(int dir_fd, std::string_view relative, int flags,
                               std::string_view what) {
    std::string path(relative);
    int fd = sys::openat2(dir_fd, path.c_str(), static_cast<std::uint64_t>(flags | O_CLOEXEC), 0,
                          kResolveStrict);
    if (fd < 0 && (errno == ENOSYS || errno == EPERM || errno == E2BIG))
        fd = walk_beneath(dir_fd, relative, flags);
    sys::UniqueFd file(check_sys(fd, "open", what));
    require_procfs(file.get(), what);
    return file;
}

PrivateProcfs PrivateProcfs::open() {
    sys::UniqueFd mount;
    const sys::UniqueFd context(::fsopen("proc", FSOPEN_CLOEXEC));
    if (context && ::fsconfig(context.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) == 0) {
        mount.reset(::fsmount(context.get(), FSMOUNT_CLOEXEC,
                              MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC));
    }
    if (!mount) {
        // A user namespace whose mount namespace shows no fully visible /proc cannot mount a
        // new instance; the one the init still sees before pivot_root is out of the
        // container's reach as well.
        mount.reset(check_sys(::open_tree(AT_FDCWD, "/proc", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC),
                              "open a private procfs (fsopen proc, then open_tree)", "/proc"));
    }
    require_procfs(mount.get(), "the private procfs");
    return PrivateProcfs(std::move(mount));
}

sys::UniqueFd PrivateProcfs::open_file(std::string_view relative, int flags) const {
    return open_procfs_file(root_.get(), relative, flags,
                            "/proc/" + std::string(relative) + " (private procfs)");
}

std::string PrivateProcfs::thread_self() const {
    std::string target(PATH_MAX, '\0');
    const ssize_t n = ::readlinkat(root_.get(), "thread-self", target.data(), target.size());
    if (n <= 0 || static_cast<std::size_t>(n) >= target.size())
        throw_sys_error("readlink", "/proc/thread-self (private procfs)", n == 0 ? ENOENT : errno);
    target.resize(static_cast<std::size_t>(n));
    return target;
}

}  // namespace hako::security
