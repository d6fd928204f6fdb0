#pragma once
// The OCI lifecycle operations, as the CLI commands call them. Each takes the state store and
// works on one container under its lock.
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "cgroups/resources.hpp"
#include "state/state_store.hpp"
#include "sys/unique_fd.hpp"

namespace hako::container {

struct CreateOptions {
    std::string id;
    std::string bundle = ".";
    std::string pid_file;
    bool no_pivot = false;
    bool no_new_keyring = false;
    int preserve_fds = 0;
    // process.terminal: where the pty master goes (runc's protocol). Without it only a
    // foreground `run` may have a terminal, which it then relays itself.
    std::string console_socket;
    bool foreground = false;  // `run` without -d
    // `run`: start follows at once, so the init keeps its pages instead of giving them back
    // while it waits (process/idle_memory.hpp) only to fault them in again.
    bool starts_at_once = false;
    bool tty = false;         // `run -t`: process.terminal forced on
    // Re-executes hako from a sealed binary, for the containers the exec trampoline cannot
    // serve (security/exec_trampoline.hpp); the CLI passes security::ensure_sealed_exe with
    // its argv.
    std::function<void()> seal_binary;
};

struct Created {
    pid_t pid = 0;
    std::vector<std::string> warnings;
    sys::UniqueFd console_master;  // process.terminal without --console-socket
};

// Creates the container and leaves its init waiting on the exec gate. On failure nothing of
// it remains: no process, cgroup, mount or state directory.
Created create(state::StateStore& store, const CreateOptions& options);

// Where the failures the spec makes warnings go (poststart and poststop hooks); the CLI
// logs them. Empty: dropped.
using WarningSink = std::function<void(const std::string&)>;

// Lets the waiting init exec the user process (its startContainer hooks first; their failure
// fails start), then runs the poststart hooks.
void start(state::StateStore& store, const std::string& id, const WarningSink& on_warning = {});

// create + start; in the foreground forwards signals to the init, waits for it, deletes the
// container and returns the exit code (128+signal when killed). Detached: returns 0 once
// started.
int run(state::StateStore& store, const CreateOptions& options, bool detach,
        const WarningSink& on_warning = {});

// Sends signal to the init (or, with all, to every process of the container).
void kill(state::StateStore& store, const std::string& id, int signal, bool all);

// Deletes a stopped (or created) container; force kills a running one first. Then runs the
// poststop hooks.
void remove(state::StateStore& store, const std::string& id, bool force,
            const WarningSink& on_warning = {});

struct ExecOptions {
    std::string id;
    std::string process_file;       // --process: an OCI process object
    std::vector<std::string> args;  // the command, when there is no --process
    bool detach = false;
    std::string pid_file;
    bool tty = false;
    std::string console_socket;
    std::string cwd;
    std::vector<std::string> env;  // KEY=VALUE
    std::string user;              // UID[:GID]
    std::vector<std::string> additional_gids;
    std::vector<std::string> caps;
    bool no_new_privs = false;
    std::string apparmor;
    std::string process_label;
    int preserve_fds = 0;
    std::vector<std::string> cgroups;  // [controller[,controller]:]sub-cgroup
    bool ignore_paused = false;
    std::function<void(const std::string&)> on_warning;
    std::function<void()> seal_binary;  // as CreateOptions::seal_binary
};

// Runs a new process in a running (or created) container, joining its namespaces, cgroups
// and security settings. Detached: returns 0 once the process exec'd and the pid file exists.
// In the foreground: forwards signals (and relays the pty when there is no console socket)
// and returns the process's exit code (128+signal when killed).
int exec(state::StateStore& store, const ExecOptions& options);

// `hako update`: merges changes into the resources in force (kept in state.json) and writes
// the result to the cgroups of a created, running or paused container, as runc does (device
// rules are left alone). On failure the previous resources are written back. Returns warnings
// for settings the host cannot express.
std::vector<std::string> update(state::StateStore& store, const std::string& id,
                                const cgroups::Resources& changes, const std::string& where);

// The runtime-spec state document.
std::string state_json(state::StateStore& store, const std::string& id);

// One listed container: the fields of its state document and nothing more.
struct ListEntry {
    std::string oci_version;
    std::string id;
    pid_t pid = 0;
    state::Status status = state::Status::stopped;
    std::string bundle;
    std::string rootfs;
    std::string created;
    std::string owner;
    std::map<std::string, std::string> annotations;

    // As `state` prints it.
    [[nodiscard]] std::string oci_json() const;
};
// Visits every container under the store's root, in id order. One entry exists at a time: a
// thousand containers' listings held at once were most of `list`'s memory, and made its peak
// RSS exceed crun's.
void list(state::StateStore& store, const std::function<void(const ListEntry&)>& visit);

// Freezes every process of a running or created container ("container not running"
// otherwise); `state` then says "paused".
void pause(state::StateStore& store, const std::string& id);
// Thaws a paused container ("container not paused" otherwise).
void resume(state::StateStore& store, const std::string& id);

// Host pids of every process in the container's cgroups, sorted (empty once they are gone).
std::vector<pid_t> processes(state::StateStore& store, const std::string& id);
// Runs the host's `ps` with ps_args (default -ef) and keeps its header and the rows whose PID
// column is one of the container's processes, as runc does.
std::string ps_table(state::StateStore& store, const std::string& id,
                     const std::vector<std::string>& ps_args);

struct EventsOptions {
    std::chrono::nanoseconds interval = std::chrono::seconds(5);
    bool stats_once = false;  // --stats: one stats document, then return
};
using EventSink = std::function<void(const std::string& json_line)>;
// Emits runc's events as JSON lines: {"type":"stats","id":ID,"data":{...}} every interval and
// {"type":"oom","id":ID} for each OOM kill, until the container's init exits (or its cgroup
// goes). Fails when the container is not running.
void events(state::StateStore& store, const std::string& id, const EventsOptions& options,
            const EventSink& emit);

}  // namespace hako::container
