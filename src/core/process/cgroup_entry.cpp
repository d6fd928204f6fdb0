#include "process/cgroup_entry.hpp"

#include <cerrno>

namespace hako::process {

CgroupEntry::CgroupEntry(cgroups::Manager* manager) : manager_(manager) {
    if (manager_ == nullptr) return;
    unified_dir_ = manager_->open_unified_dir();
    self_join_ = manager_->open_self_join();
    joins_v1_itself_ = !self_join_.empty();
}

pid_t CgroupEntry::clone(sys::CloneArgs& args) {
    if (unified_dir_) {
        args.flags |= sys::kCloneIntoCgroup;
        args.cgroup = static_cast<std::uint64_t>(unified_dir_.get());
    }
    pid_t pid = sys::clone3(args);
    if (pid < 0 && unified_dir_ && (errno == EBUSY || errno == EOPNOTSUPP || errno == EINVAL)) {
        args.flags &= ~sys::kCloneIntoCgroup;
        args.cgroup = 0;
        unified_dir_.reset();
        pid = sys::clone3(args);
    }
    if (pid > 0) self_join_.close();
    return pid;
}

void CgroupEntry::add_process(pid_t pid) {
    if (manager_ == nullptr) return;
    manager_->add_process(pid, {.unified = unified_dir_.valid(), .v1 = joins_v1_itself_});
}

}  // namespace hako::process
