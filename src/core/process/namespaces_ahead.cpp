#include "process/namespaces_ahead.hpp"

#include <fcntl.h>
#include <sched.h>

#include <utility>

namespace hako::process {
namespace {

constexpr std::uint64_t kMadeAhead = CLONE_NEWNET | CLONE_NEWIPC;

}  // namespace

NamespacesMadeAhead::NamespacesMadeAhead(const NamespacePlan& plan,
                                         std::vector<fs::FilesystemAhead> filesystems) {
    if (plan.has_user || plan.unshare_flags != 0) return;
    flags_ = plan.clone_flags & kMadeAhead;
    if (flags_ != 0) filesystems_ = std::move(filesystems);
    if (flags_ != 0 && !helper_.start(make_in_helper, this)) flags_ = 0;  // clone3 makes them
}

// On the helper. unshare() of these two applies to the calling thread alone; hako's main
// thread stays where it was.
void NamespacesMadeAhead::make_in_helper(void* self) noexcept {
    auto& made = *static_cast<NamespacesMadeAhead*>(self);
    if (::unshare(static_cast<int>(made.flags_)) != 0) return;
    if ((made.flags_ & CLONE_NEWNET) != 0)
        made.net_.reset(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if ((made.flags_ & CLONE_NEWIPC) != 0)
        made.ipc_.reset(::open("/proc/thread-self/ns/ipc", O_RDONLY | O_CLOEXEC));
    fs::make_filesystems_ahead(made.filesystems_);
}

std::vector<MadeNamespace> NamespacesMadeAhead::take() {
    helper_.join();
    std::vector<MadeNamespace> made;
    const std::uint64_t wanted = std::exchange(flags_, 0);
    // All or nothing, so clone3 makes exactly the rest of the plan.
    if (((wanted & CLONE_NEWNET) != 0 && !net_) || ((wanted & CLONE_NEWIPC) != 0 && !ipc_))
        return made;
    if (net_) made.push_back({std::move(net_), CLONE_NEWNET});
    if (ipc_) made.push_back({std::move(ipc_), CLONE_NEWIPC});
    handed_over_ = !made.empty();
    return made;
}

std::vector<fs::FilesystemAhead> NamespacesMadeAhead::take_filesystems() {
    // Before take() the helper may still be making them: nothing is touched then.
    if (!std::exchange(handed_over_, false)) return {};
    return std::exchange(filesystems_, {});
}

std::uint64_t flags_of(const std::vector<MadeNamespace>& made) {
    std::uint64_t flags = 0;
    for (const auto& ns : made) flags |= ns.flag;
    return flags;
}

}  // namespace hako::process
