#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "process/sync_channel.hpp"
#include "sys/error.hpp"

using hako::process::SyncChannel;
using hako::process::SyncType;

TEST(SyncChannel, CarriesTypedMessagesWithText) {
    auto [parent, child] = SyncChannel::make_pair();
    child.send(SyncType::kError, ENOENT, "mount /x: No such file or directory");
    const auto message = parent.receive();
    EXPECT_EQ(message.type, SyncType::kError);
    EXPECT_EQ(message.errno_value, ENOENT);
    EXPECT_EQ(message.text, "mount /x: No such file or directory");
}

TEST(SyncChannel, CarriesMessagesWithoutText) {
    auto [parent, child] = SyncChannel::make_pair();
    parent.send(SyncType::kCgroupsReady);
    const auto message = child.receive();
    EXPECT_EQ(message.type, SyncType::kCgroupsReady);
    EXPECT_EQ(message.text, "");
}

TEST(SyncChannel, TruncatesOverlongTextToTheLimit) {
    auto [parent, child] = SyncChannel::make_pair();
    child.send(SyncType::kReady, 0, std::string(70000, 'x'));
    EXPECT_EQ(parent.receive().text.size(), SyncChannel::kMaxText);
}

TEST(SyncChannel, PeerExitIsAnError) {
    auto [parent, child] = SyncChannel::make_pair();
    child.close();
    try {
        parent.receive();
        FAIL() << "no error";
    } catch (const hako::Error& e) {
        EXPECT_STREQ(e.what(), "container init exited during setup");
    }
}

// An init that fails before reading what hako sent it (the cgroup tasks files) closes its
// end with frames unread: the kernel reports ECONNRESET once, ahead of the init's kError.
TEST(SyncChannel, PeerExitWithOurFramesUnreadStillDeliversItsFrames) {
    auto [parent, child] = SyncChannel::make_pair();
    parent.send(SyncType::kCgroupTask, 0, "/sys/fs/cgroup/pids/x/tasks");
    child.send(SyncType::kError, EINVAL, "mount /proc (proc): refused");
    child.close();
    const auto message = parent.receive();
    EXPECT_EQ(message.type, SyncType::kError);
    EXPECT_EQ(message.text, "mount /proc (proc): refused");
    EXPECT_FALSE(parent.receive_unless_closed().has_value());
}

TEST(SyncChannel, RejectsMalformedFrames) {
    auto [parent, child] = SyncChannel::make_pair();
    // A header claiming more text than the frame carries.
    const std::uint32_t frame[3] = {3, 0, 100};
    ASSERT_EQ(::send(child.fd(), frame, sizeof(frame), 0), static_cast<ssize_t>(sizeof(frame)));
    EXPECT_THROW(parent.receive(), hako::Error);
    const std::uint32_t unknown[3] = {99, 0, 0};
    ASSERT_EQ(::send(child.fd(), unknown, sizeof(unknown), 0), static_cast<ssize_t>(sizeof(unknown)));
    EXPECT_THROW(parent.receive(), hako::Error);
}

TEST(SyncChannel, PassesAnFdWithScmRights) {
    auto [parent, child] = SyncChannel::make_pair();
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    child.send(SyncType::kReady, 0, "fd", pipe_fds[1]);
    ::close(pipe_fds[1]);
    auto message = parent.receive();
    ASSERT_TRUE(message.fd.valid());
    ASSERT_EQ(::write(message.fd.get(), "x", 1), 1);
    char byte = 0;
    EXPECT_EQ(::read(pipe_fds[0], &byte, 1), 1);
    EXPECT_EQ(byte, 'x');
    ::close(pipe_fds[0]);
}
