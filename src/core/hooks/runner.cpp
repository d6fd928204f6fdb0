#include "hooks/runner.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <ctime>
#include <optional>

#include "sys/file_io.hpp"
#include "sys/error.hpp"
#include "sys/syscalls.hpp"
#include "sys/unique_fd.hpp"

extern char** environ;  // NOLINT: POSIX names it so

namespace hako::hooks {
namespace {

constexpr std::size_t kCapturedBytes = 1024;
// Hook errors from the init travel in one sync message (SyncChannel::kMaxText).
constexpr std::size_t kMaxMessage = 3072;

struct Pipe {
    sys::UniqueFd read;
    sys::UniqueFd write;
};

Pipe make_pipe() {
    std::array<int, 2> fds{};
    check_sys(::pipe2(fds.data(), O_CLOEXEC), "pipe2");
    return {sys::UniqueFd(fds[0]), sys::UniqueFd(fds[1])};
}

// The state goes in a memory file rather than a pipe: the hook may never read
// it, and hako then neither blocks on a full pipe nor takes a SIGPIPE.
sys::UniqueFd state_input(const std::string& json) {
    sys::UniqueFd fd(check_sys(::memfd_create("hako-hook-state", MFD_CLOEXEC), "memfd_create"));
    if (!sys::write_all(fd.get(), json)) throw_sys_error("write hook state");
    check_sys(::lseek(fd.get(), 0, SEEK_SET), "lseek hook state");
    return fd;
}

std::vector<char*> as_pointers(std::vector<std::string>& strings) {
    std::vector<char*> pointers;
    pointers.reserve(strings.size() + 1);
    for (auto& s : strings) pointers.push_back(s.data());
    pointers.push_back(nullptr);
    return pointers;
}

// Everything the child needs, prepared before the clone so the child only makes syscalls.
struct ChildPlan {
    const char* path = nullptr;
    char* const* argv = nullptr;
    char* const* envp = nullptr;
    const char* cwd = nullptr;  // nullptr: keep the caller's
    std::optional<mode_t> umask;
    int stdin_fd = -1;
    int stdout_fd = -1;
    int stderr_fd = -1;
    int report_fd = -1;  // close-on-exec: EOF means execve succeeded, else a ChildFailure
};

// What the child reports when it cannot exec the hook.
struct ChildFailure {
    enum Step : int { setup, chdir, exec } step = setup;
    int err = 0;
};

[[noreturn]] void report_and_exit(int report_fd, ChildFailure::Step step) noexcept {
    const ChildFailure failure{step, errno};
    [[maybe_unused]] const auto written = ::write(report_fd, &failure, sizeof(failure));
    ::_exit(127);
}

[[noreturn]] void exec_hook(const ChildPlan& plan) noexcept {
    // Its own process group, so a timeout kills what the hook started too.
    ::setpgid(0, 0);
    for (int signal = 1; signal < NSIG; ++signal) {
        if (signal != SIGKILL && signal != SIGSTOP) ::signal(signal, SIG_DFL);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    // Lifted above stdio first, so no dup2 below overwrites a source still needed.
    const int in = ::fcntl(plan.stdin_fd, F_DUPFD, 3);
    const int out = ::fcntl(plan.stdout_fd, F_DUPFD, 3);
    const int err = ::fcntl(plan.stderr_fd, F_DUPFD, 3);
    if (in < 0 || out < 0 || err < 0 || ::dup2(in, STDIN_FILENO) < 0 ||
        ::dup2(out, STDOUT_FILENO) < 0 || ::dup2(err, STDERR_FILENO) < 0)
        report_and_exit(plan.report_fd, ChildFailure::setup);
    // Nothing but stdio reaches the hook (the report pipe is already close-on-exec).
    if (::close_range(3, UINT_MAX, CLOSE_RANGE_CLOEXEC) < 0)
        report_and_exit(plan.report_fd, ChildFailure::setup);
    if (plan.umask) ::umask(*plan.umask);
    if (plan.cwd != nullptr && ::chdir(plan.cwd) < 0)
        report_and_exit(plan.report_fd, ChildFailure::chdir);
    ::execve(plan.path, plan.argv, plan.envp);
    report_and_exit(plan.report_fd, ChildFailure::exec);
}

// Owns the hook process: unless reaped, it and its process group are killed and reaped.
class HookChild {
  public:
    HookChild(pid_t pid, sys::UniqueFd pidfd) : pid_(pid), pidfd_(std::move(pidfd)) {}
    ~HookChild() {
        if (reaped_) return;
        kill_group();
        reap();
    }
    HookChild(const HookChild&) = delete;
    HookChild& operator=(const HookChild&) = delete;

    [[nodiscard]] int pidfd() const { return pidfd_.get(); }

    void kill_group() noexcept {
        ::kill(-pid_, SIGKILL);
        sys::pidfd_send_signal(pidfd_.get(), SIGKILL);
    }

    int reap() noexcept {
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        reaped_ = true;
        return status;
    }

  private:
    pid_t pid_;
    sys::UniqueFd pidfd_;
    bool reaped_ = false;
};

// Keeps the first kCapturedBytes of a stream and reads (and drops) the rest, so a chatty
// hook never blocks on a full pipe.
class Capture {
  public:
    explicit Capture(sys::UniqueFd fd) : fd_(std::move(fd)) {
        const int flags = ::fcntl(fd_.get(), F_GETFL);
        if (flags >= 0) ::fcntl(fd_.get(), F_SETFL, flags | O_NONBLOCK);
    }

    [[nodiscard]] int fd() const { return fd_ ? fd_.get() : -1; }
    [[nodiscard]] const std::string& text() const { return text_; }

    // Reads what is there now; closes the pipe at EOF.
    void drain() {
        std::array<char, 4096> buffer{};
        while (fd_) {
            const ssize_t n = ::read(fd_.get(), buffer.data(), buffer.size());
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && errno == EAGAIN) return;
            if (n <= 0) {
                fd_.reset();
                return;
            }
            const std::size_t room = kCapturedBytes - std::min(kCapturedBytes, text_.size());
            text_.append(buffer.data(), std::min(room, static_cast<std::size_t>(n)));
        }
    }

  private:
    sys::UniqueFd fd_;
    std::string text_;
};

// One line, as every hako error: newlines shown as \n, other control bytes as spaces.
std::string one_line(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
        text.pop_back();
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        if (c == '\n') {
            out += "\\n";
        } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            out += ' ';
        } else {
            out += c;
        }
    }
    return out;
}

