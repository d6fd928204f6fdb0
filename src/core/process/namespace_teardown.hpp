#pragma once
// The namespaces of a foreground `run`'s container, held while its process runs so that
// tearing them down is not part of the init's exit, which `run` waits on. The mount
// namespace's teardown alone unmounts every mount of the container and waits out an RCU
// grace period (~0.15 ms with the default spec's thirty-odd mounts). Once the init is reaped,
// `run` lets them go on another CPU while it deletes the cgroups and the state.
#include <sys/types.h>

#include <array>

#include "sys/helper_thread.hpp"
#include "sys/unique_fd.hpp"

namespace hako::process {

class NamespaceTeardown {
public:
    // Holds pid's mount, network and ipc namespaces (those that open). pid must be hako's
    // own unreaped child, so the number cannot name another process.
    explicit NamespaceTeardown(pid_t pid);

    // Lets them go on a helper thread, or here when none starts.
    void release_elsewhere() noexcept;

private:
    static void release(void* self) noexcept;

    std::array<sys::UniqueFd, 3> held_;
    sys::HelperThread helper_;  // last: joined before held_ goes
};

}  // namespace hako::process
