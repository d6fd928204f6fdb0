#include "process/exec_gate.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "sys/error.hpp"

namespace hako::process {
namespace {

constexpr const char* kSocketName = "exec.sock";
constexpr char kStartByte = 'S';

sockaddr_un gate_address(int state_dir_fd) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const auto path = fmt::format("/proc/self/fd/{}/{}", state_dir_fd, kSocketName);
    if (path.size() >= sizeof(address.sun_path)) fail("exec gate path too long: {}", path);
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    return address;
}

}  // namespace

sys::UniqueFd listen_exec_gate(int state_dir_fd) {
    sys::UniqueFd fd(check_sys(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket"));
    const auto address = gate_address(state_dir_fd);
    // Only root (the owner of the state dir) may start the container.
    const mode_t old_umask = ::umask(0177);
    const int rc = ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address));
    ::umask(old_umask);
    check_sys(rc, "bind", kSocketName);
    check_sys(::listen(fd.get(), 1), "listen", kSocketName);
    return fd;
}

sys::UniqueFd await_start(int listen_fd) {
    for (;;) {
        sys::UniqueFd connection(::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC));
        if (!connection) {
            if (errno == EINTR) continue;
            throw_sys_error("accept", kSocketName);
        }
        char byte = 0;
        ssize_t rc;
        do {
            rc = ::read(connection.get(), &byte, 1);
        } while (rc < 0 && errno == EINTR);
        if (rc == 1 && byte == kStartByte) return connection;
        // Anything else (a stray connect, a closed socket) is not a start: keep waiting.
    }
}

sys::UniqueFd open_exec_gate(int state_dir_fd) {
    sys::UniqueFd fd(check_sys(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket"));
    const auto address = gate_address(state_dir_fd);
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) < 0) {
        if (errno == ENOENT) fail("container is not in the created state");
        if (errno == ECONNREFUSED) fail("container init is not waiting: container not running");
        throw_sys_error("connect", kSocketName);
    }
    ssize_t rc;
    do {
        rc = ::send(fd.get(), &kStartByte, 1, MSG_NOSIGNAL);
    } while (rc < 0 && errno == EINTR);
    check_sys(rc, "send start to", kSocketName);
    return fd;
}

void await_exec(int state_dir_fd, sys::UniqueFd connection) {
    // The init closes the connection by exec'ing; a failed exec writes its reason first.
    std::string message;
    std::array<char, 1024> buffer{};
    for (;;) {
        const ssize_t rc = ::read(connection.get(), buffer.data(), buffer.size());
        if (rc < 0 && errno == EINTR) continue;
        if (rc <= 0) break;
        message.append(buffer.data(), static_cast<std::size_t>(rc));
    }
    ::unlinkat(state_dir_fd, kSocketName, 0);
    if (!message.empty()) throw Error(message);
}

}  // namespace hako::process
