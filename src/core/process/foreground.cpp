#include "process/foreground.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "sys/error.hpp"
#include "sys/syscalls.hpp"
#include "sys/unique_fd.hpp"

namespace hako::process {
namespace {

constexpr std::size_t kMaxPendingInput = 64 * 1024;

// The caller's terminal in raw mode (keys go to the container's line discipline, which
// echoes and turns ^C into SIGINT there); restored on destruction.
class RawTerminal {
public:
    explicit RawTerminal(int fd) : fd_(fd) {
        termios current{};
        if (::tcgetattr(fd_, &current) < 0) return;
        saved_ = current;
        ::cfmakeraw(&current);
        if (::tcsetattr(fd_, TCSANOW, &current) < 0) saved_.reset();
    }
    ~RawTerminal() {
        if (saved_) ::tcsetattr(fd_, TCSANOW, &*saved_);
    }
    RawTerminal(const RawTerminal&) = delete;
    RawTerminal& operator=(const RawTerminal&) = delete;

private:
    int fd_;
    std::optional<termios> saved_;
};

void copy_window_size(int from_fd, int to_fd) {
    winsize ws{};
    if (::ioctl(from_fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row != 0 && ws.ws_col != 0)
        ::ioctl(to_fd, TIOCSWINSZ, &ws);
}

// Writes everything, blocking; false when the reader is gone (EPIPE and the like).
bool write_all(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) {
                pollfd p{fd, POLLOUT, 0};
                ::poll(&p, 1, -1);
                continue;
            }
            return false;
        }
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

// One relay of the pty: stdin -> master (buffered, the master is non-blocking) and
// master -> stdout.
class PtyRelay {
public:
    explicit PtyRelay(int master) : master_(master) {
        const int flags = ::fcntl(master_, F_GETFL);
        if (flags >= 0) ::fcntl(master_, F_SETFL, flags | O_NONBLOCK);
        stdin_is_tty_ = ::isatty(STDIN_FILENO) != 0;
        if (stdin_is_tty_) {
            raw_.emplace(STDIN_FILENO);
            copy_window_size(STDIN_FILENO, master_);
        }
    }

    void resize() const {
        if (stdin_is_tty_) copy_window_size(STDIN_FILENO, master_);
    }

    // Appends this relay's fds to the poll set.
    void add_poll_fds(std::vector<pollfd>& fds) {
        stdin_index_ = master_index_ = -1;
        if (stdin_open_ && pending_.size() < kMaxPendingInput) {
            stdin_index_ = static_cast<int>(fds.size());
            fds.push_back({STDIN_FILENO, POLLIN, 0});
        }
        if (master_open_) {
            master_index_ = static_cast<int>(fds.size());
            fds.push_back({master_, static_cast<short>(POLLIN | (pending_.empty() ? 0 : POLLOUT)), 0});
        }
    }

    void handle(const std::vector<pollfd>& fds) {
        if (stdin_index_ >= 0 && fds[stdin_index_].revents != 0) read_stdin();
        if (master_index_ >= 0) {
            const short revents = fds[master_index_].revents;
            if (revents & POLLOUT) flush_input();
            if (revents & (POLLIN | POLLHUP | POLLERR)) read_master();
        }
    }

    // After the process exited: whatever it wrote and nobody read yet.
    void drain() {
        while (master_open_ && read_master()) {
        }
    }

private:
    void read_stdin() {
        std::array<char, 16384> buffer{};
        const ssize_t n = ::read(STDIN_FILENO, buffer.data(), buffer.size());
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
        if (n <= 0) {
            stdin_open_ = false;
            return;
        }
        pending_.append(buffer.data(), static_cast<std::size_t>(n));
        flush_input();
    }

    void flush_input() {
        while (!pending_.empty()) {
            const ssize_t n = ::write(master_, pending_.data(), pending_.size());
            if (n < 0) {
                if (errno == EINTR) continue;
                if (errno != EAGAIN) pending_.clear();  // the pty is gone
                return;
            }
            pending_.erase(0, static_cast<std::size_t>(n));
        }
    }

    // True when it read something.
    bool read_master() {
        std::array<char, 16384> buffer{};
        const ssize_t n = ::read(master_, buffer.data(), buffer.size());
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) return false;
        if (n <= 0) {
            // EIO: every slave fd is closed.
            master_open_ = false;
            return false;
        }
        if (!write_all(STDOUT_FILENO, buffer.data(), static_cast<std::size_t>(n))) {
            // Nobody reads our output any more; keep draining so the process never blocks.
        }
        return true;
    }

    int master_;
    bool stdin_is_tty_ = false;
    bool stdin_open_ = true;
    bool master_open_ = true;
    std::string pending_;
    std::optional<RawTerminal> raw_;
    int stdin_index_ = -1;
    int master_index_ = -1;
};

}  // namespace

BlockedSignals::BlockedSignals() {
    sigset_t all;
    sigfillset(&all);
    ::sigprocmask(SIG_SETMASK, &all, &previous_);
}

BlockedSignals::~BlockedSignals() { ::sigprocmask(SIG_SETMASK, &previous_, nullptr); }

std::optional<spec::ConsoleSize> caller_terminal_size() {
    winsize ws{};
    if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0 || ws.ws_row == 0 || ws.ws_col == 0)
        return std::nullopt;
    return spec::ConsoleSize{ws.ws_row, ws.ws_col};
}

int exit_code(int wait_status) {
    if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
    if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
    return 255;
}

int supervise_foreground(pid_t pid, int pty_master) {
    sigset_t all;
    sigfillset(&all);
    const sys::UniqueFd signals(
        check_sys(::signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK), "signalfd"));
    // A pidfd of our own child: its pid cannot be reused before we reap it.
    const sys::UniqueFd pidfd(check_sys(sys::pidfd_open(pid, 0), "pidfd_open",
                                        fmt::format("pid {}", pid)));
    std::optional<PtyRelay> relay;
    if (pty_master >= 0) relay.emplace(pty_master);
    const pid_t self = ::getpid();

    for (;;) {
        std::vector<pollfd> fds{{signals.get(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
        if (relay) relay->add_poll_fds(fds);
        if (::poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR) continue;
            throw_sys_error("poll");
        }
        if (fds[0].revents & POLLIN) {
            signalfd_siginfo info{};
            while (::read(signals.get(), &info, sizeof(info)) == sizeof(info)) {
                const int signal = static_cast<int>(info.ssi_signo);
                if (signal == SIGCHLD) continue;
                if (signal == SIGWINCH && relay) {
                    relay->resize();
                    continue;
                }
                // A SIGPIPE our own write raised is ours, not the container's.
                if (signal == SIGPIPE && static_cast<pid_t>(info.ssi_pid) == self) continue;
                sys::pidfd_send_signal(pidfd.get(), signal);
            }
        }
        if (relay) relay->handle(fds);
        if (fds[1].revents & POLLIN) break;
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) throw_sys_error("waitpid", fmt::format("pid {}", pid));
    }
    if (relay) relay->drain();
    return status;
}

}  // namespace hako::process
