#pragma once
// The network and ipc namespaces of a new container, made by a helper thread while `create`
// still validates, saves its state and makes the cgroup2 directory. A network namespace is
// the most expensive namespace the kernel makes (~0.4 ms of sysctl tables and devices, most
// of clone3's time); made ahead on another CPU it no longer lengthens the clone. The init
// enters them first thing, before any other join; owned by hako's user namespace, they are
// what clone3 would have made.
//
// The helper then makes the spec's new tmpfs, devpts, mqueue and sysfs filesystems
// (fs::FilesystemAhead), the last two in those namespaces, as the init would have.
//
// Only for the plain plan: no user namespace (a namespace must belong to the user namespace
// the container gets) and nothing joined by path (those namespaces are unshared after the
// joins). Otherwise, or when the thread fails, clone3 makes them as before.
#include <cstdint>
#include <vector>

#include "fs/rootfs.hpp"
#include "process/namespace_plan.hpp"
#include "sys/helper_thread.hpp"
#include "sys/unique_fd.hpp"

namespace hako::process {

struct MadeNamespace {
    sys::UniqueFd fd;    // nsfs
    std::uint64_t flag;  // its CLONE_NEW* flag
};

class NamespacesMadeAhead {
public:
    // Starts making the plan's new network and ipc namespaces, when the plan allows it, and
    // then the filesystems.
    explicit NamespacesMadeAhead(const NamespacePlan& plan,
                                 std::vector<fs::FilesystemAhead> filesystems = {});
    NamespacesMadeAhead(const NamespacesMadeAhead&) = delete;
    NamespacesMadeAhead& operator=(const NamespacesMadeAhead&) = delete;

    // Whether a helper is making namespaces, until take().
    [[nodiscard]] bool started() const { return flags_ != 0; }

    // Waits for the helper and hands over what it made (nothing on failure). It must have
    // ended before clone3 (sys/helper_thread.hpp).
    std::vector<MadeNamespace> take();
    // After take(): the filesystems, when it handed the namespaces over (they belong to them).
    std::vector<fs::FilesystemAhead> take_filesystems();

private:
    static void make_in_helper(void* self) noexcept;

    std::uint64_t flags_ = 0;
    sys::UniqueFd net_;  // written by the helper, read after the join
    sys::UniqueFd ipc_;
    std::vector<fs::FilesystemAhead> filesystems_;  // made by the helper, in place
    bool handed_over_ = false;
    sys::HelperThread helper_;  // last: joined before the fds it writes are destroyed
};

// The namespaces made ahead as one set of CLONE_NEW* flags.
std::uint64_t flags_of(const std::vector<MadeNamespace>& made);

}  // namespace hako::process
