#include "process/sync_channel.hpp"

#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "sys/error.hpp"
#include "sys/fd_passing.hpp"

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
    // An empty view may hold a null pointer, which memcpy must not get even for 0 bytes.
    if (length > 0) std::memcpy(frame.data() + sizeof(header), text.data(), length);
    check_sys(sys::send_with_fd(fd_.get(),
                                std::string_view(frame.data(), sizeof(header) + length),
                                attached_fd),
              "send on sync channel");
}

SyncMessage SyncChannel::receive() const {
    std::optional<SyncMessage> message = receive_unless_closed();
    if (!message) fail("container init exited during setup");
    return std::move(*message);
}

SyncMessage SyncChannel::receive(SyncType wanted) const {
    SyncMessage message = receive();
    if (message.type == SyncType::kError && wanted != SyncType::kError)
        throw Error(message.text, message.errno_value);
    if (message.type != wanted)
        fail("sync channel: expected message {}, got message {}", static_cast<int>(wanted),
             static_cast<int>(message.type));
    return message;
}

std::optional<SyncMessage> SyncChannel::receive_unless_closed() const {
    std::array<char, kFrameMax> frame{};
    sys::UniqueFd passed;
    ssize_t rc = sys::receive_with_fd(fd_.get(), frame.data(), frame.size(), passed, MSG_TRUNC);
    // A peer that exits with frames of ours unread makes the kernel report ECONNRESET once,
    // ahead of the frames it had already sent (a failing init's kError): read on for them.
    if (rc < 0 && errno == ECONNRESET)
        rc = sys::receive_with_fd(fd_.get(), frame.data(), frame.size(), passed, MSG_TRUNC);
    check_sys(rc, "receive on sync channel");
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
