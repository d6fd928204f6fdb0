#include "fs/rootfs.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "fs/copy_up.hpp"
#include "fs/devices.hpp"
#include "fs/mount_api.hpp"
#include "fs/safe_path.hpp"
#include "sys/error.hpp"
#include "sys/mountinfo.hpp"
#include "sys/syscalls.hpp"

namespace hako::fs {
namespace {

std::uint64_t propagation_flag(const std::string& name, bool& recursive) {
    recursive = name.empty() || name.front() == 'r';
    const std::string base = (!name.empty() && name.front() == 'r') ? name.substr(1) : name;
    if (base == "private") return MS_PRIVATE;
    if (base == "shared") return MS_SHARED;
    if (base == "unbindable") return MS_UNBINDABLE;
    return MS_SLAVE;  // the default, as runc: host mounts still reach us, ours never leak out
}

// /proc and /sys must be plain directories of the rootfs: a symlink there would let an image
// redirect the runtime's later procfs checks (CVE-2019-19921, CVE-2023-27561, CVE-2025-54867).
// Returns the directory, made when missing.
sys::UniqueFd plain_directory_target(int root_fd, const std::string& destination) {
    sys::UniqueFd fd = open_in_root_if_exists(root_fd, destination, O_PATH | O_NOFOLLOW);
    if (!fd) {
        mkdir_all_in_root(root_fd, destination);
        fd = open_in_root(root_fd, destination, O_PATH | O_NOFOLLOW);
    }
    struct stat st {};
    check_sys(::fstat(fd.get(), &st), "stat", destination);
    if (!S_ISDIR(st.st_mode))
        fail("mount destination {} must be an ordinary directory, not a symlink or file",
             destination);
    return fd;
}

bool on_procfs(int fd) {
    struct statfs sfs {};
    return ::fstatfs(fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

// The files lxcfs emulates: the only mounts runc lets a config put inside /proc.
constexpr std::array<std::string_view, 10> kProcFilesAllowedToCover{
    "/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo",  "/proc/stat",
    "/proc/swaps",   "/proc/uptime",    "/proc/loadavg",  "/proc/slabinfo",
    "/proc/net/dev", "/proc/sys/kernel/ns_last_pid",
};

// Nothing but a procfs may cover /proc, and nothing may be mounted inside it except binds over
// the files above (runc's checkProcMount, extended to every mount type and to destinations
// that reach a procfs through symlinks). A tmpfs at /proc or a bind of
// /proc/sys/kernel/core_pattern over /proc/self/attr/exec or a sysctl file would otherwise
// redirect what the container and its tools write to procfs (CVE-2019-16884, CVE-2025-52881).
void check_proc_destination(const spec::Mount& mount, bool bind, int target_fd,
                            bool source_is_procfs) {
    const std::string destination = clean_path(mount.destination);
    if (destination == "/proc") {
        if (bind ? source_is_procfs : mount.type == "proc") return;
        fail("{} cannot be mounted because it is not of type proc", destination);
    }
    const bool inside = destination.rfind("/proc/", 0) == 0;
    if (!inside && !on_procfs(target_fd)) return;
    if (bind && std::find(kProcFilesAllowedToCover.begin(), kProcFilesAllowedToCover.end(),
                          destination) != kProcFilesAllowedToCover.end())
        return;
    fail("{} cannot be mounted because it is inside /proc", destination);
}

bool source_is_procfs(const std::string& source) {
    struct statfs sfs {};
    return ::statfs(source.c_str(), &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

bool source_is_directory(const std::string& source) {
    struct stat st {};
    if (::stat(source.c_str(), &st) < 0) throw_sys_error("bind mount source", source);
    return S_ISDIR(st.st_mode);
}

std::string host_source(const RootfsPlan& plan, const std::string& source) {
    if (source.empty() || source.front() == '/') return source;
    return plan.bundle + "/" + source;
}

// After move_mount the O_PATH target fd still names the covered directory; the new mount's
// root is reached by resolving the destination again.
void set_attached_propagation(int root_fd, const std::string& destination,
                              const MountOptions& options) {
    if (options.propagation == 0) return;
    const sys::UniqueFd mounted = open_in_root(root_fd, destination, O_PATH);
    set_propagation(mounted.get(), options.propagation, options.recursive_propagation);
}

void mount_bind(const RootfsPlan& plan, int root_fd, const spec::Mount& mount,
                const MountOptions& options) {
    const std::string source = host_source(plan, mount.source);
    const sys::UniqueFd target = source_is_directory(source)
                                     ? mkdir_all_in_root(root_fd, mount.destination)
                                     : create_file_in_root(root_fd, mount.destination);
    check_proc_destination(mount, true, target.get(), source_is_procfs(source));
    const sys::UniqueFd tree = clone_mount_tree(source, options.recursive);
    // A read-only rbind of /sys carries the host's cgroup hierarchies as submounts; "ro" on
    // the top mount alone would leave them writable (CVE-2023-25809).
    MountOptions effective = options;
    const std::string destination = clean_path(mount.destination);
    if (options.recursive && (options.attr_set & MOUNT_ATTR_RDONLY) != 0 &&
        (destination == "/sys" || destination.rfind("/sys/", 0) == 0))
        effective.recursive_attrs = true;
    apply_mount_attributes(tree.get(), effective);
    attach_mount(tree.get(), target.get(), mount.destination);
    set_attached_propagation(root_fd, mount.destination, options);
}

// "tmpcopyup": the tmpfs is filled while still detached (nothing else can reach it), from the
// directory it will cover, and made read-only, if asked, only afterwards.
sys::UniqueFd make_copied_up_tmpfs(int target_fd, const std::string& source,
                                   const MountOptions& options, const std::string& destination) {
    MountOptions writable = options;
    writable.attr_set &= ~static_cast<std::uint64_t>(MOUNT_ATTR_RDONLY);
    sys::UniqueFd fs = make_filesystem_mount("tmpfs", source, writable);
    copy_directory_contents(target_fd, fs.get(), destination);
    if ((options.attr_set & MOUNT_ATTR_RDONLY) != 0) apply_mount_attributes(fs.get(), options);
    return fs;
}

bool has_fs_param(const MountOptions& options, std::string_view key) {
    return std::any_of(options.fs_params.begin(), options.fs_params.end(),
                       [&](const auto& param) { return param.first == key; });
}

// The mount point of a new filesystem, made when missing. A tmpfs without "mode=" over a
// directory the rootfs already has takes that directory's mode, as with runc (1.2 passes it
// as the first mount option, so a "mode=" of the spec still wins); over a directory made for
// it, the kernel's 1777.
sys::UniqueFd filesystem_target(int root_fd, const spec::Mount& mount, MountOptions& options) {
    if (mount.type == "proc" || mount.type == "sysfs")
        return plain_directory_target(root_fd, mount.destination);
    if (mount.type != "tmpfs" || has_fs_param(options, "mode"))
        return mkdir_all_in_root(root_fd, mount.destination);
    sys::UniqueFd existing =
        open_in_root_if_exists(root_fd, mount.destination, O_PATH | O_DIRECTORY);
    if (!existing) return mkdir_all_in_root(root_fd, mount.destination);
    struct stat st {};
    check_sys(::fstat(existing.get(), &st), "stat", mount.destination);
    options.fs_params.emplace_back("mode", fmt::format("{:o}", st.st_mode & 07777));
    return existing;
}

void mount_filesystem(int root_fd, const spec::Mount& mount, MountOptions options,
                      sys::UniqueFd made_ahead = {}) {
    const sys::UniqueFd target = filesystem_target(root_fd, mount, options);
    check_proc_destination(mount, false, target.get(), false);
    const std::string source = mount.source.empty() ? mount.type : mount.source;
    const sys::UniqueFd fs =
        made_ahead ? std::move(made_ahead)
        : options.copy_up && mount.type == "tmpfs"
            ? make_copied_up_tmpfs(target.get(), source, options, mount.destination)
            : make_filesystem_mount(mount.type, source, options);
    attach_mount(fs.get(), target.get(), mount.destination);
    set_attached_propagation(root_fd, mount.destination, options);
}

// A v1 hierarchy's directory name: "cpu,cpuacct", or "systemd" for name=systemd.
std::string hierarchy_dir_name(const cgroups::Hierarchy& hierarchy) {
    if (hierarchy.unified) return "unified";
    std::string name;
    for (const auto& controller : hierarchy.controllers) {
        if (!name.empty()) name += ',';
        name += controller.rfind("name=", 0) == 0 ? controller.substr(5) : controller;
    }
    return name;
}

// The hierarchy's directory in the tmpfs just mounted for them: made in it directly, as
// nothing but hako can have put anything there yet (a name taken, by a co-mounted controller's
// link, goes the general way).
sys::UniqueFd hierarchy_mount_point(int root_fd, int base_fd, const std::string& name,
                                    const std::string& destination) {
    if (::mkdirat(base_fd, name.c_str(), 0755) == 0) {
        const int fd =
            ::openat(base_fd, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0) return sys::UniqueFd(fd);
    }
    return mkdir_all_in_root(root_fd, destination);
}

MountOptions cgroup_v1_options(const cgroups::Hierarchy& hierarchy, MountOptions options) {
    options.fs_params.clear();
    bool has_controller = false;
    for (const auto& controller : hierarchy.controllers) {
        if (controller.rfind("name=", 0) == 0) {
            options.fs_params.emplace_back("name", controller.substr(5));
        } else {
            options.fs_params.emplace_back(controller, "");
            has_controller = true;
        }
    }
    if (!has_controller) options.fs_params.emplace_back("none", "");
    return options;
}

// The spec's "cgroup" mount. On pure v2 a cgroup2 filesystem; on v1 and hybrid hosts a tmpfs
// with one mount per hierarchy beneath it, like runc. In a cgroup namespace, fresh mounts show
// its root; where the kernel refuses them (a user namespace), and always without a cgroup
// namespace (Docker's default on v1), the container's own directories are bound from the host.
void mount_cgroups(const RootfsPlan& plan, int root_fd, const spec::Mount& mount,
                   const MountOptions& options) {
    const cgroups::Layout& layout = *plan.cgroup_layout;
    if (layout.kind == cgroups::LayoutKind::v2) {
        spec::Mount v2 = mount;
        v2.type = "cgroup2";
        v2.source = "cgroup";
        mount_filesystem(root_fd, v2, options);
        return;
    }
    MountOptions tmpfs_options;
    tmpfs_options.attr_set = options.attr_set & ~static_cast<std::uint64_t>(MOUNT_ATTR_RDONLY);
    tmpfs_options.fs_params = {{"mode", "755"}};
    spec::Mount tmpfs{mount.destination, "tmpfs", "tmpfs", {}};
    mount_filesystem(root_fd, tmpfs, tmpfs_options);
    const sys::UniqueFd base = open_in_root(root_fd, mount.destination, O_PATH | O_DIRECTORY);
    for (const auto& hierarchy : layout.hierarchies) {
        const std::string name = hierarchy_dir_name(hierarchy);
        const std::string destination = mount.destination + "/" + name;
        const sys::UniqueFd target = hierarchy_mount_point(root_fd, base.get(), name, destination);
        const auto own = plan.cgroup_paths.find(hierarchy.mount_point);
        sys::UniqueFd fs;
        if (own != plan.cgroup_paths.end()) {
            // The container's own directory, bound from the host. Without a cgroup namespace
            // a fresh mount would show the host's whole hierarchy (every other cgroup, and the
            // root's limits where tools read their own), so runc and crun bind it too. In one,
            // a fresh mount would show the same directory (the namespace's root) and mountinfo
            // names it "/" either way, but costs a superblock per hierarchy (~15 us each).
            fs = clone_mount_tree(own->second, false);
            apply_mount_attributes(fs.get(), options);
        } else {
            fs = hierarchy.unified ? make_filesystem_mount("cgroup2", "cgroup", options)
                                   : make_filesystem_mount("cgroup", "cgroup",
                                                           cgroup_v1_options(hierarchy, options));
        }
        attach_mount(fs.get(), target.get(), destination);
        // Co-mounted controllers are also reachable by each one's own name (cpu -> cpu,cpuacct).
        if (name.find(',') != std::string::npos) {
            for (const auto& controller : hierarchy.controllers)
                ::symlinkat(name.c_str(), base.get(), controller.c_str());
        }
    }
    if (options.attr_set & MOUNT_ATTR_RDONLY) {
        MountOptions read_only;
        read_only.attr_set = MOUNT_ATTR_RDONLY;
        const sys::UniqueFd mounted = open_in_root(root_fd, mount.destination, O_PATH);
        apply_mount_attributes(mounted.get(), read_only);
    }
}

// linux.mountLabel becomes the SELinux context= of the filesystems runc labels that way:
// every new filesystem but proc, sysfs, mqueue and cgroups (lsm.cpp refuses the field when
// the host has no SELinux).
MountOptions with_mount_label(MountOptions options, const spec::Mount& mount,
                              const std::string& label) {
    if (label.empty() || options.bind) return options;
    for (const std::string_view unlabelled : {"proc", "sysfs", "mqueue", "cgroup", "cgroup2"})
        if (mount.type == unlabelled) return options;
    options.fs_params.emplace_back("context", label);
    return options;
}

MountOptions options_of(const spec::Spec& spec, const spec::Mount& mount) {
    return with_mount_label(parse_mount_options(mount.options), mount,
                            spec.linux_config.mount_label);
}

sys::UniqueFd take_made_ahead(const RootfsPlan& plan, std::size_t mount_index) {
    if (plan.filesystems_ahead == nullptr) return {};
    for (FilesystemAhead& filesystem : *plan.filesystems_ahead)
        if (filesystem.mount_index == mount_index) return std::move(filesystem.made);
    return {};
}

void mount_one(const RootfsPlan& plan, int root_fd, std::size_t mount_index) {
    const spec::Mount& mount = plan.spec->mounts[mount_index];
    const MountOptions options = options_of(*plan.spec, mount);
    try {
        if (options.bind) {
            mount_bind(plan, root_fd, mount, options);
        } else if (mount.type == "cgroup") {
            mount_cgroups(plan, root_fd, mount, options);
        } else {
            mount_filesystem(root_fd, mount, options, take_made_ahead(plan, mount_index));
        }
    } catch (const Error& error) {
        throw Error(fmt::format("mount {} ({}): {}", mount.destination,
                                mount.type.empty() ? "bind" : mount.type, error.what()),
                    error.errno_value());
    }
}

bool dev_is_bound_from_host(const spec::Spec& spec) {
    return std::any_of(spec.mounts.begin(), spec.mounts.end(), [](const spec::Mount& m) {
        return clean_path(m.destination) == "/dev" &&
               std::find_if(m.options.begin(), m.options.end(), [](const std::string& o) {
                   return o == "bind" || o == "rbind";
               }) != m.options.end();
    });
}

void enter_root(const RootfsPlan& plan, int root_fd) {
    check_sys(::fchdir(root_fd), "chdir", plan.rootfs);
    if (plan.no_pivot) {
        check_sys(::mount(".", "/", nullptr, MS_MOVE, nullptr), "move rootfs to /", plan.rootfs);
        check_sys(::chroot("."), "chroot", plan.rootfs);
    } else {
        // pivot_root(".", ".") stacks the old root under the new one; detaching it then
        // leaves only the rootfs. It is made rslave first so the detach never reaches the host.
        check_sys(sys::pivot_root(".", "."), "pivot_root", plan.rootfs);
        check_sys(::mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr),
                  "make old root rslave");
        check_sys(::umount2(".", MNT_DETACH), "detach old root");
    }
    check_sys(::chdir("/"), "chdir /");
}

sys::UniqueFd open_root() {
    return sys::UniqueFd(check_sys(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), "open /"));
}

// The /dev/null that masks files must really be the null device (CVE-2025-31133): an image
// could have made it a symlink to a procfs file that a bind would then expose writable.
sys::UniqueFd open_verified_dev_null(int root_fd) {
    sys::UniqueFd fd = open_in_root(root_fd, "/dev/null", O_PATH | O_NOFOLLOW);
    struct stat st {};
    check_sys(::fstat(fd.get(), &st), "stat /dev/null");
    if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 1 || minor(st.st_rdev) != 3)
        fail("/dev/null in the container is not the null device (1:3); refusing to mask with it");
    return fd;
}

void mask_paths(int root_fd, const std::vector<std::string>& paths) {
    if (paths.empty()) return;
    const sys::UniqueFd dev_null = open_verified_dev_null(root_fd);
    // Every masked directory gets the same empty read-only tmpfs: one superblock, bound again.
    sys::UniqueFd empty_dir;
    MountOptions read_only;
    read_only.attr_set = MOUNT_ATTR_RDONLY;
    for (const auto& path : paths) {
        const sys::UniqueFd target = open_in_root_if_exists(root_fd, path, O_PATH | O_NOFOLLOW);
        if (!target) continue;
        struct stat st {};
        check_sys(::fstat(target.get(), &st), "stat masked path", path);
        if (!S_ISDIR(st.st_mode)) {
            attach_mount(clone_mount_tree(dev_null.get(), false).get(), target.get(), path);
        } else if (empty_dir) {
            const sys::UniqueFd cover = clone_mount_tree(empty_dir.get(), false);
            apply_mount_attributes(cover.get(), read_only);
            attach_mount(cover.get(), target.get(), path);
        } else {
            attach_mount(make_filesystem_mount("tmpfs", "tmpfs", read_only).get(), target.get(),
                         path);
            // The new mount's root (the target fd still names the directory it covers).
            empty_dir = open_in_root(root_fd, path, O_PATH | O_NOFOLLOW);
        }
    }
}

void make_paths_readonly(int root_fd, const std::vector<std::string>& paths) {
    for (const auto& path : paths) {
        const sys::UniqueFd target = open_in_root_if_exists(root_fd, path, O_PATH | O_NOFOLLOW);
        if (!target) continue;
        MountOptions options;
        options.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                           MOUNT_ATTR_NOEXEC;
        options.recursive_attrs = true;
        const sys::UniqueFd tree = clone_mount_tree(target.get(), true);
        apply_mount_attributes(tree.get(), options);
        attach_mount(tree.get(), target.get(), path);
    }
}

// The mount the rootfs lies on, made private when it is shared (as runc's
// rootfsParentMountPrivate): otherwise the rootfs bind would propagate to the host's peers, and
// pivot_root refuses a new root whose parent mount is shared.
void make_parent_mount_private(const std::string& rootfs) {
    const sys::MountInfoEntry* parent = nullptr;
    const auto mounts = sys::read_mountinfo();
    for (const auto& entry : mounts) {
        const std::string& point = entry.mount_point;
        const bool contains = point == "/" || rootfs == point ||
                              (rootfs.size() > point.size() &&
                               rootfs.compare(0, point.size(), point) == 0 &&
                               rootfs[point.size()] == '/');
        // Later lines win ties: a mount stacked on the same point is the visible one.
        if (contains && (parent == nullptr || point.size() >= parent->mount_point.size()))
            parent = &entry;
    }
    if (parent != nullptr && parent->is_shared())
        check_sys(::mount(nullptr, parent->mount_point.c_str(), nullptr, MS_PRIVATE, nullptr),
                  "make the rootfs's parent mount private", parent->mount_point);
}

bool under(const std::string& path, const std::string& dir) {
    return path == dir || path.starts_with(dir + "/");
}

// A mount of a cgroup filesystem, or a bind of something in a cgroup hierarchy: it needs the
// container's cgroups made and joined (RootfsPlan::before_cgroups).
bool involves_cgroups(const RootfsPlan& plan, const spec::Mount& mount) {
    if (mount.type == "cgroup" || mount.type == "cgroup2") return true;
    if (mount.source.empty() || mount.source.front() != '/') return false;
    if (under(mount.source, "/sys/fs/cgroup")) return true;
    if (plan.cgroup_layout == nullptr) return false;
    return std::any_of(plan.cgroup_layout->hierarchies.begin(),
                       plan.cgroup_layout->hierarchies.end(),
                       [&](const cgroups::Hierarchy& h) { return under(mount.source, h.mount_point); });
}

}  // namespace

std::vector<FilesystemAhead> filesystems_to_make_ahead(const spec::Spec& spec) {
    std::vector<FilesystemAhead> filesystems;
    for (std::size_t index = 0; index < spec.mounts.size(); ++index) {
        const spec::Mount& mount = spec.mounts[index];
        if (mount.type != "tmpfs" && mount.type != "devpts" && mount.type != "mqueue" &&
            mount.type != "sysfs")
            continue;
        MountOptions options;
        try {
            options = options_of(spec, mount);
        } catch (const Error&) {
            continue;  // the init reports it, as for any mount
        }
        if (options.bind || options.copy_up || options.propagation != 0) continue;
        // Its mode comes from the directory it covers, known only inside the rootfs.
        if (mount.type == "tmpfs" && !has_fs_param(options, "mode")) continue;
        filesystems.push_back({index, mount.type, mount.source.empty() ? mount.type : mount.source,
                               std::move(options), {}});
    }
    return filesystems;
}

void make_filesystems_ahead(std::vector<FilesystemAhead>& filesystems) noexcept {
    for (FilesystemAhead& filesystem : filesystems)
        filesystem.made.reset(
            try_make_filesystem_mount(filesystem.type, filesystem.source, filesystem.options));
}

void prepare_rootfs(const RootfsPlan& plan) {
    const spec::Spec& spec = *plan.spec;
    bool recursive = true;
    auto propagation = propagation_flag(spec.linux_config.rootfs_propagation, recursive);
    if (propagation == MS_UNBINDABLE) {
        // An unbindable tree would refuse the rootfs bind below and the masks' binds;
        // finalize_rootfs applies it once nothing is bound any more.
        propagation = MS_SLAVE;
        recursive = true;
    }
    check_sys(::mount(nullptr, "/", nullptr, static_cast<unsigned long>(propagation) |
                                                 (recursive ? MS_REC : 0),
                      nullptr),
              "set propagation of /");
    // After a recursive slave or private pass no mount is shared any more, and the mount
    // table need not be read (on a busy host it has thousands of lines).
    if (propagation == MS_SHARED || !recursive) make_parent_mount_private(plan.rootfs);
    // pivot_root needs the rootfs to be a mount point of its own. The bind keeps the
    // propagation just set, so host mounts still reach a default (rslave) container.
    check_sys(::mount(plan.rootfs.c_str(), plan.rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr),
              "bind rootfs", plan.rootfs);
    const sys::UniqueFd root_fd(
        check_sys(::open(plan.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC), "open rootfs",
                  plan.rootfs));

    bool cgroups_ready = false;
    const auto ready_cgroups = [&] {
        if (!cgroups_ready && plan.before_cgroups) plan.before_cgroups();
        cgroups_ready = true;
    };
    for (std::size_t index = 0; index < spec.mounts.size(); ++index) {
        if (involves_cgroups(plan, spec.mounts[index])) ready_cgroups();
        mount_one(plan, root_fd.get(), index);
    }
    ready_cgroups();
    if (plan.before_devices) plan.before_devices();

    if (!dev_is_bound_from_host(spec)) {
        create_devices(root_fd.get(), devices_to_create(spec.linux_config.devices),
                       plan.in_user_namespace);
        create_dev_symlinks(root_fd.get());
    }
    if (plan.before_pivot) plan.before_pivot();
    enter_root(plan, root_fd.get());
}

void finalize_rootfs(const RootfsPlan& plan) {
    const spec::Spec& spec = *plan.spec;
    const sys::UniqueFd root = open_root();
    make_paths_readonly(root.get(), spec.linux_config.readonly_paths);
    mask_paths(root.get(), spec.linux_config.masked_paths);
    if (spec.root.readonly) {
        MountOptions options;
        options.attr_set = MOUNT_ATTR_RDONLY;
        apply_mount_attributes(root.get(), options);
    }
    // The pivot leaves the new root a slave or private (pivot_root refuses a shared one), so
    // a shared or unbindable rootfsPropagation is given to the container's "/" last, as the
    // spec asks and crun and newer runc do (runc#4724; runc 1.1 ignores it, runc#1755).
    bool recursive = true;
    const auto propagation = propagation_flag(spec.linux_config.rootfs_propagation, recursive);
    if (propagation == MS_SHARED || propagation == MS_UNBINDABLE)
        check_sys(::mount(nullptr, "/", nullptr,
                          static_cast<unsigned long>(propagation) | (recursive ? MS_REC : 0),
                          nullptr),
                  "set rootfsPropagation of the container's /");
}

}  // namespace hako::fs
