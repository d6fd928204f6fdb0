#pragma once
// "tmpcopyup", runc's and crun's mount extension: a tmpfs mounted over a directory of the
// image starts out holding a copy of what it covers. Podman's --read-only puts it on /tmp,
// /run and /var/tmp so that those stay writable and still hold the image's files.
#include <string>

namespace hako::fs {

// Copies the contents of directory source_dir_fd into the empty directory dest_dir_fd:
// directories, regular files, symlinks (copied, never followed), device nodes and FIFOs,
// with their permission bits and owners, as runc does (no times, no xattrs; hard links become
// separate files; sockets are skipped). dest_dir_fd then gets the source's permission bits
// (not its owner, as runc). Both fds may be O_PATH. what names the source directory in errors.
void copy_directory_contents(int source_dir_fd, int dest_dir_fd, const std::string& what);

}  // namespace hako::fs
