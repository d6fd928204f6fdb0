#include "process/namespaces_ahead.hpp"

#include <fcntl.h>
#include <sched.h>

#include <utility>

namespace hako::process {
namespace {

constexpr std::uint64_t kMadeAhead = CLONE_NEWNET | CLONE_NEWIPC;
constexpr std::size_t kHelperStack = 64 * 1024;

// Every CPU hako may use but the one it runs on. The scheduler places a new thread on its
// creator's CPU, where it would wait for hako to block instead of working alongside it.
bool other_cpus(cpu_set_t& others) {
    if (::sched_getaffinity(0, sizeof others, &others) != 0) return false;
    const int here = ::sched_getcpu();
    if (here >= 0) CPU_CLR(here, &others);
    return CPU_COUNT(&others) > 0;
}

}  // namespace

NamespacesMadeAhead::NamespacesMadeAhead(const NamespacePlan& plan) {
    if (plan.has_user || plan.unshare_flags != 0) return;
    flags_ = plan.clone_flags & kMadeAhead;
    if (flags_ == 0) return;
    pthread_attr_t attributes;
    if (::pthread_attr_init(&attributes) != 0) return;
    ::pthread_attr_setstacksize(&attributes, kHelperStack);
    cpu_set_t others;
    if (other_cpus(others)) ::pthread_attr_setaffinity_np(&attributes, sizeof others, &others);
    running_ = ::pthread_create(&helper_, &attributes, make_in_helper, this) == 0;
    ::pthread_attr_destroy(&attributes);
}

NamespacesMadeAhead::~NamespacesMadeAhead() { join(); }

void NamespacesMadeAhead::join() noexcept {
    if (running_) ::pthread_join(helper_, nullptr);
    running_ = false;
}

// The helper: raw syscalls only (no allocation, no lock, no exception). unshare() of these
// two applies to the calling thread alone; hako's main thread stays where it was.
void* NamespacesMadeAhead::make_in_helper(void* self) noexcept {
    auto& made = *static_cast<NamespacesMadeAhead*>(self);
    if (::unshare(static_cast<int>(made.flags_)) != 0) return nullptr;
    if ((made.flags_ & CLONE_NEWNET) != 0)
        made.net_.reset(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if ((made.flags_ & CLONE_NEWIPC) != 0)
        made.ipc_.reset(::open("/proc/thread-self/ns/ipc", O_RDONLY | O_CLOEXEC));
    return nullptr;
}

std::vector<MadeNamespace> NamespacesMadeAhead::take() {
    join();
    std::vector<MadeNamespace> made;
    const std::uint64_t wanted = std::exchange(flags_, 0);
    // All or nothing, so clone3 makes exactly the rest of the plan.
    if (((wanted & CLONE_NEWNET) != 0 && !net_) || ((wanted & CLONE_NEWIPC) != 0 && !ipc_))
        return made;
    if (net_) made.push_back({std::move(net_), CLONE_NEWNET});
    if (ipc_) made.push_back({std::move(ipc_), CLONE_NEWIPC});
    return made;
}

std::uint64_t flags_of(const std::vector<MadeNamespace>& made) {
    std::uint64_t flags = 0;
    for (const auto& ns : made) flags |= ns.flag;
    return flags;
}

}  // namespace hako::process
