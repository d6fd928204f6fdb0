#pragma once
// Mounting through file descriptors with the new mount API (fsopen/fsconfig/fsmount,
// open_tree, mount_setattr, move_mount). A mount is built detached, given its flags, and
// attached onto an O_PATH fd that was resolved inside the rootfs, so no path string is
// resolved at mount time.
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sys/unique_fd.hpp"

namespace hako::fs {

// The OCI mount options of one mount, split into what the kernel needs.
struct MountOptions {
    bool bind = false;       // "bind" or "rbind"
    bool recursive = false;  // "rbind"
    std::uint64_t attr_set = 0;  // MOUNT_ATTR_* to set (ro, nosuid, nodev, noexec, atime...)
    std::uint64_t attr_clr = 0;  // MOUNT_ATTR_* to clear ("rw", "suid", "dev", "exec"...)
    // "rro", "rnosuid"...: apply attrs to every submount. There is one flag for all attrs, so
    // mixing "ro" with "rnosuid" applies both recursively; otherwise (as runc does for "ro"
    // on an rbind) attrs change the top mount only.
    bool recursive_attrs = false;
    std::uint64_t propagation = 0;  // MS_PRIVATE, MS_SHARED, MS_SLAVE, MS_UNBINDABLE or 0
    bool recursive_propagation = false;  // "rprivate", "rshared"...
    bool copy_up = false;  // "tmpcopyup": a tmpfs starts with a copy of what it covers
    // Everything else becomes fsconfig() parameters: "mode=755" -> {"mode", "755"},
    // "newinstance" -> {"newinstance", ""} (a flag).
    std::vector<std::pair<std::string, std::string>> fs_params;
};

// Splits OCI option strings. Atime modes ("noatime", "relatime", "strictatime") go into
// attr_set with MOUNT_ATTR__ATIME in attr_clr, as mount_setattr wants. "sync", "dirsync",
// "lazytime" and other superblock flags stay fs_params (the VFS parses them in fsconfig);
// "defaults", "async", "silent", "loud" are ignored. Throws on options hako cannot honour
// ("idmap", "ridmap", "remount" for now), naming the option.
MountOptions parse_mount_options(const std::vector<std::string>& options);

// Creates a detached mount of a new filesystem: fsopen(type), fsconfig "source" and each
// fs_param, FSCONFIG_CMD_CREATE, fsmount with attr_set. Errors name the type and the
// parameter the kernel refused (fsopen's log is read for the reason when it has one):
// 'mount tmpfs (option "size=abc"): Invalid argument: tmpfs: Bad value for 'size''. A
// requested propagation is applied to the detached mount.
sys::UniqueFd make_filesystem_mount(const std::string& type, const std::string& source,
                                    const MountOptions& options);
// The same without errors or allocation, for a helper thread: the mount fd, or -1. Options
// with a propagation are not for it (-1, EINVAL).
int try_make_filesystem_mount(const std::string& type, const std::string& source,
                              const MountOptions& options) noexcept;

// A detached copy of the mount tree at source_fd (open_tree OPEN_TREE_CLONE, with
// AT_RECURSIVE when recursive): the start of a bind mount.
sys::UniqueFd clone_mount_tree(int source_fd, bool recursive);
// The same for a path string, resolved by the caller's view of the filesystem (used only for
// host-side bind sources, which are the caller's to name).
sys::UniqueFd clone_mount_tree(const std::string& source_path, bool recursive);

// mount_setattr on a mount (detached or attached) with the options' attrs and propagation.
void apply_mount_attributes(int mount_fd, const MountOptions& options);
// Only the propagation part, e.g. to make "/" rslave before anything else.
void set_propagation(int mount_fd, std::uint64_t propagation, bool recursive);

// move_mount of a detached mount onto the directory or file target_fd refers to.
// what: the destination's path, only for the error message.
void attach_mount(int mount_fd, int target_fd, const std::string& what);

}  // namespace hako::fs
