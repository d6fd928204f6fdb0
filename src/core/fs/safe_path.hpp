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

// Opens path (absolute or relative, taken as relative to root_fd) inside root_fd.
// flags are open(2) flags (O_PATH, O_DIRECTORY, O_NOFOLLOW for the last component...);
// O_CLOEXEC is always added. Throws "open <path> in <what>: strerror".
sys::UniqueFd open_in_root(int root_fd, std::string_view path, int flags);

// Like open_in_root, but creates every missing directory (mode 0755) on the way and returns
// an O_PATH|O_DIRECTORY fd of the last one. Existing non-directories fail with ENOTDIR.
sys::UniqueFd mkdir_all_in_root(int root_fd, std::string_view path, mode_t mode = 0755);

// Ensures a regular file exists at path (creating parent directories and an empty file,
// mode 0644, O_NOFOLLOW) and returns an O_PATH fd of it; used for bind-mounting a file.
sys::UniqueFd create_file_in_root(int root_fd, std::string_view path);

// The canonical form of a path inside the root: "/" + components with ".", ".." and
// repeated slashes folded lexically (".." never climbs above "/"). Used for messages and
// comparisons only, never to open.
std::string clean_path(std::string_view path);

// For tests: force the fallback walk even where openat2 exists.
void set_force_fallback_walk_for_tests(bool force);

}  // namespace hako::fs
