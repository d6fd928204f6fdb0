#include "cgroups/freezer.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <optional>
#include <thread>

#include "cgroups/cgroup_fs.hpp"
#include "sys/error.hpp"

namespace hako::cgroups {

using namespace std::chrono_literals;

std::string_view freezer_state_name(FreezerState state) {
    switch (state) {
        case FreezerState::thawed: return "thawed";
        case FreezerState::frozen: return "frozen";
        case FreezerState::undefined: break;
    }
    return "undefined";
}

namespace detail {
namespace {

std::string trimmed(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
}

// The file's content, or nullopt when the cgroup has no such file: ENOENT (no freezer, or the
// cgroup is gone) and ENODEV (a kernel without the freezer).
std::optional<std::string> read_if_present(const std::string& path) {
    try {
        return trimmed(read_file(path));
    } catch (const Error& e) {
        if (e.errno_value() == ENOENT || e.errno_value() == ENODEV) return std::nullopt;
        throw;
    }
}

bool has_line(std::string_view text, std::string_view wanted) {
    while (!text.empty()) {
        const std::size_t end = std::min(text.find('\n'), text.size());
        if (text.substr(0, end) == wanted) return true;
        text.remove_prefix(std::min(end + 1, text.size()));
    }
    return false;
}

// runc's numbers (libcontainer/cgroups/fs/freezer.go): a cgroup v1 that keeps gaining tasks
// (fork, exec joining) may stay FREEZING; retrying the write, with an occasional thaw and
// pause, lets it settle. Most freezes succeed on the first or second round.
constexpr int kFreezeAttempts = 1000;
constexpr int kThawEvery = 50;
constexpr int kShortPauseEvery = 25;

// v2: how long a freeze may take to show up in cgroup.events (runc: 1000 x 10 ms).
constexpr auto kV2FreezeTimeout = 10s;

}  // namespace

void set_v1_freezer(const std::string& dir, bool frozen) {
    const std::string file = dir + "/freezer.state";
    if (!frozen) {
        // A cgroup that is gone (or has no freezer) has nothing to thaw.
        if (int err = try_write_file(file, "THAWED"); err != 0 && err != ENOENT && err != ENODEV) {
            throw_sys_error("write", file, err);
        }
        return;
    }
    // Leaving the cgroup FREEZING on failure would stop some of its tasks for good.
    auto thaw_back = [&file] { (void)try_write_file(file, "THAWED"); };
    try {
        for (int attempt = 0; attempt < kFreezeAttempts; ++attempt) {
            if (attempt % kThawEvery == kThawEvery - 1) {
                thaw_back();
                std::this_thread::sleep_for(10ms);
            }
            write_file(file, "FROZEN");
            if (attempt % kShortPauseEvery == kShortPauseEvery - 1) {
                std::this_thread::sleep_for(10us);
            }
            const std::string state = trimmed(read_file(file));
            if (state == "FROZEN") return;
            if (state != "FREEZING") fail("{}: unexpected state \"{}\" after FROZEN", file, state);
        }
    } catch (...) {
        thaw_back();
        throw;
    }
    thaw_back();
    fail("{}: still FREEZING after {} attempts (tasks keep entering the cgroup, or one is "
         "stuck in the kernel); thawed it again",
         file, kFreezeAttempts);
}

FreezerState v1_freezer_state(const std::string& dir) {
    const std::string file = dir + "/freezer.state";
    // FREEZING is transient unless a task cannot be frozen; do not wait forever for it.
    for (int attempt = 0; attempt < 2000; ++attempt) {
        const auto state = read_if_present(file);
        if (!state) return FreezerState::undefined;
        if (*state == "THAWED") return FreezerState::thawed;
        if (*state == "FREEZING") {
            std::this_thread::sleep_for(1ms);
            continue;
        }
        if (*state != "FROZEN") fail("{}: unknown state \"{}\"", file, *state);
        break;
    }
    // FROZEN (or stuck FREEZING): ours only if this cgroup was asked, not an ancestor.
    const auto self = read_if_present(dir + "/freezer.self_freezing");
    if (!self || *self == "1") return FreezerState::frozen;
    if (*self == "0") return FreezerState::thawed;
    fail("{}/freezer.self_freezing: unknown value \"{}\"", dir, *self);
}

void set_v2_freezer(const std::string& dir, bool frozen) {
    const std::string file = dir + "/cgroup.freeze";
    if (int err = try_write_file(file, frozen ? "1" : "0"); err != 0) {
        // Without cgroup.freeze there is nothing to thaw.
        if (!frozen && (err == ENOENT || err == ENODEV)) return;
        throw_sys_error("write", file, err);
    }
    if (!frozen) return;
    const std::string events = dir + "/cgroup.events";
    const auto deadline = std::chrono::steady_clock::now() + kV2FreezeTimeout;
    auto delay = 100us;
    for (;;) {
        if (has_line(read_file(events), "frozen 1")) return;
        if (std::chrono::steady_clock::now() >= deadline) break;
        std::this_thread::sleep_for(delay);
        delay = std::min<std::chrono::microseconds>(delay * 2, 10ms);
    }
    (void)try_write_file(file, "0");
    fail("{}: not \"frozen 1\" {} s after writing {}; thawed it again", events,
         std::chrono::duration_cast<std::chrono::seconds>(kV2FreezeTimeout).count(), file);
}

FreezerState v2_freezer_state(const std::string& dir) {
    const std::string file = dir + "/cgroup.freeze";
    const auto value = read_if_present(file);
    if (!value) return FreezerState::undefined;
    if (*value == "0") return FreezerState::thawed;
    if (*value == "1") return FreezerState::frozen;
    fail("{}: unknown value \"{}\"", file, *value);
}

}  // namespace detail
}  // namespace hako::cgroups
