#include "cgroups/driver.hpp"

#include <exception>

#include "cgroups/cgroup_fs.hpp"

namespace hako::cgroups::detail {

std::vector<pid_t> Driver::pids() const {
    return pids_of(dirs());
}

void Driver::signal_all(int signal) {
    signal_pids(pids(), signal);
}

void Driver::destroy() {
    prepare_kill();
    std::vector<std::string> all = dirs();
    kill_until_empty(all);  // anything left makes the rmdir below fail with EBUSY, by name
    // Every hierarchy is tried even when one fails, so one stuck directory leaves no others.
    std::exception_ptr first_error;
    for (const std::string& dir : all) {
        try {
            remove_tree(dir);
        } catch (...) {
            if (!first_error) first_error = std::current_exception();
        }
    }
    if (first_error) std::rethrow_exception(first_error);
}

}  // namespace hako::cgroups::detail
