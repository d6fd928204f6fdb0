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
#include <functional>
#include <map>
#include <string>

#include "cgroups/layout.hpp"
#include "spec/spec.hpp"

namespace hako::fs {

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
    // Called after the mounts and devices, just before pivot_root: the createRuntime and
    // createContainer hook point.
    std::function<void()> before_pivot;
};

void prepare_rootfs(const RootfsPlan& plan);
void finalize_rootfs(const RootfsPlan& plan);

}  // namespace hako::fs
