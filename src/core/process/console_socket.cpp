#include "process/console_socket.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <array>
#include <cstring>

#include "sys/error.hpp"

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

    std::string name = pty_name;
    iovec iov{name.data(), name.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int))> control{};
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(cmsg), &master_fd, sizeof(int));
    ssize_t sent;
    do {
        sent = ::sendmsg(fd.get(), &msg, MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    check_sys(sent, "send pty master to --console-socket", socket_path);
}

void check_console_options(bool terminal, bool detach, const std::string& console_socket) {
    if (detach && terminal && console_socket.empty())
        fail("cannot allocate tty if hako will detach without setting console socket");
    if ((!detach || !terminal) && !console_socket.empty())
        fail("cannot use console socket if hako will not detach or allocate tty");
}

ReceivedConsole receive_console(int connection_fd) {
    std::array<char, 4096> buffer{};
    iovec iov{buffer.data(), buffer.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int))> control{};
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    ssize_t rc;
    do {
        rc = ::recvmsg(connection_fd, &msg, MSG_CMSG_CLOEXEC);
    } while (rc < 0 && errno == EINTR);
    check_sys(rc, "receive from console socket");
    ReceivedConsole received;
    received.name.assign(buffer.data(), static_cast<std::size_t>(rc));
    for (cmsghdr* cmsg = CMSG_FIRSTHDR(&msg); cmsg != nullptr; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
        if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS &&
            cmsg->cmsg_len == CMSG_LEN(sizeof(int))) {
            int fd = -1;
            std::memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
            received.master.reset(fd);
        }
    }
    if (!received.master) fail("console socket: message carried no fd");
    return received;
}

}  // namespace hako::process
