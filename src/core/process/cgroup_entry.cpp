#include "process/cgroup_entry.hpp"

#include <cerrno>

#include "sys/error.hpp"

namespace hako::process {

CgroupEntry::CgroupEntry(cgroups::Manager* manager, V1 v1) : manager_(manager), v1_(v1) {
    if (manager_ == nullptr) return;
    unified_dir_ = manager_->open_unified_dir();
    if (v1_ == V1::when_sent) {
        joins_v1_itself_ = true;
        return;
    }
    self_join_ = manager_->open_self_join();
    joins_v1_itself_ = !self_join_.empty();
}

void CgroupEntry::send_v1(const SyncChannel& channel) const {
    if (manager_ == nullptr || v1_ != V1::when_sent) return;
    const cgroups::SelfJoin files = manager_->open_self_join();
    for (const cgroups::SelfJoin::TaskFile& file : files.files())
        channel.send(SyncType::kCgroupTask, 0, file.path, file.fd.get());
    channel.send(SyncType::kCgroupsReady);
}

void CgroupEntry::receive_v1_and_join(const SyncChannel& channel) {
    std::vector<cgroups::SelfJoin::TaskFile> files;
    for (;;) {
        SyncMessage message = channel.receive();
        if (message.type == SyncType::kCgroupsReady) break;
        if (message.type != SyncType::kCgroupTask || !message.fd)
            fail("sync channel: expected a cgroup tasks file, got message {}",
                 static_cast<int>(message.type));
        files.push_back({std::move(message.text), std::move(message.fd)});
    }
    cgroups::SelfJoin(std::move(files)).join();
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
        placed_by_parent_ = true;
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
