// events: the container's stats every interval and its OOM kills, as JSON lines in runc's
// format, until the container stops; or one stats document (--stats).
#include <poll.h>
#include <sys/timerfd.h>

#include <array>
#include <nlohmann/json.hpp>

#include "cgroups/manager.hpp"
#include "cgroups/stats_json.hpp"
#include "container/lifecycle.hpp"
#include "state/proc_stat.hpp"
#include "sys/error.hpp"
#include "sys/syscalls.hpp"

namespace hako::container {
namespace {

using Json = nlohmann::ordered_json;

std::string stats_event(const std::string& id, const cgroups::Manager& manager) {
    Json event = Json::object();
    event["type"] = "stats";
    event["id"] = id;
    event["data"] = cgroups::to_runc_json(manager.stats());
    return event.dump();
}

std::string oom_event(const std::string& id) {
    Json event = Json::object();
    event["type"] = "oom";
    event["id"] = id;
    return event.dump();
}

// A timerfd that fires every interval, the first time one interval from now.
sys::UniqueFd interval_timer(std::chrono::nanoseconds interval) {
    sys::UniqueFd timer(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
    if (!timer) throw_sys_error("timerfd_create", "events interval");
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(interval);
    const timespec period{static_cast<time_t>(seconds.count()),
                          static_cast<long>((interval - seconds).count())};
    const itimerspec spec{period, period};
    check_sys(::timerfd_settime(timer.get(), 0, &spec, nullptr), "timerfd_settime",
              "events interval");
    return timer;
}

void emit_ooms(const std::string& id, cgroups::OomNotifier& notifier, const EventSink& emit,
               bool& cgroup_gone) {
    const cgroups::OomNotifier::Events events = notifier.collect();
    for (unsigned i = 0; i < events.oom_kills; ++i) emit(oom_event(id));
    if (events.cgroup_gone) cgroup_gone = true;
}

}  // namespace

void events(state::StateStore& store, const std::string& id, const EventsOptions& options,
            const EventSink& emit) {
    if (options.interval <= std::chrono::nanoseconds::zero())
        fail("duration interval must be greater than 0");
    state::ContainerState state;
    sys::UniqueFd init;
    {
        // Locked only while looking: the stream may last as long as the container.
        const state::ContainerDir dir = store.open(id);
        state = dir.load();
        if (dir.current_status(state) == state::Status::stopped)
            fail("container with id {} is not running", id);
        init = sys::UniqueFd(sys::pidfd_open(state.pid, 0));
        if (!init || !state::process_alive(state.pid, state.init_start_time))
            fail("container with id {} is not running", id);
    }
    if (state.cgroup_paths.empty()) fail("container {} has no cgroups to report on", id);
    const std::unique_ptr<cgroups::Manager> manager = state::cgroup_manager(state);
    if (options.stats_once) {
        emit(stats_event(id, *manager));
        return;
    }

    const std::unique_ptr<cgroups::OomNotifier> oom = manager->oom_notifier();
    const sys::UniqueFd timer = interval_timer(options.interval);
    enum { kTimer, kInit, kOom };
    std::array<pollfd, 3> fds{{{timer.get(), POLLIN, 0},
                               {init.get(), POLLIN, 0},
                               {oom ? oom->fd() : -1, POLLIN, 0}}};
    bool cgroup_gone = false;
    while (!cgroup_gone) {
        if (::poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR) continue;
            throw_sys_error("poll", "events of " + id);
        }
        // OOM first: the kill that ends the container is reported before the stream ends.
        if (oom && fds[kOom].revents != 0) emit_ooms(id, *oom, emit, cgroup_gone);
        if (fds[kInit].revents != 0) {
            if (oom) emit_ooms(id, *oom, emit, cgroup_gone);
            return;  // the init exited: the container stopped
        }
        if (fds[kTimer].revents != 0) {
            std::uint64_t expirations = 0;
            if (::read(timer.get(), &expirations, sizeof expirations) > 0 && !cgroup_gone)
                emit(stats_event(id, *manager));
        }
    }
}

}  // namespace hako::container
