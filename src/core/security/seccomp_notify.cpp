#include "security/seccomp_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "sys/error.hpp"
#include "sys/fd_passing.hpp"
#include "sys/unique_fd.hpp"

namespace hako::security {
namespace {

// The runtime-spec version whose containerProcessState hako writes (as `hako features`'
// ociVersionMax); the inner state carries the config's own version, as runc does.
constexpr std::string_view kRuntimeSpecVersion = "1.3.0";
constexpr std::string_view kSeccompFdName = "seccompFd";

}  // namespace

std::string container_process_state_json(const ContainerProcessState& state) {
    nlohmann::ordered_json inner = {
        {"ociVersion", state.oci_version},
        {"id", state.id},
        {"status", state.status},
        {"pid", state.init_pid != 0 ? state.init_pid : state.pid},
        {"bundle", state.bundle},
    };
    // Optional fields are omitted when empty, as runc's encoder does.
    if (!state.annotations.empty()) inner["annotations"] = state.annotations;
    nlohmann::ordered_json document = {
        {"ociVersion", kRuntimeSpecVersion},
        {"fds", {kSeccompFdName}},
        {"pid", state.pid},
    };
    if (!state.metadata.empty()) document["metadata"] = state.metadata;
    document["state"] = std::move(inner);
    return document.dump();
}

void send_to_seccomp_agent(const std::string& listener_path, std::string_view state_json,
                           int listener_fd) {
    const auto step = [&](std::string_view what) {
        return fmt::format("linux.seccomp.listenerPath: {}", what);
    };
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (listener_path.size() >= sizeof(address.sun_path))
        fail("{} {}", step("path too long"), listener_path);
    std::memcpy(address.sun_path, listener_path.data(), listener_path.size());

    const sys::UniqueFd socket(
        check_sys(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), step("socket")));
    int rc;
    do {
        rc = ::connect(socket.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address));
    } while (rc < 0 && errno == EINTR);
    check_sys(rc, step("connect to the seccomp agent"), listener_path);

    // The fd travels with the first byte; a stream socket may take the rest in pieces.
    const ssize_t sent = sys::send_with_fd(socket.get(), state_json, listener_fd);
    check_sys(sent, step("send the listener fd to the seccomp agent"), listener_path);
    for (auto done = static_cast<std::size_t>(sent); done < state_json.size();) {
        const ssize_t n =
            ::send(socket.get(), state_json.data() + done, state_json.size() - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        check_sys(n, step("send the container state to the seccomp agent"), listener_path);
        done += static_cast<std::size_t>(n);
    }
}

}  // namespace hako::security
