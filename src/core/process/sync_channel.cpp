#include "process/sync_channel.hpp"

#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "sys/error.hpp"

namespace hako::process {
namespace {

struct FrameHeader {
    std::uint32_t type;
    std::int32_t errno_value;
    std::uint32_t text_length;
};

constexpr std::size_t kFrameMax = sizeof(FrameHeader) + SyncChannel::kMaxText;

}  // namespace

std::pair<SyncChannel, SyncChannel> SyncChannel::make_pair() {
    int fds[2];
    check_sys(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds), "socketpair");
    return {SyncChannel(sys::UniqueFd(fds[0])), SyncChannel(sys::UniqueFd(fds[1]))};
}

void SyncChannel::send(SyncType type, std::int32_t errno_value, std::string_view text,
                       int attached_fd) const {
    std::array<char, kFrameMax> frame{};
    const std::size_t length = std::min(text.size(), kMaxText);
    const FrameHeader header{static_cast<std::uint32_t>(type), errno_value,
                             static_cast<std::uint32_t>(length)};
    std::memcpy(frame.data(), &header, sizeof(header));
    std::memcpy(frame.data() + sizeof(header), text.data(), length);
    iovec iov{frame.data(), sizeof(header) + length};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int))> control{};
    if (attached_fd >= 0) {
        msg.msg_control = control.data();
        msg.msg_controllen = control.size();
        cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(cmsg), &attached_fd, sizeof(int));
    }
    ssize_t rc;
    do {
        rc = ::sendmsg(fd_.get(), &msg, MSG_NOSIGNAL);
    } while (rc < 0 && errno == EINTR);
    check_sys(rc, "send on sync channel");
}

SyncMessage SyncChannel::receive() const {
    std::optional<SyncMessage> message = receive_unless_closed();
    if (!message) fail("container init exited during setup");
    return std::move(*message);
}

std::optional<SyncMessage> SyncChannel::receive_unless_closed() const {
    std::array<char, kFrameMax> frame{};
    iovec iov{frame.data(), frame.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int))> control{};
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    ssize_t rc;
    do {
        rc = ::recvmsg(fd_.get(), &msg, MSG_TRUNC | MSG_CMSG_CLOEXEC);
    } while (rc < 0 && errno == EINTR);
    check_sys(rc, "receive on sync channel");
    sys::UniqueFd passed;
    for (cmsghdr* cmsg = CMSG_FIRSTHDR(&msg); cmsg != nullptr; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
        if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS &&
            cmsg->cmsg_len == CMSG_LEN(sizeof(int))) {
            int received = -1;
            std::memcpy(&received, CMSG_DATA(cmsg), sizeof(int));
            passed.reset(received);
        }
    }
    if (rc == 0) return std::nullopt;
    FrameHeader header{};
    if (static_cast<std::size_t>(rc) < sizeof(header) || static_cast<std::size_t>(rc) > frame.size())
        fail("sync channel: malformed frame of {} bytes", rc);
    std::memcpy(&header, frame.data(), sizeof(header));
    if (header.text_length != static_cast<std::size_t>(rc) - sizeof(header))
        fail("sync channel: frame length {} does not match its header", rc);
    if (header.type < 1 || header.type > kLastSyncType)
        fail("sync channel: unknown message {}", header.type);
    return SyncMessage{static_cast<SyncType>(header.type), header.errno_value,
                       std::string(frame.data() + sizeof(header), header.text_length),
                       std::move(passed)};
}

}  // namespace hako::process
