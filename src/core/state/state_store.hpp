#pragma once
// The state store: one directory per container under the root (default /run/hako), holding
// state.json and the exec socket the waiting init listens on. Commands on one container are
// serialised by an flock on its directory; different containers never block each other.
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cgroups/layout.hpp"
#include "cgroups/manager.hpp"
#include "sys/unique_fd.hpp"

namespace hako::state {

enum class Status { creating, created, running, paused, stopped };
std::string_view status_name(Status status);

// Everything persisted in state.json. The OCI fields come first; the rest is what hako itself
// needs to find the container again.
struct ContainerState {
    std::string oci_version;
    std::string id;
    Status status = Status::creating;  // as last written; see ContainerDir::current_status
    pid_t pid = 0;
    std::string bundle;  // absolute
    std::string rootfs;  // absolute
    std::map<std::string, std::string> annotations;
    std::string created;  // RFC 3339 with nanoseconds, UTC
    std::string owner;    // "" for root, as runc
    std::uint64_t init_start_time = 0;  // /proc/PID/stat field 22 of the init
    // cgroup directory per hierarchy: key is the hierarchy mount point (e.g.
    // "/sys/fs/cgroup/memory" or "/sys/fs/cgroup/unified"), value the absolute directory.
    std::map<std::string, std::string> cgroup_paths;
    bool cgroup_created = false;  // hako made these dirs, so delete removes them
    // The hierarchies of cgroup_paths as `create` found them (which one is cgroup2, each v1
    // one's controllers), so later commands need not read the host's mount table, which on a
    // busy host has thousands of lines. Empty in state written by older hako versions.
    std::vector<cgroups::Hierarchy> cgroup_hierarchies;
    // linux.resources in force (JSON text, "" for none): the spec's, merged with every
    // `hako update` since, so the next update starts from it as with runc.
    std::string resources_json;
    // The poststart and poststop hooks (hooks/stored_hooks.hpp JSON text, "" for none), run
    // by `start` and `delete` without the bundle.
    std::string hooks_json;
};

// The cgroup layout of the container's hierarchies: the saved one, else (older state files)
// the host's, read from its mount table.
cgroups::Layout cgroup_layout(const ContainerState& state);

// The manager of the container's cgroups (cgroup_paths must not be empty).
std::unique_ptr<cgroups::Manager> cgroup_manager(const ContainerState& state);

// JSON text of the state, as `hako state` prints it (OCI fields) plus hako's own fields
// under their own names. to_oci_json prints only what runc's `state` prints:
// ociVersion,id,pid,status,bundle,rootfs,created,owner,annotations (pid 0 when stopped).
std::string to_json(const ContainerState& state);
std::string to_oci_json(const ContainerState& state, Status status);
ContainerState from_json(const std::string& text);  // throws hako::Error naming the field
// What `list` needs of a state, parsed without building the rest (the saved cgroup
// hierarchies, resources and hooks): listing a thousand containers is mostly JSON parsing.
ContainerState from_json_for_listing(const std::string& text);

class ContainerDir;

class StateStore {
public:
    // root is created (0700) on first use when missing.
    explicit StateStore(std::string root);

    [[nodiscard]] const std::string& root() const { return root_; }

    // Makes <root>/<id> exclusively (fails "container with id ID already exists") and returns
    // it locked.
    ContainerDir create(const std::string& id);
    // Opens and locks <root>/<id>; fails "container ID does not exist".
    ContainerDir open(const std::string& id);
    // Opens <root>/<id> without its lock, for commands that only read (state, list):
    // state.json is replaced atomically, so a reader sees the old or the new state, and a
    // `list` never queues behind a container being created or deleted (as runc's).
    ContainerDir open_for_reading(const std::string& id);
    // Ids of every container directory under root, sorted.
    std::vector<std::string> list_ids() const;

private:
    std::string root_;
};

class ContainerDir {
public:
    ContainerDir(std::string id, std::string path, sys::UniqueFd dir_fd);

    [[nodiscard]] const std::string& id() const { return id_; }
    [[nodiscard]] const std::string& path() const { return path_; }
    [[nodiscard]] int fd() const { return dir_fd_.get(); }

    // Writes state.json atomically (temp file + rename).
    void save(const ContainerState& state) const;
    // save() in two steps, so the writing can happen while hako would otherwise wait: stage
    // writes the temp file, commit_staged renames it over state.json. Until then readers see
    // the previous state; a staged file left by a killed hako goes with the directory.
    void stage(const ContainerState& state) const;
    void commit_staged() const;
    // Reads state.json; throws when missing or corrupt.
    ContainerState load() const;
    // nullopt when state.json does not exist yet (a create that was killed early).
    std::optional<ContainerState> try_load() const;
    // try_load through from_json_for_listing.
    std::optional<ContainerState> try_load_for_listing() const;

    // The status derived from the live process: stopped when the init is gone (or a different
    // process owns the pid), paused when the container's freezer is frozen (checked first, as
    // runc: a created container can be paused), created while the exec socket exists, else
    // running. "creating" while state.json says so and the init lives.
    // layout: the host's cgroup layout when the caller already has it (list), else detected.
    Status current_status(const ContainerState& state,
                          const cgroups::Layout* layout = nullptr) const;

    // Lets other hako commands at the container while this one waits (a foreground run,
    // while its process runs). relock() takes the lock back and says whether the directory
    // is still there: another command may have deleted the container meanwhile, and a new
    // one under the same id is not this one.
    void unlock();
    [[nodiscard]] bool relock();

    // Path of the unix socket the waiting init listens on.
    [[nodiscard]] std::string exec_socket_path() const { return path_ + "/exec.sock"; }

    // Removes the directory and everything in it.
    void remove();

private:
    std::optional<ContainerState> try_load_with(ContainerState (*parse)(const std::string&)) const;

    std::string id_;
    std::string path_;
    sys::UniqueFd dir_fd_;  // O_DIRECTORY, holds the flock
};

// Current time as RFC 3339 with nanoseconds in UTC ("2026-11-23T23:14:27.123456789Z").
std::string rfc3339_now();

}  // namespace hako::state
