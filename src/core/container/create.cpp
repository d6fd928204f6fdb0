#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <memory>
#include <optional>

#include "cgroups/device_filter.hpp"
#include "cgroups/layout.hpp"
#include "cgroups/manager.hpp"
#include "container/lifecycle.hpp"
#include "container/lifecycle_hooks.hpp"
#include "container/lifecycle_steps.hpp"
#include "container/pid_file.hpp"
#include "fs/rootfs.hpp"
#include "process/console_socket.hpp"
#include "hooks/stored_hooks.hpp"
#include "process/exec_gate.hpp"
#include "process/foreground.hpp"
#include "process/launcher.hpp"
#include "process/namespace_plan.hpp"
#include "process/namespaces_ahead.hpp"
#include "security/exec_trampoline.hpp"
#include "security/seccomp_cache.hpp"
#include "security/seccomp_init.hpp"
#include "spec/spec.hpp"
#include "state/container_id.hpp"
#include "state/proc_stat.hpp"
#include "sys/error.hpp"
#include "sys/syscalls.hpp"

namespace hako::container {
namespace {

std::string absolute_path(const std::string& path, const char* what) {
    char resolved[PATH_MAX];
    if (::realpath(path.c_str(), resolved) == nullptr) throw_sys_error(what, path);
    return resolved;
}

std::string resolve_rootfs(const std::string& bundle, const spec::Spec& spec) {
    const std::string& root = spec.root.path;
    const std::string joined = root.front() == '/' ? root : bundle + "/" + root;
    const std::string rootfs = absolute_path(joined, "rootfs");
    struct stat st {};
    if (::stat(rootfs.c_str(), &st) < 0 || !S_ISDIR(st.st_mode))
        fail("rootfs {}: not a directory", rootfs);
    return rootfs;
}

// systemd socket activation, as runc does it: when LISTEN_PID is hako's own pid, the
// LISTEN_FDS fds from 3 on pass to the container (before the --preserve-fds ones).
int listen_fds_count() {
    const char* pid = std::getenv("LISTEN_PID");
    const char* fds = std::getenv("LISTEN_FDS");
    if (pid == nullptr || fds == nullptr) return 0;
    char* end = nullptr;
    const long listen_pid = std::strtol(pid, &end, 10);
    if (*pid == '\0' || *end != '\0' || listen_pid != ::getpid()) return 0;
    const long count = std::strtol(fds, &end, 10);
    if (*fds == '\0' || *end != '\0' || count <= 0 || count > 1024) return 0;
    return static_cast<int>(count);
}

// Sets KEY=value in env, replacing an existing KEY.
void set_env(std::vector<std::string>& env, const std::string& key, const std::string& value) {
    const std::string prefix = key + "=";
    for (auto& entry : env) {
        if (entry.rfind(prefix, 0) == 0) {
            entry = prefix + value;
            return;
        }
    }
    env.push_back(prefix + value);
}

// Undoes a half-made create: the cgroups it made and the state directory. The init itself is
// killed by the launcher, or, when it was already created, here.
class CreateRollback {
public:
    explicit CreateRollback(state::ContainerDir& dir) : dir_(dir) {}
    ~CreateRollback() {
        if (committed_) return;
        try {
            if (cgroups_ != nullptr) cgroups_->destroy();
        } catch (...) {
        }
        try {
            dir_.remove();
        } catch (...) {
        }
        // The spec's lifecycle goes on to destroy and poststop after a failed create, as runc
        // does; their failures are dropped so the one error stays the only log line.
        try {
            if (poststop_state_) (void)run_poststop_hooks(*poststop_state_);
        } catch (...) {
        }
    }
    CreateRollback(const CreateRollback&) = delete;
    CreateRollback& operator=(const CreateRollback&) = delete;

