#pragma once
// Resolution of paths inside a container's rootfs, as fds. A path is always resolved relative
// to an fd of the rootfs with every symlink (absolute or relative, and "..") kept inside it:
// openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) where the kernel has it, else a
// component-by-component walk that re-roots symlinks by hand. Nothing here ever follows a path
// string out of the root, so a container cannot redirect hako's mounts or writes to the host.
#include <sys/types.h>

#include <string>
#include <string_view>

#include "sys/unique_fd.hpp"

namespace hako::fs {

// How a path is resolved. automatic: openat2(RESOLVE_IN_ROOT) when the kernel (and any seccomp
// filter around hako) allows it, else the walk. fallback_walk: always the component-by-component
// walk, so tests can exercise it on kernels that have openat2.
enum class Resolver { automatic, fallback_walk };

// Opens path (absolute or relative, taken as relative to root_fd) inside root_fd.
// flags are open(2) flags (O_PATH, O_DIRECTORY, O_NOFOLLOW for the last component...);
// O_CLOEXEC is always added. As with openat2, O_NOFOLLOW on a final symlink gives the
// symlink itself with O_PATH and ELOOP otherwise. Throws "open <clean path> in rootfs: strerror".
sys::UniqueFd open_in_root(int root_fd, std::string_view path, int flags,
                           Resolver resolver = Resolver::automatic);

// Like open_in_root, but a path that does not exist (ENOENT) gives an invalid fd instead of an
// error, for optional paths such as linux.maskedPaths, whose absence is expected rather than
// exceptional.
sys::UniqueFd open_in_root_if_exists(int root_fd, std::string_view path, int flags,
                                     Resolver resolver = Resolver::automatic);

// Like open_in_root, but creates every missing directory (mode 0755) on the way and returns
// an O_PATH|O_DIRECTORY fd of the last one. Symlinks met on the way are followed inside the
// root, so a dangling one makes its target be created there. Existing non-directories fail
// with ENOTDIR. Throws "mkdir <clean path> in rootfs: strerror".
sys::UniqueFd mkdir_all_in_root(int root_fd, std::string_view path, mode_t mode = 0755,
                                Resolver resolver = Resolver::automatic);

// Ensures a regular file exists at path (creating parent directories and an empty file,
// mode 0644, O_NOFOLLOW) and returns an O_PATH fd of it; used for bind-mounting a file.
// Whatever already exists there (after following symlinks inside the root) is returned as is,
// directories included. Throws "create <clean path> in rootfs: strerror".
sys::UniqueFd create_file_in_root(int root_fd, std::string_view path,
                                  Resolver resolver = Resolver::automatic);

// The canonical form of a path inside the root: "/" + components with ".", ".." and
// repeated slashes folded lexically (".." never climbs above "/"). Used for messages and
// comparisons only, never to open.
std::string clean_path(std::string_view path);

}  // namespace hako::fs
