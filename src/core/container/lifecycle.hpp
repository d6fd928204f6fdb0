#pragma once
// The OCI lifecycle operations, as the CLI commands call them. Each takes the state store and
// works on one container under its lock.
#include <sys/types.h>

#include <string>
#include <vector>

#include "state/state_store.hpp"

namespace hako::container {

struct CreateOptions {
    std::string id;
    std::string bundle = ".";
    std::string pid_file;
    bool no_pivot = false;
    bool no_new_keyring = false;
    int preserve_fds = 0;
};

struct Created {
    pid_t pid = 0;
    std::vector<std::string> warnings;
};

// Creates the container and leaves its init waiting on the exec gate. On failure nothing of
// it remains: no process, cgroup, mount or state directory.
Created create(state::StateStore& store, const CreateOptions& options);

// Lets the waiting init exec the user process.
void start(state::StateStore& store, const std::string& id);

// create + start; in the foreground forwards signals to the init, waits for it, deletes the
// container and returns the exit code (128+signal when killed). Detached: returns 0 once
// started.
int run(state::StateStore& store, const CreateOptions& options, bool detach);

// Sends signal to the init (or, with all, to every process of the container).
void kill(state::StateStore& store, const std::string& id, int signal, bool all);

// Deletes a stopped (or created) container; force kills a running one first.
void remove(state::StateStore& store, const std::string& id, bool force);

// The runtime-spec state document.
std::string state_json(state::StateStore& store, const std::string& id);

struct ListEntry {
    state::ContainerState state;
    state::Status status;
};
std::vector<ListEntry> list(state::StateStore& store);

}  // namespace hako::container
