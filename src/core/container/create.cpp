#include <signal.h>
#include <sys/stat.h>

#include <climits>
#include <cstdlib>
#include <memory>

#include "cgroups/layout.hpp"
#include "cgroups/manager.hpp"
#include "container/lifecycle.hpp"
#include "container/pid_file.hpp"
#include "process/exec_gate.hpp"
#include "process/launcher.hpp"
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
    }
    CreateRollback(const CreateRollback&) = delete;
    CreateRollback& operator=(const CreateRollback&) = delete;

    void track_cgroups(cgroups::Manager* manager) { cgroups_ = manager; }
    void commit() { committed_ = true; }

private:
    state::ContainerDir& dir_;
    cgroups::Manager* cgroups_ = nullptr;
    bool committed_ = false;
};

}  // namespace

Created create(state::StateStore& store, const CreateOptions& options) {
    state::validate_container_id(options.id);
    const std::string bundle = absolute_path(options.bundle, "bundle");
    const spec::Spec spec = spec::load_spec(bundle);
    const std::string rootfs = resolve_rootfs(bundle, spec);
    const cgroups::Layout layout = cgroups::detect_layout();
    const auto cgroup_manager = cgroups::make_manager(layout, spec.linux_config.cgroups_path, options.id);

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
    state.cgroup_created = true;
    // Saved before anything is made, so a killed create leaves what `delete --force` cleans.
    dir.save(state);

    rollback.track_cgroups(cgroup_manager.get());
    cgroup_manager->create();
    const sys::UniqueFd gate = process::listen_exec_gate(dir.fd());

    process::LaunchRequest request;
    request.spec = &spec;
    request.container_id = options.id;
    request.bundle = bundle;
    request.rootfs = rootfs;
    request.preserve_fds = options.preserve_fds;
    request.no_pivot = options.no_pivot;
    request.no_new_keyring = options.no_new_keyring;
    request.exec_gate_fd = gate.get();
    request.cgroups = cgroup_manager.get();
    request.cgroup_layout = &layout;
    process::LaunchedInit init = process::launch_init(request);

    state.pid = init.pid;
    const auto stat = state::read_proc_stat(init.pid);
    state.init_start_time = stat ? stat->start_time : 0;
    state.status = state::Status::created;
    try {
        dir.save(state);
        if (!options.pid_file.empty()) write_pid_file(options.pid_file, init.pid);
    } catch (...) {
        sys::pidfd_send_signal(init.pidfd.get(), SIGKILL);
        throw;
    }
    rollback.commit();
    return {init.pid, std::move(init.warnings)};
}

}  // namespace hako::container
