#pragma once
// A procfs instance that belongs to hako's container init alone, for the writes the runtime
// itself makes to /proc while it sets a container up: sysctls and LSM labels.
//
// The container's /proc cannot be trusted for them. An image or a volume can put a tmpfs or a
// bind mount of another procfs file where the runtime expects /proc/self/attr/exec or
// /proc/sys/... (CVE-2019-16884, CVE-2025-52881): a check that the file is "on procfs" passes
// for /proc/sys/kernel/core_pattern bound over /proc/sys/net/ipv4/ip_forward. This instance is
// a detached mount (fsopen + fsmount) that exists only as an fd of the init: nothing can be
// mounted on it, and files are opened beneath it with no symlink followed and no mount crossed.
#include <string>
#include <string_view>
#include <utility>

#include "sys/unique_fd.hpp"

namespace hako::security {

// Throws unless fd lies on a procfs (fstatfs f_type == PROC_SUPER_MAGIC). what names the file
// in the one-line error.
void require_procfs(int fd, std::string_view what);

// Opens relative (e.g. "sys/net/ipv4/ip_forward") beneath dir_fd without following any
// symlink or magic link and without crossing a mount (openat2 RESOLVE_BENEATH |
// RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV; component by component with
// O_NOFOLLOW where openat2 is unavailable), then requires the result to be on procfs.
// Throws naming what.
sys::UniqueFd open_procfs_file(int dir_fd, std::string_view relative, int flags,
                               std::string_view what);

class PrivateProcfs {
public:
    // A fresh procfs of the caller's pid namespace, detached. Where the kernel refuses a new
    // instance, a detached clone of the current mount namespace's /proc (the host's, before
    // pivot_root: out of the container's reach).
    static PrivateProcfs open();

    // Opens relative beneath this instance; see open_procfs_file.
    [[nodiscard]] sys::UniqueFd open_file(std::string_view relative, int flags) const;
    // The calling thread's directory in this instance, "<pid>/task/<tid>", read from its
    // thread-self link so that it holds in whichever pid namespace the instance belongs to.
    [[nodiscard]] std::string thread_self() const;
    [[nodiscard]] int fd() const noexcept { return root_.get(); }

private:
    explicit PrivateProcfs(sys::UniqueFd root) : root_(std::move(root)) {}
    sys::UniqueFd root_;
};

}  // namespace hako::security
