#pragma once
// Writing linux.sysctl and other procfs files from inside the container.
#include <map>
#include <string>

namespace hako::process {

// Writes each "net.ipv4.ip_forward" = "1" to /proc/sys/net/ipv4/ip_forward of the container's
// own procfs. The file is resolved inside the root without following symlinks and must be on
// procfs (PROC_SUPER_MAGIC), so an image cannot redirect the write (CVE-2025-52881).
void write_sysctls(const std::map<std::string, std::string>& sysctls);

}  // namespace hako::process
