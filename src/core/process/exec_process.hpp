#pragma once
// The new process of `hako exec`: a clone of hako that joins every namespace of a running
// container, its cgroups and its security settings, then execs.
//
//   hako (parent)                                    exec child
//   pidfd of the init (start time checked by the caller)
//   non-dumpable; setns(pidfd, CLONE_NEWPID) for
//   its children only, then clone3(CLONE_INTO_CGROUP) ─▶ born in the container's pid ns and
//   and back to its own pid ns                          cgroup2 dir; non-dumpable, PDEATHSIG,
//                                                       joins its v1 hierarchies (tasks "0"),
//                                                       closes every fd but stdio, preserved
//                                                       fds, the channel and the pidfd
//   only where clone3 could not place it:
//   cgroup.procs, then ─── kGo ──────────────────────▶ (waits for it only then)
//                                                       setns(pidfd, USER|NS|NET|IPC|UTS|
//                                                       CGROUP|TIME): root and cwd are now the
//                                                       container's; pty in its devpts;
//                       ◀── kConsole{master, name} ──── (process.terminal only)
//                                                       LSM labels (through hako's private
//                                                       procfs), rlimits, no_new_privs,
//                                                       seccomp, caps + user, umask, cwd
//                                                       (getcwd-checked), HOME, executable
//                       ◀── kReady (warnings) ───────── or kError; exit 1
//   EOF = execve succeeded (the channel is              execve (a failure sends kError,
//   close-on-exec)                                      exit 127/126)
//
// Only namespaces that differ from hako's own are joined (joining one's own user namespace
// is an error), which covers containers that share some of the host's. Kernels before 5.8
// cannot setns() a pidfd: the child then joins /proc/PID/ns/* one by one, user first and
// mount last, after checking through the pidfd that the init still lives.
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "cgroups/manager.hpp"
#include "security/seccomp_init.hpp"
#include "spec/spec.hpp"
#include "sys/unique_fd.hpp"

namespace hako::process {

struct ExecRequest {
    std::string container_id;
    std::string bundle;
    pid_t init_pid = 0;
    int init_pidfd = -1;  // opened by the caller, who checked the init's start time
    // The container's config with process replaced by the exec process: linux.seccomp and
    // the process's own settings both come from here.
    const spec::Spec* spec = nullptr;
    int preserve_fds = 0;                 // fds 3 .. 3+N-1 are passed on
    cgroups::Manager* cgroups = nullptr;  // where the process goes; nullptr: hako's own
    // linux.seccomp, compiled by the caller before the clone, on the host's side.
    const security::InitSeccomp* seccomp = nullptr;
    // As LaunchRequest::exec_trampoline_fd: the child execs through it; -1: directly.
    int exec_trampoline_fd = -1;
};

struct LaunchedExec {
    pid_t pid = 0;
    sys::UniqueFd pidfd;
    sys::UniqueFd console_master;  // process.terminal: the pty master
    std::string console_name;      // "/dev/pts/N"
    std::vector<std::string> warnings;
};

// Returns once the process has exec'd. Any failure kills and reaps the child and throws its
// one-line reason.
LaunchedExec launch_exec(const ExecRequest& request);

// CLONE_NEW* flags of every namespace of pid that differs from the caller's.
int namespaces_to_join(pid_t pid);

// The fallback join: opens /proc/PID/ns/* for flags, checks through pidfd that the process
// still lives (so the pid was not reused), then setns() each, user first and mount last.
void join_namespaces_by_path(pid_t pid, int pidfd, int flags);

}  // namespace hako::process
