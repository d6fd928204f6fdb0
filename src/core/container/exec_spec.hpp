#pragma once
// The process `hako exec` runs, built as runc builds it: from --process FILE (an OCI process
// object), or from the container's config.json process with the command line's ARGS and
// overrides. Pure functions, so every rule is unit-tested.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "container/lifecycle.hpp"
#include "spec/spec.hpp"

namespace hako::container {

// A uid or gid given on the command line: decimal digits only, 0 .. 4294967294 ((uid_t)-1
// means "unchanged" to the kernel). Never looked up as a name (CVE-2016-3697), never
// truncated (CVE-2026-30892). what names the flag in the error.
std::uint32_t parse_id(std::string_view text, std::string_view what);

struct ExecUser {
    std::uint32_t uid = 0;
    std::optional<std::uint32_t> gid;
};
// "-u UID" or "-u UID:GID". "1000:", ":5", "abc", "-1" and overflowing values are errors.
ExecUser parse_exec_user(std::string_view text);

// Parses a --process file. Fields it leaves out come from the container's process as runc
// does: capabilities, rlimits, apparmorProfile, selinuxLabel, and noNewPrivileges (kept on
// rather than turned off when the file does not say).
spec::Process load_process_file(const std::string& path, const spec::Process& container_process);

// The exec process: load_process_file(options.process_file) when given (the other process
// flags are then ignored, as runc ignores them), else the container's process with
// options.args, --cwd, -e (KEY=VALUE, replacing an existing KEY), -t, -u, --additional-gids,
// --cap (added to bounding, effective and permitted, and to ambient only where the
// inheritable set already holds it: never to inheritable, CVE-2022-29162), --no-new-privs,
// --apparmor and --process-label.
spec::Process build_exec_process(const spec::Spec& config, const ExecOptions& options);

}  // namespace hako::container
