#include "process/hook_points.hpp"

#include <unistd.h>

#include <array>
#include <charconv>

#include "hooks/runner.hpp"
#include "sys/error.hpp"

namespace hako::process {
namespace {

std::string state_json(const LaunchRequest& request, const char* status, pid_t pid) {
    return hooks::to_json(
        hooks::make_hook_state(*request.spec, request.container_id, request.bundle, status, pid));
}

}  // namespace

void run_runtime_hooks(const LaunchRequest& request, pid_t init_pid) {
    const spec::Hooks& hooks = request.spec->hooks;
    hooks::HookRun run;
    run.state_json = state_json(request, "creating", init_pid);
    run.cwd = request.bundle;
    hooks::run_hooks(hooks::HookKind::prestart, hooks.prestart, run);
    hooks::run_hooks(hooks::HookKind::create_runtime, hooks.create_runtime, run);
}

void run_pre_pivot_hooks(const LaunchRequest& request, const SyncChannel& channel, pid_t host_pid) {
    const spec::Hooks& hooks = request.spec->hooks;
    if (!hooks.prestart.empty() || !hooks.create_runtime.empty()) {
        channel.send(SyncType::kHooks);
        channel.receive(SyncType::kHooksDone);
    }
    if (hooks.create_container.empty()) return;
    hooks::HookRun run;
    run.state_json = state_json(request, "creating", host_pid);
    // As runc: the hook starts in the rootfs (its mounts in place, not yet the root).
    run.cwd = request.rootfs;
    // The init runs with umask 0 for the rootfs; the hook gets the usual one, as under runc.
    run.umask = 022;
    hooks::run_hooks(hooks::HookKind::create_container, hooks.create_container, run);
}

void run_start_container_hooks(const LaunchRequest& request, pid_t host_pid) {
    const spec::Hooks& hooks = request.spec->hooks;
    if (hooks.start_container.empty()) return;
    hooks::HookRun run;
    run.state_json = state_json(request, "created", host_pid);
    hooks::run_hooks(hooks::HookKind::start_container, hooks.start_container, run);
}

pid_t host_pid_from_go(const SyncMessage& go) {
    pid_t pid = 0;
    const char* end = go.text.data() + go.text.size();
    const auto [ptr, ec] = std::from_chars(go.text.data(), end, pid);
    return ec == std::errc() && ptr == end ? pid : 0;
}

pid_t host_pid_from_host_procfs(const LaunchRequest& request) {
    const spec::Hooks& hooks = request.spec->hooks;
    if (hooks.create_container.empty() && hooks.start_container.empty()) return 0;
    std::array<char, 32> link{};
    const ssize_t length = ::readlink("/proc/self", link.data(), link.size());
    pid_t pid = 0;
    if (length > 0) std::from_chars(link.data(), link.data() + length, pid);
    if (pid <= 0) fail("cannot tell the container init's host pid from /proc/self");
    return pid;
}

}  // namespace hako::process