    void track_cgroups(cgroups::Manager* manager) { cgroups_ = manager; }
    void commit() { committed_ = true; }
    void run_poststop_hooks_on_failure(state::ContainerState state) {
        if (!state.hooks_json.empty()) poststop_state_ = std::move(state);
    }

private:
    state::ContainerDir& dir_;
    cgroups::Manager* cgroups_ = nullptr;
    std::optional<state::ContainerState> poststop_state_;
    bool committed_ = false;
};

}  // namespace

CreatedContainer create_container(state::StateStore& store, const CreateOptions& options) {
    state::validate_container_id(options.id);
    const std::string bundle = absolute_path(options.bundle, "bundle");
    spec::Spec spec = spec::load_spec(bundle);
    // Started first, so the kernel makes the network namespace while the rest is checked.
    process::NamespacesMadeAhead namespaces_ahead(process::plan_namespaces(spec.linux_config),
                                                  fs::filesystems_to_make_ahead(spec));
    if (options.tty && spec.process) spec.process->terminal = true;
    if (spec.process)
        process::check_console_options(spec.process->terminal, !options.foreground,
                                       options.console_socket);
    if (spec.process && spec.process->terminal && options.foreground &&
        options.console_socket.empty()) {
        // `run` relays this pty to its own terminal: the process starts with that size.
        if (auto size = process::caller_terminal_size()) spec.process->console_size = size;
    }
    const int listen_fds = listen_fds_count();
    if (listen_fds > 0 && spec.process) {
        set_env(spec.process->env, "LISTEN_FDS", std::to_string(listen_fds));
        set_env(spec.process->env, "LISTEN_PID", "1");
    }
    const std::string rootfs = resolve_rootfs(bundle, spec);
    const cgroups::Layout layout = cgroups::detect_layout();
    const auto cgroup_manager = cgroups::make_manager(layout, spec.linux_config.cgroups_path, options.id);
    // Parsed before anything exists, so a bad value leaves nothing behind.
    const cgroups::Resources resources =
        cgroups::parse_resources(spec.linux_config.resources_json, "linux.resources");
    const security::SeccompCache seccomp_cache(store.root() + "/.seccomp-cache");
    const security::InitSeccomp seccomp(spec, &seccomp_cache);
    const std::optional<security::ExecTrampoline> trampoline =
        security::trampoline_or_sealed_binary(spec, seccomp, options.seal_binary);

    state::ContainerDir dir = store.create(options.id);
    CreateRollback rollback(dir);

    state::ContainerState state;
    state.oci_version = spec.oci_version;
    state.id = options.id;
    state.status = state::Status::creating;
    state.bundle = bundle;
    state.rootfs = rootfs;
    state.annotations = spec.annotations;
    state.created = state::rfc3339_now();
    state.cgroup_paths = cgroup_manager->paths();
    for (const cgroups::Hierarchy& hierarchy : layout.hierarchies)
        if (state.cgroup_paths.contains(hierarchy.mount_point))
            state.cgroup_hierarchies.push_back(hierarchy);
    state.cgroup_created = true;
    state.resources_json = cgroups::resources_to_json(resources);
    state.hooks_json = hooks::stored_hooks_json(spec.hooks);
    // Saved before anything is made, so a killed create leaves what `delete --force` cleans.
    dir.save(state);
    rollback.run_poststop_hooks_on_failure(state);

    rollback.track_cgroups(cgroup_manager.get());
    // The cgroup2 directory now, for CLONE_INTO_CGROUP. The v1 ones now too when a helper is
    // making the network namespace, since hako would only wait for it before the clone;
    // otherwise once the init is cloned, while it mounts. The limits are written while it
    // joins and mounts (launcher.hpp `apply_resources`); it waits for them before it makes
    // the devices, long before any user code runs. The
    // device rules are the spec's followed by runc's defaults (/dev/null, /dev/pts/*, ...).
    cgroup_manager->create_unified();
    const bool v1_before_clone = namespaces_ahead.started();
    if (v1_before_clone) cgroup_manager->create_v1();
    cgroups::Resources applied = resources;
    std::vector<std::string> device_paths;
    for (const spec::Device& device : spec.linux_config.devices) device_paths.push_back(device.path);
    applied.devices = cgroups::effective_device_rules(resources.devices, device_paths);
    std::vector<std::string> warnings;
    // `run` starts at once: no gate, the init execs as soon as it is ready.
    const sys::UniqueFd gate =
        options.starts_at_once ? sys::UniqueFd() : process::listen_exec_gate(dir.fd());

    process::LaunchRequest request;
    request.spec = &spec;
    request.container_id = options.id;
    request.bundle = bundle;
    request.rootfs = rootfs;
    request.preserve_fds = listen_fds + options.preserve_fds;
    request.no_pivot = options.no_pivot;
    request.no_new_keyring = options.no_new_keyring;
    request.exec_gate_fd = gate.get();
    request.cgroups = cgroup_manager.get();
    request.cgroup_layout = &layout;
    request.seccomp = &seccomp;
    request.release_idle_memory = !options.starts_at_once;
    request.starts_at_once = options.starts_at_once;
    request.exec_trampoline_fd = trampoline ? trampoline->fd() : -1;
    request.namespaces_ahead = &namespaces_ahead;
    if (!v1_before_clone) request.make_cgroups = [&] { cgroup_manager->create_v1(); };
    request.apply_resources = [&] { warnings = cgroup_manager->apply(applied, {}); };
    // The state as it will be once the init is ready, staged while it mounts and committed
    // after kReady: that rename is all that is left after it.
    request.while_init_prepares = [&](pid_t pid) {
        state.pid = pid;
        const auto stat = state::read_proc_stat(pid);
        state.init_start_time = stat ? stat->start_time : 0;
        // Started at once, the init goes straight on to execve: saved as running at once.
        state.status = options.starts_at_once ? state::Status::running : state::Status::created;
        dir.stage(state);
    };
    process::LaunchedInit init = process::launch_init(request);

    try {
        if (init.console_master && !options.console_socket.empty()) {
            process::send_console(options.console_socket, init.console_name,
                                  init.console_master.get());
            init.console_master.reset();
        }
        dir.commit_staged();
        if (!options.pid_file.empty()) write_pid_file(options.pid_file, init.pid);
    } catch (...) {
        sys::pidfd_send_signal(init.pidfd.get(), SIGKILL);
        throw;
    }
    rollback.commit();
    warnings.insert(warnings.end(), init.warnings.begin(), init.warnings.end());
    return {{init.pid, std::move(warnings), std::move(init.console_master)},
            std::move(dir),
            std::move(state),
            std::move(init.exec_channel)};
}

Created create(state::StateStore& store, const CreateOptions& options) {
    return std::move(create_container(store, options).created);
}

}  // namespace hako::container
