#pragma once
// The cgroup freezer in both flavours: v1's freezer.state (THAWED, FREEZING, FROZEN) and v2's
// cgroup.freeze, whose effect shows up later as "frozen 1" in cgroup.events. Freezing is
// asynchronous in both, so setting "frozen" waits until the kernel reports it, as runc does.
#include <string>
#include <string_view>

namespace hako::cgroups {

enum class FreezerState {
    undefined,  // no freezer for this cgroup (no v1 freezer hierarchy, or a kernel without it)
    thawed,
    frozen,
};
std::string_view freezer_state_name(FreezerState state);

namespace detail {

// v1: writes FROZEN until freezer.state reads FROZEN (tasks entering the cgroup meanwhile keep
// it FREEZING; it retries, thawing now and then, and gives up with the cgroup thawed again),
// or THAWED. Throws naming the file.
void set_v1_freezer(const std::string& dir, bool frozen);

// v1: frozen only when this cgroup itself was frozen (freezer.self_freezing), not through an
// ancestor; a transient FREEZING is waited out. undefined when there is no freezer.state.
FreezerState v1_freezer_state(const std::string& dir);

// v2: writes cgroup.freeze; when freezing, waits until cgroup.events says "frozen 1" and
// thaws again if it never does. Thawing a cgroup without cgroup.freeze is not an error.
void set_v2_freezer(const std::string& dir, bool frozen);

// v2: from cgroup.freeze (what was asked: a cgroup asked to freeze counts as frozen).
FreezerState v2_freezer_state(const std::string& dir);

}  // namespace detail
}  // namespace hako::cgroups
