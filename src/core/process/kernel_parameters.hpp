#pragma once
// Writing linux.sysctl from inside the container.
#include <map>
#include <string>

#include "security/private_procfs.hpp"

namespace hako::process {

// Writes each "net.ipv4.ip_forward" = "1" to sys/net/ipv4/ip_forward of proc, the init's
// private procfs (security/private_procfs.hpp): the container's /proc may hold symlinks, a
// tmpfs or a bind of another procfs file over the target, which a write through it would
// follow to the host's core_pattern or sysrq-trigger (CVE-2025-52881). Per-namespace sysctls
// (net.*, kernel.shm*, ...) act on the namespaces of the calling init whatever procfs
// instance is used.
void write_sysctls(const std::map<std::string, std::string>& sysctls,
                   const security::PrivateProcfs& proc);

}  // namespace hako::process
