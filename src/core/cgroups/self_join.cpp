#include "cgroups/self_join.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "sys/error.hpp"

namespace hako::cgroups {

SelfJoin SelfJoin::open(const std::vector<std::string>& v1_dirs) {
    std::vector<TaskFile> files;
    files.reserve(v1_dirs.size());
    for (const std::string& dir : v1_dirs) {
        TaskFile file{dir + "/tasks", {}};
        file.fd.reset(::open(file.path.c_str(), O_WRONLY | O_CLOEXEC));
        if (!file.fd) throw_sys_error("open", file.path);
        files.push_back(std::move(file));
    }
    return SelfJoin(std::move(files));
}

void SelfJoin::join() {
    for (const TaskFile& file : files_) {
        if (::write(file.fd.get(), "0", 1) != 1) throw_sys_error("join cgroup", file.path);
    }
    files_.clear();
}

}  // namespace hako::cgroups
