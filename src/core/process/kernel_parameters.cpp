#include "process/kernel_parameters.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "sys/error.hpp"

namespace hako::process {

void write_sysctls(const std::map<std::string, std::string>& sysctls,
                   const security::PrivateProcfs& proc) {
    for (const auto& [key, value] : sysctls) {
        if (key.empty() || key.find("..") != std::string::npos ||
            key.find('/') != std::string::npos || key.front() == '.' || key.back() == '.')
            fail("linux.sysctl: invalid key \"{}\"", key);
        std::string relative = key;
        std::replace(relative.begin(), relative.end(), '.', '/');
        sys::UniqueFd fd;
        try {
            fd = proc.open_file("sys/" + relative, O_WRONLY);
        } catch (const Error& error) {
            throw Error(fmt::format("linux.sysctl \"{}\": {}", key, error.what()),
                        error.errno_value());
        }
        if (::write(fd.get(), value.data(), value.size()) < 0)
            throw_sys_error(fmt::format("linux.sysctl \"{}\": write", key),
                            "/proc/sys/" + relative);
    }
}

}  // namespace hako::process
