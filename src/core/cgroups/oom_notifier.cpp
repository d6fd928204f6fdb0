#include "cgroups/oom_notifier.hpp"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "cgroups/cgroup_fs.hpp"
#include "cgroups/stats_parse.hpp"
#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace hako::cgroups::detail {
namespace {

// The "key value" counter in a flat-keyed file; 0 when the file or key is absent.
std::uint64_t counter(const std::string& path, const char* key) {
    const auto text = read_stat_file(path);
    if (!text) return 0;
    const auto values = parse_flat_keyed(*text, path);
    const auto it = values.find(key);
    return it == values.end() ? 0 : it->second;
}

bool exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

// Kills counted since last time; the counter only grows, except when the cgroup vanished.
unsigned kills_since(std::uint64_t& last, std::uint64_t now) {
    const std::uint64_t delta = now > last ? now - last : 0;
    last = now;
    return static_cast<unsigned>(delta);
}

class V1OomNotifier final : public OomNotifier {
  public:
    explicit V1OomNotifier(const std::string& dir)
        : control_(dir + "/cgroup.event_control"), oom_control_path_(dir + "/memory.oom_control") {
        oom_control_ = sys::UniqueFd(::open(oom_control_path_.c_str(), O_RDONLY | O_CLOEXEC));
        if (!oom_control_) throw_sys_error("open", oom_control_path_);
        eventfd_ = sys::UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
        if (!eventfd_) throw_sys_error("eventfd", control_);
        write_file(control_, std::to_string(eventfd_.get()) + " " +
                                 std::to_string(oom_control_.get()));
        kills_ = counter(oom_control_path_, "oom_kill");
    }

    [[nodiscard]] int fd() const override { return eventfd_.get(); }

    Events collect() override {
        Events events;
        std::uint64_t count = 0;
        if (::read(eventfd_.get(), &count, sizeof count) != static_cast<ssize_t>(sizeof count)) {
            if (errno == EAGAIN || errno == EINTR) return events;
            throw_sys_error("read eventfd of", oom_control_path_);
        }
        // The kernel also signals the eventfd when the cgroup is removed.
        if (!exists(control_)) {
            events.cgroup_gone = true;
            return events;
        }
        // One notification may stand for several kills; oom_kill (Linux 4.13) counts them.
        // Without kills (oom_kill_disable) the OOM itself is still worth one event.
        events.oom_kills = std::max(1U, kills_since(kills_, counter(oom_control_path_, "oom_kill")));
        return events;
    }

  private:
    std::string control_;
    std::string oom_control_path_;
    sys::UniqueFd oom_control_;
    sys::UniqueFd eventfd_;
    std::uint64_t kills_ = 0;
};

class V2OomNotifier final : public OomNotifier {
  public:
    V2OomNotifier(sys::UniqueFd inotify, int memory_watch, int cgroup_watch, std::string dir)
        : inotify_(std::move(inotify)),
          memory_watch_(memory_watch),
          cgroup_watch_(cgroup_watch),
          dir_(std::move(dir)),
          kills_(counter(dir_ + "/memory.events", "oom_kill")) {}

    [[nodiscard]] int fd() const override { return inotify_.get(); }

    Events collect() override {
        Events events;
        alignas(inotify_event) std::array<char, 4096> buffer{};
        bool memory_changed = false;
        for (;;) {
            const ssize_t n = ::read(inotify_.get(), buffer.data(), buffer.size());
            if (n < 0) {
                if (errno == EINTR) continue;
                if (errno == EAGAIN) break;
                throw_sys_error("read inotify of", dir_ + "/memory.events");
            }
            for (ssize_t offset = 0; offset < n;) {
                inotify_event event{};
                std::memcpy(&event, buffer.data() + offset, sizeof event);
                offset += static_cast<ssize_t>(sizeof event + event.len);
                if ((event.mask & IN_IGNORED) != 0) events.cgroup_gone = true;  // removed
                if ((event.mask & IN_MODIFY) == 0) continue;
                if (event.wd == memory_watch_) memory_changed = true;
                if (event.wd == cgroup_watch_ &&
                    counter(dir_ + "/cgroup.events", "populated") == 0) {
                    events.cgroup_gone = true;
                }
            }
        }
        // Checked even when the cgroup emptied: the kill that emptied it is still news.
        if (memory_changed) {
            events.oom_kills = kills_since(kills_, counter(dir_ + "/memory.events", "oom_kill"));
        }
        return events;
    }

  private:
    sys::UniqueFd inotify_;
    int memory_watch_;
    int cgroup_watch_;
    std::string dir_;
    std::uint64_t kills_;
};

}  // namespace

std::unique_ptr<OomNotifier> make_v1_oom_notifier(const std::string& memory_dir) {
    return std::make_unique<V1OomNotifier>(memory_dir);
}

std::unique_ptr<OomNotifier> make_v2_oom_notifier(const std::string& dir) {
    const std::string memory_events = dir + "/memory.events";
    if (!exists(memory_events)) return nullptr;
    sys::UniqueFd inotify(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (!inotify) throw_sys_error("inotify_init1 for", memory_events);
    const int memory_watch = ::inotify_add_watch(inotify.get(), memory_events.c_str(), IN_MODIFY);
    if (memory_watch < 0) throw_sys_error("inotify_add_watch", memory_events);
    const std::string cgroup_events = dir + "/cgroup.events";
    const int cgroup_watch = ::inotify_add_watch(inotify.get(), cgroup_events.c_str(), IN_MODIFY);
    if (cgroup_watch < 0) throw_sys_error("inotify_add_watch", cgroup_events);
    return std::make_unique<V2OomNotifier>(std::move(inotify), memory_watch, cgroup_watch, dir);
}

}  // namespace hako::cgroups::detail
