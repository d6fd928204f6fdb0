#pragma once
// The process's terminal (process.terminal), made the way runc makes it, inside the
// container: /dev/ptmx of the caller's root (the container's, after pivot_root or after joining
// its mount namespace) resolves to the container's own devpts instance (/dev/ptmx ->
// pts/ptmx), so the pty belongs to the container and its name ("/dev/pts/0") is the one the
// container sees. The master goes to the parent over the sync channel; the slave becomes the
// process's controlling terminal and stdio.
//
// CVE-2025-52565: a container can replace /dev/ptmx, /dev/pts or /dev/console with symlinks or
// other files. Every handle is therefore checked before use (a devpts inode with the pty
// majors), the slave is opened through the master (TIOCGPTPEER) rather than by path, and
// /dev/console is bound through fds onto a verified regular file or character device.
#include <optional>
#include <string>

#include "spec/spec.hpp"
#include "sys/unique_fd.hpp"

namespace hako::process {

struct Pty {
    sys::UniqueFd master;
    sys::UniqueFd slave;
    std::string name;  // "/dev/pts/N", as the container sees it
};

// Opens ptmx_path (relative paths and symlinks resolve in the caller's root), verifies the
// master, unlocks it, opens the slave with TIOCGPTPEER and verifies it, and applies size when
// given. Throws naming the path on every failure.
Pty open_pty(const std::optional<spec::ConsoleSize>& size, const char* ptmx_path = "/dev/ptmx");

// Throws unless fd is a pty master (char 5:2) on a devpts filesystem.
void verify_pty_master(int fd);
// Throws unless fd is a pty slave (char major 136..143) on a devpts filesystem.
void verify_pty_slave(int fd);

// Bind-mounts the slave over /dev/console of the caller's root, creating an empty regular file
// there when missing. The target is opened with O_NOFOLLOW under /dev and must be a regular
// file or a character device on neither procfs nor sysfs.
void mount_console(int slave_fd);

// setsid, then the slave becomes the controlling terminal (TIOCSCTTY) and fds 0, 1 and 2.
void make_controlling_terminal(int slave_fd);

// TIOCSWINSZ on a pty fd.
void set_window_size(int fd, const spec::ConsoleSize& size);

}  // namespace hako::process
