#include "fs/copy_up.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string_view>
#include <vector>

#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace hako::fs {
namespace {

constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
constexpr mode_t kPermissionBits = 07777;

sys::UniqueFd open_directory(int parent_fd, const char* name, const std::string& what) {
    return sys::UniqueFd(check_sys(::openat(parent_fd, name, kDirFlags), "open", what));
}

struct DirCloser {
    void operator()(DIR* dir) const noexcept { ::closedir(dir); }
};

std::vector<std::string> entry_names(int dir_fd, const std::string& what) {
    // fdopendir owns the fd it is given, so it gets its own open file description.
    sys::UniqueFd own = open_directory(dir_fd, ".", what);
    const std::unique_ptr<DIR, DirCloser> dir(::fdopendir(own.get()));
    if (!dir) throw_sys_error("read directory", what);
    static_cast<void>(own.release());
    std::vector<std::string> names;
    errno = 0;
    while (const dirent* entry = ::readdir(dir.get())) {
        const std::string_view name(entry->d_name);
        if (name != "." && name != "..") names.emplace_back(name);
    }
    if (errno != 0) throw_sys_error("read directory", what);
    return names;
}

// Owner first: chown clears the set-user-ID and set-group-ID bits the mode may then restore.
void set_owner_and_mode(int fd, const struct stat& st, const std::string& what) {
    check_sys(::fchown(fd, st.st_uid, st.st_gid), "chown", what);
    check_sys(::fchmod(fd, st.st_mode & kPermissionBits), "chmod", what);
}

void require_same_file(int fd, const struct stat& expected, const std::string& what) {
    struct stat st {};
    check_sys(::fstat(fd, &st), "stat", what);
    if (st.st_dev != expected.st_dev || st.st_ino != expected.st_ino)
        fail("{} changed while it was being copied", what);
}

void copy_regular_file(int from_dir, int to_dir, const std::string& name, const struct stat& st,
                       const std::string& what) {
    const sys::UniqueFd from(check_sys(
        ::openat(from_dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC), "open",
        what));
    require_same_file(from.get(), st, what);
    const sys::UniqueFd to(
        check_sys(::openat(to_dir, name.c_str(),
                           O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600),
                  "create", what));
    for (;;) {
        const ssize_t copied = ::sendfile(to.get(), from.get(), nullptr, std::size_t{1} << 30);
        if (copied < 0) throw_sys_error("copy", what);
        if (copied == 0) break;
    }
    set_owner_and_mode(to.get(), st, what);
}

void copy_symlink(int from_dir, int to_dir, const std::string& name, const struct stat& st,
                  const std::string& what) {
    std::string target(PATH_MAX, '\0');
    const ssize_t length = ::readlinkat(from_dir, name.c_str(), target.data(), target.size());
    if (length < 0) throw_sys_error("readlink", what);
    if (static_cast<std::size_t>(length) >= target.size()) throw_sys_error("readlink", what, ENAMETOOLONG);
    target.resize(static_cast<std::size_t>(length));
    check_sys(::symlinkat(target.c_str(), to_dir, name.c_str()), "symlink", what);
    check_sys(::fchownat(to_dir, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW),
              "chown", what);
}

// Device nodes and FIFOs are never opened (that could block or touch a device); the copy is
// made in a tmpfs nothing else can reach yet, so the names are safe to use.
void copy_node(int to_dir, const std::string& name, const struct stat& st,
               const std::string& what) {
    check_sys(::mknodat(to_dir, name.c_str(), st.st_mode & (S_IFMT | kPermissionBits),
                        st.st_rdev),
              "mknod", what);
    check_sys(::fchownat(to_dir, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW),
              "chown", what);
    check_sys(::fchmodat(to_dir, name.c_str(), st.st_mode & kPermissionBits, 0), "chmod", what);
}

void copy_entries(int from_dir, int to_dir, const std::string& what) {
    for (const std::string& name : entry_names(from_dir, what)) {
        const std::string path = what + "/" + name;
        struct stat st {};
        check_sys(::fstatat(from_dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW), "stat", path);
        switch (st.st_mode & S_IFMT) {
            case S_IFDIR: {
                check_sys(::mkdirat(to_dir, name.c_str(), 0700), "mkdir", path);
                const sys::UniqueFd from = open_directory(from_dir, name.c_str(), path);
                require_same_file(from.get(), st, path);
                const sys::UniqueFd to = open_directory(to_dir, name.c_str(), path);
                copy_entries(from.get(), to.get(), path);
                set_owner_and_mode(to.get(), st, path);  // last: the mode may forbid writes
                break;
            }
            case S_IFREG:
                copy_regular_file(from_dir, to_dir, name, st, path);
                break;
            case S_IFLNK:
                copy_symlink(from_dir, to_dir, name, st, path);
                break;
            case S_IFCHR:
            case S_IFBLK:
            case S_IFIFO:
                copy_node(to_dir, name, st, path);
                break;
            default:  // a socket means something only to the process that bound it
                break;
        }
    }
}

}  // namespace

void copy_directory_contents(int source_dir_fd, int dest_dir_fd, const std::string& what) {
    const sys::UniqueFd from = open_directory(source_dir_fd, ".", what);
    const sys::UniqueFd to = open_directory(dest_dir_fd, ".", what);
    struct stat st {};
    check_sys(::fstat(from.get(), &st), "stat", what);
    copy_entries(from.get(), to.get(), what);
    // runc chmods the tmpfs root to the covered directory's mode but keeps root's ownership.
    check_sys(::fchmod(to.get(), st.st_mode & kPermissionBits), "chmod", what);
}

}  // namespace hako::fs
