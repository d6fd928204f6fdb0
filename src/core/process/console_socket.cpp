#include "process/console_socket.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <array>
#include <cstring>

#include "sys/error.hpp"
#include "sys/fd_passing.hpp"

namespace hako::process {

void send_console(const std::string& socket_path, const std::string& pty_name, int master_fd) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    sys::UniqueFd parent_dir;
    std::string connect_path = socket_path;
    if (connect_path.size() >= sizeof(address.sun_path)) {
        const auto slash = socket_path.rfind('/');
        const std::string dir = slash == std::string::npos ? "." : socket_path.substr(0, slash + 1);
        parent_dir.reset(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!parent_dir) throw_sys_error("open console socket directory", dir);
        connect_path = fmt::format("/proc/self/fd/{}/{}", parent_dir.get(),
                                   socket_path.substr(slash + 1));
        if (connect_path.size() >= sizeof(address.sun_path))
            fail("--console-socket {}: name too long", socket_path);
    }
    std::memcpy(address.sun_path, connect_path.c_str(), connect_path.size() + 1);

    const sys::UniqueFd fd(
        check_sys(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket", socket_path));
    int rc;
    do {
        rc = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address));
    } while (rc < 0 && errno == EINTR);
    check_sys(rc, "connect to --console-socket", socket_path);

    check_sys(sys::send_with_fd(fd.get(), pty_name, master_fd),
              "send pty master to --console-socket", socket_path);
}

void check_console_options(bool terminal, bool detach, const std::string& console_socket) {
    if (detach && terminal && console_socket.empty())
        fail("cannot allocate tty if hako will detach without setting console socket");
    if ((!detach || !terminal) && !console_socket.empty())
        fail("cannot use console socket if hako will not detach or allocate tty");
}

ReceivedConsole receive_console(int connection_fd) {
    std::array<char, 4096> buffer{};
    ReceivedConsole received;
    const ssize_t rc =
        sys::receive_with_fd(connection_fd, buffer.data(), buffer.size(), received.master);
    check_sys(rc, "receive from console socket");
    received.name.assign(buffer.data(), static_cast<std::size_t>(rc));
    if (!received.master) fail("console socket: message carried no fd");
    return received;
}

}  // namespace hako::process