std::string describe_status(int status) {
    if (WIFEXITED(status)) return fmt::format("exit status {}", WEXITSTATUS(status));
    if (WIFSIGNALED(status)) {
        const char* name = ::sigabbrev_np(WTERMSIG(status));
        return fmt::format("killed by signal {} (SIG{})", WTERMSIG(status),
                           name != nullptr ? name : "?");
    }
    return fmt::format("wait status {}", status);
}

std::int64_t now_ms() {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<std::int64_t>(now.tv_sec) * 1000 + now.tv_nsec / 1'000'000;
}

// Runs one hook to its end; nullopt on success, else why it failed.
std::optional<std::string> run_one(const spec::Hook& hook, const HookRun& run) {
    std::vector<std::string> args =
        hook.args.empty() ? std::vector<std::string>{hook.path} : hook.args;
    std::vector<std::string> env = hook.env;
    auto argv = as_pointers(args);
    auto envp = as_pointers(env);

    sys::UniqueFd input = state_input(run.state_json);
    Pipe out = make_pipe();
    Pipe err = make_pipe();
    Pipe report = make_pipe();

    ChildPlan plan;
    plan.path = hook.path.c_str();
    plan.argv = argv.data();
    plan.envp = hook.env.empty() ? environ : envp.data();
    plan.cwd = run.cwd.empty() ? nullptr : run.cwd.c_str();
    plan.umask = run.umask;
    plan.stdin_fd = input.get();
    plan.stdout_fd = out.write.get();
    plan.stderr_fd = err.write.get();
    plan.report_fd = report.write.get();

    int pidfd = -1;
    sys::CloneArgs clone_args;
    clone_args.flags = CLONE_PIDFD;
    clone_args.pidfd = reinterpret_cast<std::uint64_t>(&pidfd);
    clone_args.exit_signal = SIGCHLD;
    pid_t pid = sys::clone3(clone_args);
    if (pid < 0 && (errno == ENOSYS || errno == EPERM)) {
        // A seccomp profile may refuse clone3 (Docker's does, with ENOSYS) for the hooks the
        // init runs: fork, then take a pidfd; the unreaped child cannot be replaced meanwhile.
        pid = ::fork();
        if (pid == 0) exec_hook(plan);
        if (pid > 0) pidfd = sys::pidfd_open(pid, 0);
        if (pid > 0 && pidfd < 0) {
            const int open_errno = errno;
            ::kill(pid, SIGKILL);
            while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
            }
            return fmt::format("pidfd_open: {}", std::strerror(open_errno));
        }
    }
    if (pid < 0) return fmt::format("fork: {}", std::strerror(errno));
    if (pid == 0) exec_hook(plan);

    HookChild child(pid, sys::UniqueFd(pidfd));
    input.reset();
    out.write.reset();
    err.write.reset();
    report.write.reset();

    ChildFailure failure;
    ssize_t n;
    do {
        n = ::read(report.read.get(), &failure, sizeof(failure));
    } while (n < 0 && errno == EINTR);
    if (n == static_cast<ssize_t>(sizeof(failure))) {
        child.reap();
        switch (failure.step) {
            case ChildFailure::chdir:
                return fmt::format("chdir {}: {}", run.cwd, std::strerror(failure.err));
            case ChildFailure::exec:
                return fmt::format("exec {}: {}", hook.path, std::strerror(failure.err));
            default:
                return fmt::format("set up stdio: {}", std::strerror(failure.err));
        }
    }

    Capture stdout_capture(std::move(out.read));
    Capture stderr_capture(std::move(err.read));
    const std::int64_t deadline = hook.timeout ? now_ms() + std::int64_t{*hook.timeout} * 1000 : 0;
    int status = 0;
    for (;;) {
        int wait_ms = -1;
        if (hook.timeout) {
            const std::int64_t left = deadline - now_ms();
            if (left <= 0) {
                child.kill_group();
                child.reap();
                return fmt::format("timed out after {}s", *hook.timeout);
            }
            wait_ms = static_cast<int>(std::min<std::int64_t>(left, INT_MAX));
        }
        std::array<pollfd, 3> fds{{{child.pidfd(), POLLIN, 0},
                                   {stdout_capture.fd(), POLLIN, 0},
                                   {stderr_capture.fd(), POLLIN, 0}}};
        const int ready = ::poll(fds.data(), fds.size(), wait_ms);
        if (ready < 0) {
            if (errno == EINTR) continue;
            return fmt::format("poll: {}", std::strerror(errno));
        }
        if (fds[1].revents != 0) stdout_capture.drain();
        if (fds[2].revents != 0) stderr_capture.drain();
        if (fds[0].revents != 0) {
            status = child.reap();
            // What the hook wrote is in the pipes now; children it left holding them are
            // not waited for.
            stdout_capture.drain();
            stderr_capture.drain();
            break;
        }
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return std::nullopt;
    std::string reason = describe_status(status);
    if (!stdout_capture.text().empty()) reason += ", stdout: " + one_line(stdout_capture.text());
    if (!stderr_capture.text().empty()) reason += ", stderr: " + one_line(stderr_capture.text());
    return reason;
}

std::optional<std::string> failure_of(HookKind kind, std::size_t index, const spec::Hook& hook,
                                      const HookRun& run) {
    std::optional<std::string> reason;
    try {
        reason = run_one(hook, run);
    } catch (const std::exception& error) {
        reason = error.what();
    }
    if (!reason) return std::nullopt;
    std::string message = fmt::format("error running {} hook #{} ({}): {}", hook_kind_name(kind),
                                      index, hook.path, *reason);
    if (message.size() > kMaxMessage) message.resize(kMaxMessage);
    return message;
}

}  // namespace

void run_hooks(HookKind kind, const std::vector<spec::Hook>& hooks, const HookRun& run) {
    for (std::size_t i = 0; i < hooks.size(); ++i) {
        if (auto message = failure_of(kind, i, hooks[i], run)) throw Error(*message);
    }
}

std::vector<std::string> run_hooks_best_effort(HookKind kind, const std::vector<spec::Hook>& hooks,
                                               const HookRun& run) {
    std::vector<std::string> failures;
    for (std::size_t i = 0; i < hooks.size(); ++i) {
        if (auto message = failure_of(kind, i, hooks[i], run))
            failures.push_back(std::move(*message));
    }
    return failures;
}

}  // namespace hako::hooks
