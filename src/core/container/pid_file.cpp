#include "container/pid_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace hako::container {

void write_pid_file(const std::string& path, pid_t pid) {
    const auto slash = path.rfind('/');
    const std::string temp = slash == std::string::npos
                                 ? "." + path + ".tmp"
                                 : path.substr(0, slash + 1) + "." + path.substr(slash + 1) + ".tmp";
    const std::string text = std::to_string(pid);
    {
        const sys::UniqueFd fd(check_sys(
            ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), "create pid file",
            temp));
        if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
            throw_sys_error("write pid file", temp);
    }
    if (::rename(temp.c_str(), path.c_str()) < 0) {
        const int err = errno;
        ::unlink(temp.c_str());
        throw_sys_error("rename pid file to", path, err);
    }
}

}  // namespace hako::container
