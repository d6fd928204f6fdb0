#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "security/seccomp_notify.hpp"
#include "sys/error.hpp"
#include "sys/unique_fd.hpp"
#include "test_support.hpp"

namespace {

using nlohmann::json;
using namespace hako::security;
using hako::sys::UniqueFd;

ContainerProcessState sample_state() {
    ContainerProcessState state;
    state.oci_version = "1.0.2";
    state.id = "box";
    state.pid = 4422;
    state.bundle = "/containers/box";
    state.annotations = {{"io.example", "yes"}};
    state.metadata = "MKNOD=/dev/null";
    return state;
}

TEST(SeccompNotify, ContainerProcessStateDocument) {
    const json document = json::parse(container_process_state_json(sample_state()));
    EXPECT_EQ(document, json::parse(R"({
      "ociVersion": "1.3.0",
      "fds": ["seccompFd"],
      "pid": 4422,
      "metadata": "MKNOD=/dev/null",
      "state": {"ociVersion": "1.0.2", "id": "box", "status": "creating", "pid": 4422,
                "bundle": "/containers/box", "annotations": {"io.example": "yes"}}
    })"));
}

TEST(SeccompNotify, AnExecdProcessInARunningContainer) {
    ContainerProcessState state = sample_state();
    state.pid = 5000;
    state.init_pid = 4422;
    state.status = "running";
    const json document = json::parse(container_process_state_json(state));
    EXPECT_EQ(document["pid"], 5000);
    EXPECT_EQ(document["state"]["pid"], 4422);
    EXPECT_EQ(document["state"]["status"], "running");
}

TEST(SeccompNotify, OptionalFieldsOmittedWhenEmpty) {
    ContainerProcessState state = sample_state();
    state.metadata.clear();
    state.annotations.clear();
    const json document = json::parse(container_process_state_json(state));
    EXPECT_FALSE(document.contains("metadata"));
    EXPECT_FALSE(document["state"].contains("annotations"));
}

using hako::test::listen_at;
using hako::test::TempDir;

TEST(SeccompNotify, SendsTheStateWithTheFd) {
    TempDir dir;
    const std::string path = dir.path() + "/agent.sock";
    const UniqueFd listener = listen_at(path);
    // Any fd stands in for the seccomp listener; a pipe end is easy to recognise.
    int pipe_fds[2];
    ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
    const UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
    const std::string text = container_process_state_json(sample_state());

    send_to_seccomp_agent(path, text, write_end.get());

    const UniqueFd connection(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    ASSERT_TRUE(connection);
    std::array<char, 4096> buffer{};
    iovec iov{buffer.data(), buffer.size()};
    msghdr message{};
    message.msg_iov = &iov;
    message.msg_iovlen = 1;
    alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int))> control{};
    message.msg_control = control.data();
    message.msg_controllen = control.size();
    const ssize_t n = ::recvmsg(connection.get(), &message, MSG_CMSG_CLOEXEC | MSG_WAITALL);
    ASSERT_GT(n, 0);
    EXPECT_EQ(std::string(buffer.data(), static_cast<std::size_t>(n)), text);
    const cmsghdr* cmsg = CMSG_FIRSTHDR(&message);
    ASSERT_NE(cmsg, nullptr);
    ASSERT_EQ(cmsg->cmsg_type, SCM_RIGHTS);
    int received = -1;
    std::memcpy(&received, CMSG_DATA(cmsg), sizeof(int));
    const UniqueFd passed(received);
    struct stat a {}, b {};
    ASSERT_EQ(::fstat(passed.get(), &a), 0);
    ASSERT_EQ(::fstat(write_end.get(), &b), 0);
    EXPECT_EQ(a.st_ino, b.st_ino);
    EXPECT_EQ(a.st_dev, b.st_dev);
}

TEST(SeccompNotify, NoAgentListeningNamesThePath) {
    TempDir dir;
    const std::string path = dir.path() + "/nobody.sock";
    try {
        send_to_seccomp_agent(path, "{}", 0);
        FAIL() << "expected an error";
    } catch (const hako::Error& e) {
        EXPECT_EQ(std::string(e.what()),
                  "linux.seccomp.listenerPath: connect to the seccomp agent " + path +
                      ": No such file or directory");
        EXPECT_EQ(e.errno_value(), ENOENT);
    }
}

}  // namespace
