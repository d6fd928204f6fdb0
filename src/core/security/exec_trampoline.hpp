#pragma once
// CVE-2019-5736 at the cost of one small execve: the container process's first execve runs
// hako's exec trampoline (src/trampoline/exec_trampoline.c, embedded in the binary) from a
// sealed memfd, and the trampoline execs the process's own program. From then on
// /proc/PID/exe of anything in the container resolves to that sealed copy, never to the
// host's hako binary; before it the hako process is non-dumpable (CVE-2016-9962), so nothing
// in the container can open its /proc/PID/exe. This replaces re-executing all of hako from a
// sealed binary (security/exe_seal.hpp) before every create, run and exec, which costs a
// second start-up of the static binary (~0.7 ms).
//
// The sealed re-execution stays for the containers the trampoline cannot serve (runc dropped
// its own small program, runc-dmz, over the first):
// - an LSM exec label: the label takes effect at the trampoline's execve, and SELinux
//   policies do not let the container's domain execute a memfd the runtime made;
// - a seccomp profile that would refuse the trampoline's calls: it is loaded before them, and
//   may deny execveat(2) or fcntl(2) where the container's own execve(2) is allowed. What
//   the compiled profile decides for them is computed beforehand (security/seccomp_decision).
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "security/seccomp_init.hpp"
#include "spec/spec.hpp"
#include "sys/unique_fd.hpp"

namespace hako::security {

// How the trampoline reports a failed execve on report_fd.
enum class ExecFailureReport {
    text,        // the prefix and the error text (the init's exec gate connection)
    sync_frame,  // one kError frame of process/sync_channel (the exec child's channel)
};

// The trampoline program in a memfd sealed against writing, growing and shrinking.
class ExecTrampoline {
  public:
    // nullopt when the kernel refuses an executable memfd (vm.memfd_noexec=2); the caller
    // then re-executes hako from a sealed binary instead.
    static std::optional<ExecTrampoline> make();

    [[nodiscard]] int fd() const { return fd_.get(); }

  private:
    explicit ExecTrampoline(sys::UniqueFd fd) : fd_(std::move(fd)) {}
    sys::UniqueFd fd_;
};

// The container process's execve of path (argv), prepared in full beforehand, so that once
// the seccomp filter is loaded exec() makes no call but fcntl and execveat (or execve).
// Through the trampoline in trampoline_fd; with trampoline_fd < 0 (hako runs from a sealed
// binary) directly. For the trampoline, report_fd stays open across its execve only (it makes
// it close-on-exec); a failing execve of path is reported there as `report` says,
// failure_prefix first (e.g. `exec: "sh": `), and the trampoline exits 127 (ENOENT) or 126.
class ContainerExec {
  public:
    ContainerExec(int trampoline_fd, ExecFailureReport report, int report_fd,
                  std::string failure_prefix, std::string path, char* const* argv);

    // Returns only when the execve failed (of the trampoline, or of path directly), with
    // that errno.
    int exec(char* const* envp) const noexcept;

  private:
    int trampoline_fd_;
    int report_fd_;
    std::string fd_text_;
    std::string failure_prefix_;
    std::string path_;
    char* const* argv_;
    std::vector<const char*> trampoline_argv_;
};

// Whether a seccomp program lets the trampoline's calls through (SCMP_ACT_ALLOW or LOG):
// fcntl(F_SETFD) and execveat(trampoline_fd, "", ..., AT_EMPTY_PATH) on x86_64.
bool lets_trampoline_through(const SeccompProgram& program, int trampoline_fd);

// What create, run and exec use against CVE-2019-5736 for spec's process: the trampoline,
// or (nullopt) hako's own binary sealed, for which it calls seal_binary. That re-executes
// hako from a sealed binary (security/exe_seal.hpp: the CLI passes its argv) and so returns
// only in the re-executed hako, which then arrives here again. Call it before anything of the
// container exists. Throws when a sealed binary is needed and seal_binary is empty.
std::optional<ExecTrampoline> trampoline_or_sealed_binary(const spec::Spec& spec,
                                                          const InitSeccomp& seccomp,
                                                          const std::function<void()>& seal_binary);

// The trampoline program's bytes (for tests).
std::string_view exec_trampoline_program();

}  // namespace hako::security
