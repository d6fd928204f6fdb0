#include "security/exec_trampoline.hpp"

#include <fcntl.h>
#include <linux/audit.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>
#include <vector>

#include "security/lsm.hpp"
#include "security/seccomp_decision.hpp"
#include "sys/error.hpp"

// Defined in exec_trampoline_blob.S.
extern "C" const char hako_exec_trampoline_begin[];
extern "C" const char hako_exec_trampoline_end[];

namespace hako::security {
namespace {

// MFD_EXEC (Linux 6.3) keeps the memfd executable where vm.memfd_noexec=1 makes memfds
// noexec by default; glibc 2.36 does not define it, and older kernels refuse it (EINVAL).
constexpr unsigned kExecutableMemfd = 0x0010U;
constexpr int kTrampolineSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

}  // namespace

std::string_view exec_trampoline_program() {
    return {hako_exec_trampoline_begin,
            static_cast<std::size_t>(hako_exec_trampoline_end - hako_exec_trampoline_begin)};
}

std::optional<ExecTrampoline> ExecTrampoline::make() {
    int fd = ::memfd_create("hako-exec", MFD_CLOEXEC | MFD_ALLOW_SEALING | kExecutableMemfd);
    if (fd < 0 && errno == EINVAL)
        fd = ::memfd_create("hako-exec", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    sys::UniqueFd memfd(fd);
    if (!memfd) return std::nullopt;
    const std::string_view program = exec_trampoline_program();
    if (::write(memfd.get(), program.data(), program.size()) !=
            static_cast<ssize_t>(program.size()) ||
        ::fcntl(memfd.get(), F_ADD_SEALS, kTrampolineSeals) != 0)
        return std::nullopt;
    return ExecTrampoline(std::move(memfd));
}

bool lets_trampoline_through(const SeccompProgram& program, int trampoline_fd) {
    const auto allowed = [&](int nr, std::initializer_list<std::uint64_t> args) {
        const auto decision =
            seccomp_decision(program.instructions, make_seccomp_data(AUDIT_ARCH_X86_64, nr, args));
        if (!decision) return false;
        const std::uint32_t action = *decision & SECCOMP_RET_ACTION_FULL;
        return action == SECCOMP_RET_ALLOW || action == SECCOMP_RET_LOG;
    };
    // The fcntl calls act on the report fd, whose number is known only in the child; a filter
    // that tells fds apart for fcntl would be unusual, so the trampoline's stands in for it.
    const auto fd = static_cast<std::uint64_t>(trampoline_fd);
    return allowed(SYS_fcntl, {fd, F_SETFD, 0}) && allowed(SYS_fcntl, {fd, F_SETFD, FD_CLOEXEC}) &&
           allowed(SYS_execveat, {fd, 0, 0, 0, AT_EMPTY_PATH});
}

std::optional<ExecTrampoline> trampoline_or_sealed_binary(
    const spec::Spec& spec, const InitSeccomp& seccomp, const std::function<void()>& seal_binary) {
    if (!(spec.process && has_exec_labels(*spec.process))) {
        std::optional<ExecTrampoline> trampoline = ExecTrampoline::make();
        if (trampoline && (seccomp.program() == nullptr ||
                           lets_trampoline_through(*seccomp.program(), trampoline->fd())))
            return trampoline;
    }
    if (!seal_binary)
        fail("cannot protect the hako binary (CVE-2019-5736): no way to re-execute it sealed");
    seal_binary();
    return std::nullopt;
}

ContainerExec::ContainerExec(int trampoline_fd, ExecFailureReport report, int report_fd,
                             std::string failure_prefix, std::string path, char* const* argv)
    : trampoline_fd_(trampoline_fd),
      report_fd_(report_fd),
      fd_text_(std::to_string(report_fd)),
      failure_prefix_(std::move(failure_prefix)),
      path_(std::move(path)),
      argv_(argv) {
    if (trampoline_fd_ < 0) return;
    trampoline_argv_ = {"hako-exec", report == ExecFailureReport::sync_frame ? "frame" : "text",
                        fd_text_.c_str(), failure_prefix_.c_str(), path_.c_str()};
    for (char* const* arg = argv; *arg != nullptr; ++arg) trampoline_argv_.push_back(*arg);
    trampoline_argv_.push_back(nullptr);
}

int ContainerExec::exec(char* const* envp) const noexcept {
    if (trampoline_fd_ < 0) {
        ::execve(path_.c_str(), argv_, envp);
        return errno;
    }
    // Inherited by the trampoline alone: it sets close-on-exec again before its execve.
    if (::fcntl(report_fd_, F_SETFD, 0) != 0) return errno;
    ::execveat(trampoline_fd_, "", const_cast<char* const*>(trampoline_argv_.data()), envp,
               AT_EMPTY_PATH);
    const int err = errno;
    ::fcntl(report_fd_, F_SETFD, FD_CLOEXEC);
    return err;
}

}  // namespace hako::security
