#pragma once
#include <sys/types.h>

#include <string>
#include <vector>

#include "spec/spec.hpp"

namespace hako::process {

// "0 100000 65536\n..." as /proc/PID/uid_map expects it.
std::string format_id_map(const std::vector<spec::IdMapping>& mappings);

// Writes /proc/PID/uid_map and gid_map from the host side. Where the caller is not root in
// the parent namespace, setgroups is denied first as the kernel requires.
void write_id_maps(pid_t pid, const std::vector<spec::IdMapping>& uid_mappings,
                   const std::vector<spec::IdMapping>& gid_mappings);

}  // namespace hako::process
