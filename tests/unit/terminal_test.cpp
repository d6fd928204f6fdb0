// The pty, console-socket and sync-channel pieces of process.terminal, on the host's devpts.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "process/console_socket.hpp"
#include "process/sync_channel.hpp"
#include "process/terminal.hpp"
#include "sys/error.hpp"
#include "test_support.hpp"

namespace {

using hako::process::open_pty;

// The host's /dev/ptmx may be a devtmpfs node; inside a container it is devpts's own ptmx.
constexpr const char* kPtmx = "/dev/pts/ptmx";

using hako::test::listen_at;
using hako::test::TempDir;

std::string fd_link(int fd) {
    char buffer[PATH_MAX] = {};
    const auto n = ::readlink(("/proc/self/fd/" + std::to_string(fd)).c_str(), buffer,
                              sizeof(buffer) - 1);
    return n < 0 ? "" : std::string(buffer, static_cast<std::size_t>(n));
}

}  // namespace

TEST(Terminal, OpensVerifiedPtyPairWithSize) {
    const auto pty = open_pty(hako::spec::ConsoleSize{40, 132}, kPtmx);
    EXPECT_EQ(pty.name.rfind("/dev/pts/", 0), 0u) << pty.name;
    EXPECT_NO_THROW(hako::process::verify_pty_master(pty.master.get()));
    EXPECT_NO_THROW(hako::process::verify_pty_slave(pty.slave.get()));
    EXPECT_EQ(fd_link(pty.slave.get()), pty.name);
    winsize ws{};
    ASSERT_EQ(::ioctl(pty.master.get(), TIOCGWINSZ, &ws), 0);
    EXPECT_EQ(ws.ws_row, 40);
    EXPECT_EQ(ws.ws_col, 132);
    // Data flows both ways: the slave is the peer of this master.
    ASSERT_EQ(::write(pty.master.get(), "x\n", 2), 2);
    char c = 0;
    ASSERT_EQ(::read(pty.slave.get(), &c, 1), 1);
    EXPECT_EQ(c, 'x');
}

TEST(Terminal, RejectsWhatIsNotADevptsPty) {
    const hako::sys::UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
    EXPECT_THROW(hako::process::verify_pty_master(null.get()), hako::Error);
    EXPECT_THROW(hako::process::verify_pty_slave(null.get()), hako::Error);
    const auto pty = open_pty(std::nullopt, kPtmx);
    EXPECT_THROW(hako::process::verify_pty_master(pty.slave.get()), hako::Error);
    EXPECT_THROW(hako::process::verify_pty_slave(pty.master.get()), hako::Error);
    // A "ptmx" that is something else (CVE-2025-52565: a planted file or symlink).
    EXPECT_THROW(open_pty(std::nullopt, "/dev/null"), hako::Error);
    TempDir dir;
    const std::string fifo = dir.path() + "/ptmx";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    EXPECT_THROW(open_pty(std::nullopt, fifo.c_str()), hako::Error);  // and never hangs
}

TEST(Terminal, MakesControllingTerminalInNewSession) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        try {
            const auto pty = open_pty(std::nullopt, kPtmx);
            hako::process::make_controlling_terminal(pty.slave.get());
            const bool ok = ::getsid(0) == ::getpid() && ::tcgetpgrp(0) == ::getpgrp() &&
                            fd_link(0) == pty.name && fd_link(2) == pty.name &&
                            ::isatty(1) == 1;
            ::_exit(ok ? 0 : 2);
        } catch (...) {
            ::_exit(3);
        }
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(ConsoleSocket, SendsNameAndMasterInOneMessage) {
    TempDir dir;
    const std::string path = dir.path() + "/console.sock";
    const auto listener = listen_at(path);
    const auto pty = open_pty(std::nullopt, kPtmx);
    hako::process::send_console(path, pty.name, pty.master.get());
    const hako::sys::UniqueFd connection(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    ASSERT_TRUE(connection);
    const auto received = hako::process::receive_console(connection.get());
    EXPECT_EQ(received.name, pty.name);
    EXPECT_NO_THROW(hako::process::verify_pty_master(received.master.get()));
    struct stat a {}, b {};
    ASSERT_EQ(::fstat(pty.master.get(), &a), 0);
    ASSERT_EQ(::fstat(received.master.get(), &b), 0);
    EXPECT_EQ(a.st_ino, b.st_ino);
}

TEST(ConsoleSocket, ReachesSocketsBeyondTheSunPathLimit) {
    TempDir dir;
    std::string deep = dir.path();
    while (deep.size() < 150) {
        deep += "/a-rather-long-directory-name";
        ASSERT_EQ(::mkdir(deep.c_str(), 0700), 0);
    }
    // bind() cannot take the long path either: bind through the directory fd.
    const hako::sys::UniqueFd dirfd(::open(deep.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    const auto listener =
        listen_at("/proc/self/fd/" + std::to_string(dirfd.get()) + "/console.sock");
    const auto pty = open_pty(std::nullopt, kPtmx);
    hako::process::send_console(deep + "/console.sock", pty.name, pty.master.get());
    const hako::sys::UniqueFd connection(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    ASSERT_TRUE(connection);
    EXPECT_EQ(hako::process::receive_console(connection.get()).name, pty.name);
}

TEST(ConsoleSocket, MissingSocketNamesThePath) {
    const auto pty = open_pty(std::nullopt, kPtmx);
    try {
        hako::process::send_console("/nonexistent/hako.sock", pty.name, pty.master.get());
        FAIL() << "no error";
    } catch (const hako::Error& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/hako.sock"), std::string::npos);
    }
}

TEST(ConsoleSocket, OptionsFollowRuncCheckTerminal) {
    using hako::process::check_console_options;
    EXPECT_NO_THROW(check_console_options(true, true, "/s"));     // create/exec -d with socket
    EXPECT_NO_THROW(check_console_options(true, false, ""));      // foreground: hako relays
    EXPECT_NO_THROW(check_console_options(false, true, ""));
    EXPECT_NO_THROW(check_console_options(false, false, ""));
    EXPECT_THROW(check_console_options(true, true, ""), hako::Error);
    EXPECT_THROW(check_console_options(false, true, "/s"), hako::Error);
    EXPECT_THROW(check_console_options(true, false, "/s"), hako::Error);
}

TEST(SyncChannelConsole, PassesMasterAndNameAndReportsClose) {
    auto [parent, child] = hako::process::SyncChannel::make_pair();
    const auto pty = open_pty(std::nullopt, kPtmx);
    child.send(hako::process::SyncType::kConsole, 0, pty.name, pty.master.get());
    auto message = parent.receive_unless_closed();
    ASSERT_TRUE(message);
    EXPECT_EQ(message->type, hako::process::SyncType::kConsole);
    EXPECT_EQ(message->text, pty.name);
    EXPECT_NO_THROW(hako::process::verify_pty_master(message->fd.get()));
    child.close();
    EXPECT_FALSE(parent.receive_unless_closed());
}
