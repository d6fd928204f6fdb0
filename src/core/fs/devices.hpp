#pragma once
// Device nodes and the standard /dev symlinks inside the rootfs.
#include <vector>

#include "spec/spec.hpp"

namespace hako::fs {

// runc's default set (null, zero, full, random, urandom, tty) merged with the spec's devices
// (a spec entry replaces a default one with the same path).
std::vector<spec::Device> devices_to_create(const std::vector<spec::Device>& spec_devices);

// Creates each device inside root_fd: mknod, or, in a user namespace where mknod is not
// allowed, an empty file with the host's device node bind-mounted onto it.
void create_devices(int root_fd, const std::vector<spec::Device>& devices, bool bind_from_host);

// /dev/fd, /dev/stdin, /dev/stdout, /dev/stderr, /dev/ptmx (-> pts/ptmx) and /dev/core.
void create_dev_symlinks(int root_fd);

}  // namespace hako::fs
