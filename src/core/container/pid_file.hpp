#pragma once
#include <sys/types.h>

#include <string>

namespace hako::container {

// Writes the decimal pid with no newline to a temporary file beside path and renames it into
// place, so engines never read a partial pid file.
void write_pid_file(const std::string& path, pid_t pid);

}  // namespace hako::container
