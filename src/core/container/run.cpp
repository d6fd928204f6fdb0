#include "container/lifecycle.hpp"
#include "process/foreground.hpp"
#include "sys/error.hpp"

namespace hako::container {

namespace {

// As runc: a run whose start fails (e.g. a startContainer hook) leaves no container behind.
void start_or_remove(state::StateStore& store, const std::string& id,
                     const WarningSink& on_warning) {
    try {
        start(store, id, on_warning);
    } catch (...) {
        try {
            remove(store, id, true);
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

int run(state::StateStore& store, const CreateOptions& options, bool detach,
        const WarningSink& on_warning) {
    CreateOptions starting = options;
    starting.starts_at_once = true;
    if (detach) {
        report(create(store, starting).warnings, on_warning);
        start_or_remove(store, options.id, on_warning);
        return 0;
    }
    CreateOptions foreground = starting;
    foreground.foreground = true;
    const process::BlockedSignals blocked;
    Created created = create(store, foreground);
    report(created.warnings, on_warning);
    start_or_remove(store, options.id, on_warning);
    const int status = process::supervise_foreground(
        created.pid, created.console_master ? created.console_master.get() : -1);
    created.console_master.reset();
    remove(store, options.id, true, on_warning);
    return process::exit_code(status);
}

}  // namespace hako::container
