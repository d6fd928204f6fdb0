#include "process/kernel_parameters.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>

#include "fs/safe_path.hpp"
#include "sys/error.hpp"

namespace hako::process {

void write_sysctls(const std::map<std::string, std::string>& sysctls) {
    if (sysctls.empty()) return;
    const sys::UniqueFd root(check_sys(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), "open /"));
    for (const auto& [key, value] : sysctls) {
        if (key.find("..") != std::string::npos || key.find('/') != std::string::npos)
            fail("linux.sysctl: invalid key \"{}\"", key);
        std::string relative = key;
        std::replace(relative.begin(), relative.end(), '.', '/');
        const std::string path = "/proc/sys/" + relative;
        const sys::UniqueFd fd = fs::open_in_root(root.get(), path, O_WRONLY | O_NOFOLLOW);
        struct statfs sfs {};
        check_sys(::fstatfs(fd.get(), &sfs), "statfs", path);
        if (sfs.f_type != PROC_SUPER_MAGIC)
            fail("linux.sysctl \"{}\": {} is not on procfs; refusing to write", key, path);
        if (::write(fd.get(), value.data(), value.size()) < 0)
            throw_sys_error(fmt::format("linux.sysctl \"{}\": write", key), path);
    }
}

}  // namespace hako::process
