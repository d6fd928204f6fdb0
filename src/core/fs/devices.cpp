#include "fs/devices.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <array>

#include "fs/mount_api.hpp"
#include "fs/safe_path.hpp"
#include "sys/error.hpp"

namespace hako::fs {
namespace {

struct DefaultDevice {
    const char* path;
    int major;
    int minor;
};

constexpr std::array<DefaultDevice, 6> kDefaultDevices{{
    {"/dev/null", 1, 3},
    {"/dev/zero", 1, 5},
    {"/dev/full", 1, 7},
    {"/dev/random", 1, 8},
    {"/dev/urandom", 1, 9},
    {"/dev/tty", 5, 0},
}};

struct ParentAndName {
    std::string parent;
    std::string name;
};

ParentAndName split_path(const std::string& path) {
    const std::string clean = clean_path(path);
    const auto slash = clean.rfind('/');
    return {slash == 0 ? "/" : clean.substr(0, slash), clean.substr(slash + 1)};
}

mode_t device_type_bits(char type) {
    switch (type) {
        case 'b': return S_IFBLK;
        case 'p': return S_IFIFO;
        default: return S_IFCHR;  // 'c' and 'u'
    }
}

// The directory the last node went into, kept for the next one: most are in /dev, and
// resolving it again in the root for each would cost an openat2 each.
class ParentDirs {
public:
    explicit ParentDirs(int root_fd) : root_fd_(root_fd) {}
    int get(const std::string& parent) {
        if (!fd_ || parent != path_) {
            fd_ = mkdir_all_in_root(root_fd_, parent);
            path_ = parent;
        }
        return fd_.get();
    }

private:
    int root_fd_;
    std::string path_;
    sys::UniqueFd fd_;
};

void make_node(ParentDirs& parents, const spec::Device& device) {
    const auto [parent, name] = split_path(device.path);
    const int parent_fd = parents.get(parent);
    if (::unlinkat(parent_fd, name.c_str(), 0) < 0 && errno != ENOENT)
        throw_sys_error("remove existing", device.path);
    const mode_t mode = device_type_bits(device.type) | device.file_mode.value_or(0666);
    const dev_t number = makedev(static_cast<unsigned>(device.major),
                                 static_cast<unsigned>(device.minor));
    check_sys(::mknodat(parent_fd, name.c_str(), mode, number), "mknod", device.path);
    check_sys(::fchownat(parent_fd, name.c_str(), device.uid.value_or(0),
                         device.gid.value_or(0), AT_SYMLINK_NOFOLLOW),
              "chown", device.path);
}

// The node's own path, never what an image put there: a symlink at /dev/null pointing to
// /proc/sys/kernel/core_pattern would otherwise receive the bind (CVE-2025-31133).
sys::UniqueFd replace_with_empty_file(int root_fd, const std::string& path) {
    const auto [parent, name] = split_path(path);
    const sys::UniqueFd parent_fd = mkdir_all_in_root(root_fd, parent);
    if (::unlinkat(parent_fd.get(), name.c_str(), 0) < 0 && errno != ENOENT)
        throw_sys_error("remove existing", path);
    const sys::UniqueFd created(check_sys(
        ::openat(parent_fd.get(), name.c_str(),
                 O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644),
        "create", path));
    return sys::UniqueFd(check_sys(
        ::openat(parent_fd.get(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC), "open", path));
}

void bind_host_node(int root_fd, const spec::Device& device) {
    const sys::UniqueFd target = replace_with_empty_file(root_fd, device.path);
    const sys::UniqueFd mount = clone_mount_tree(clean_path(device.path), false);
    attach_mount(mount.get(), target.get(), device.path);
}

}  // namespace

std::vector<spec::Device> devices_to_create(const std::vector<spec::Device>& spec_devices) {
    std::vector<spec::Device> devices;
    for (const auto& builtin : kDefaultDevices) {
        const bool overridden =
            std::any_of(spec_devices.begin(), spec_devices.end(), [&](const spec::Device& d) {
                return clean_path(d.path) == builtin.path;
            });
        if (overridden) continue;
        spec::Device device;
        device.type = 'c';
        device.path = builtin.path;
        device.major = builtin.major;
        device.minor = builtin.minor;
        device.file_mode = 0666;
        devices.push_back(device);
    }
    devices.insert(devices.end(), spec_devices.begin(), spec_devices.end());
    return devices;
}

void create_devices(int root_fd, const std::vector<spec::Device>& devices, bool bind_from_host) {
    ParentDirs parents(root_fd);
    for (const auto& device : devices) {
        if (bind_from_host) {
            bind_host_node(root_fd, device);
        } else {
            make_node(parents, device);
        }
    }
}

void create_dev_symlinks(int root_fd) {
    struct Link {
        const char* name;
        const char* target;
    };
    static constexpr std::array<Link, 6> kLinks{{
        {"fd", "/proc/self/fd"},
        {"stdin", "/proc/self/fd/0"},
        {"stdout", "/proc/self/fd/1"},
        {"stderr", "/proc/self/fd/2"},
        {"ptmx", "pts/ptmx"},
        {"core", "/proc/kcore"},
    }};
    const sys::UniqueFd dev = mkdir_all_in_root(root_fd, "/dev");
    for (const auto& link : kLinks) {
        if (std::string_view(link.name) == "ptmx") {
            // The devpts instance's own ptmx serves this container; drop any node there.
            struct stat st {};
            if (::fstatat(dev.get(), "ptmx", &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISLNK(st.st_mode))
                ::unlinkat(dev.get(), "ptmx", 0);
        }
        if (std::string_view(link.name) == "core" && ::access("/proc/kcore", F_OK) != 0) continue;
        if (::symlinkat(link.target, dev.get(), link.name) < 0 && errno != EEXIST)
            throw_sys_error("symlink", fmt::format("/dev/{}", link.name));
    }
}

}  // namespace hako::fs
