#pragma once
// The last steps before execve that the container init and an exec'd process share: they run
// inside the container (after pivot_root, or after joining its mount namespace), in this order:
// rlimits, user switch (around the capability calls), umask, cwd, HOME, signals.
#include <cstdint>
#include <string>
#include <vector>

#include "spec/spec.hpp"

namespace hako::process {

// prlimit(0, ...) for each process.rlimits entry; errors name the type and the values.
void apply_rlimits(const std::vector<spec::Rlimit>& rlimits);

// setgroups (additionalGids, or none), setresgid, setresuid. In a user namespace whose
// setgroups is denied, clearing the groups may fail with EPERM, which is ignored.
void switch_user(const spec::User& user, bool in_user_namespace);

// Adds HOME from the container's /etc/passwd (the caller's root) when env has none, as runc
// does; "/" when the uid has no entry.
void add_home(std::vector<std::string>& env, std::uint32_t uid);

// chdir(cwd) by path, then getcwd must name a path inside the caller's root: with every host
// fd closed and the root being the container's, a cwd that resolves elsewhere (CVE-2024-21626)
// shows as "(unreachable)" and is refused.
void enter_cwd(const std::string& cwd);

// Every signal back to its default action and an empty mask, right before execve.
void reset_signals();

}  // namespace hako::process
