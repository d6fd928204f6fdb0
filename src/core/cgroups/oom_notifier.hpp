#pragma once
// Notification of OOM kills in a container's memory cgroup, for `events`: v1 registers an
// eventfd on memory.oom_control through cgroup.event_control; v2 watches memory.events (and
// cgroup.events, for the cgroup emptying) with inotify. Either way the caller polls one fd.
#include <memory>
#include <string>

namespace hako::cgroups {

class OomNotifier {
  public:
    virtual ~OomNotifier() = default;

    // Becomes readable (POLLIN) when collect() has something to report.
    [[nodiscard]] virtual int fd() const = 0;

    struct Events {
        unsigned oom_kills = 0;    // new OOM events since the last collect()
        bool cgroup_gone = false;  // removed (v1, v2) or emptied (v2): no more events will come
    };
    // Never blocks: what happened since the last call.
    virtual Events collect() = 0;
};

namespace detail {

// Throws naming the file when registration fails.
std::unique_ptr<OomNotifier> make_v1_oom_notifier(const std::string& memory_dir);
// nullptr when dir has no memory.events (the memory controller is not enabled there).
std::unique_ptr<OomNotifier> make_v2_oom_notifier(const std::string& dir);

}  // namespace detail
}  // namespace hako::cgroups
