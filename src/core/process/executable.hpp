#pragma once
#include <string>
#include <vector>

namespace hako::process {

// The path execve will run for args[0], searched in the PATH of env when it has no slash.
// Errors use the wording engines map to exit codes (Docker and Podman: "executable file not
// found in $PATH" / "no such file or directory" -> 127, "permission denied" -> 126), e.g.
// `exec: "foo": executable file not found in $PATH`.
std::string find_executable(const std::string& name, const std::vector<std::string>& env);

// strerror(err) as Go spells errno texts (runc's wording): lower-case first letter, so
// "no such file or directory" and "permission denied" match what Docker compares
// case-sensitively.
std::string exec_error_text(int err);

// The value of KEY in a "KEY=VALUE" list, or nullptr.
const char* find_env(const std::vector<std::string>& env, const std::string& key);

}  // namespace hako::process
