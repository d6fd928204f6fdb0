#include <optional>

#include "container/lifecycle.hpp"
#include "container/lifecycle_steps.hpp"
#include "process/foreground.hpp"
#include "sys/error.hpp"

namespace hako::container {

namespace {

// As runc: a run whose start fails (e.g. a startContainer hook) leaves no container behind.
void start_or_remove(CreatedContainer& container, const WarningSink& on_warning) {
    try {
        await_started(container, on_warning);
    } catch (...) {
        try {
            remove_loaded(container.dir, container.state, true, {});
        } catch (...) {
        }
        throw;
    }
}

void report(const std::vector<std::string>& warnings, const WarningSink& on_warning) {
    for (const auto& warning : warnings)
        if (on_warning) on_warning(warning);
}

}  // namespace

// create and start hold the container's directory locked and pass the state along instead
// of reading it back. A foreground run keeps that directory and state to the end, unlocked
// while the process runs so kill, exec or pause can act on it meanwhile.
int run(state::StateStore& store, const CreateOptions& options, bool detach,
        const WarningSink& on_warning) {
    CreateOptions starting = options;
    starting.starts_at_once = true;
    starting.foreground = !detach;
    std::optional<process::BlockedSignals> blocked;
    if (!detach) blocked.emplace();
    CreatedContainer container = create_container(store, starting);
    report(container.created.warnings, on_warning);
    start_or_remove(container, on_warning);
    if (detach) return 0;
    container.dir.unlock();
    Created& created = container.created;
    const int status = process::supervise_foreground(
        created.pid, created.console_master ? created.console_master.get() : -1);
    created.console_master.reset();
    // Deleted with the state it was created with: what deletion reads (pid, cgroups, hooks)
    // never changes, and the status comes from the kernel.
    if (container.dir.relock()) remove_loaded(container.dir, container.state, true, on_warning);
    return process::exit_code(status);
}

}  // namespace hako::container
