#pragma once
// Building the container's root filesystem inside the init's new mount namespace. Every path
// inside the rootfs is resolved as an fd (safe_path.hpp) and every mount attached through an
// fd (mount_api.hpp).
//
//   prepare_rootfs:  "/" made rslave (or rootfsPropagation), rootfs bound onto itself, the
//                    spec's mounts in order, /dev devices and symlinks, before_pivot
//                    (the hooks), pivot_root (or
//                    MS_MOVE + chroot with --no-pivot)
//   (the init writes sysctls here, while /proc/sys is still writable)
//   finalize_rootfs: readonlyPaths, maskedPaths, then a read-only root, then a shared or
//                    unbindable rootfsPropagation on the container's /
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "cgroups/layout.hpp"
#include "fs/mount_api.hpp"
#include "spec/spec.hpp"
#include "sys/unique_fd.hpp"

namespace hako::fs {

// A spec mount of a new tmpfs, devpts, mqueue or sysfs, made before the clone by the thread
// that makes the container's network and ipc namespaces (process/namespaces_ahead.hpp).
// Such a filesystem depends on nothing else: sysfs and mqueue take those two namespaces from
// the thread that makes them. The init then only attaches it.
struct FilesystemAhead {
    std::size_t mount_index = 0;  // in spec.mounts
    std::string type;
    std::string source;
    MountOptions options;
    sys::UniqueFd made;  // invalid when making it failed: the init makes it, and says why
};

// The spec's mounts that can be made ahead (not binds, no tmpcopyup or propagation option).
// Options that do not parse are left to the init, which reports them.
std::vector<FilesystemAhead> filesystems_to_make_ahead(const spec::Spec& spec);

// Makes them, on the helper thread: raw system calls only (sys/helper_thread.hpp).
void make_filesystems_ahead(std::vector<FilesystemAhead>& filesystems) noexcept;

struct RootfsPlan {
    const spec::Spec* spec = nullptr;
    std::string rootfs;  // absolute path on the host
    std::string bundle;  // relative bind sources are taken relative to it
    bool no_pivot = false;
    bool in_user_namespace = false;  // devices are bind-mounted, cgroup v1 bound from the host
    // New or joined. Without one, v1 and hybrid cgroup mounts bind the container's own dirs.
    bool in_cgroup_namespace = false;
    const cgroups::Layout* cgroup_layout = nullptr;
    // Hierarchy mount point -> the container's cgroup dir, for cgroup mounts without cgroupns.
    std::map<std::string, std::string> cgroup_paths;
    // Called once, before the first mount that involves a cgroup hierarchy (of type cgroup or
    // cgroup2, or a source under a hierarchy's mount point), else after the last mount, and
    // always before the devices are made: where the init joins its cgroups and enters its
    // cgroup namespace.
    std::function<void()> before_cgroups;
    // Called after the mounts, before the devices are made: where the init waits until the
    // parent has written the cgroup limits (a devices cgroup being rewritten refuses mknod).
    std::function<void()> before_devices;
    // Called after the mounts and devices, just before pivot_root: the createRuntime and
    // createContainer hook point.
    std::function<void()> before_pivot;
    // Filesystems made ahead for some of the spec's mounts; each is attached in place of a new
    // one (taken from here as it is).
    std::vector<FilesystemAhead>* filesystems_ahead = nullptr;
};

void prepare_rootfs(const RootfsPlan& plan);
void finalize_rootfs(const RootfsPlan& plan);

}  // namespace hako::fs
