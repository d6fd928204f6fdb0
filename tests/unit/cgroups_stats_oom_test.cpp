// OOM notification: a real OOM kill in a v1 memory cgroup (when this host has one), and the v2
// notifier's inotify protocol against plain files standing in for memory.events and
// cgroup.events (inotify reports writes to regular files the same way).
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "cgroups/manager.hpp"
#include "cgroups/oom_notifier.hpp"
#include "sys/error.hpp"

namespace stdfs = std::filesystem;

namespace {

bool readable_within(int fd, int milliseconds) {
    pollfd entry{fd, POLLIN, 0};
    return ::poll(&entry, 1, milliseconds) == 1 && (entry.revents & POLLIN) != 0;
}

TEST(CgroupsOom, V1KillIsReported) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    const hako::cgroups::Layout layout = hako::cgroups::detect_layout();
    const hako::cgroups::Hierarchy* memory = layout.find_v1("memory");
    if (memory == nullptr) GTEST_SKIP() << "no v1 memory hierarchy";
    const std::string name = "/hako-test-" + std::to_string(::getpid()) + "-oom";
    auto manager = hako::cgroups::make_manager(layout, name, "id");
    manager->create();
    const std::string dir = memory->mount_point + name;
    std::ofstream(dir + "/memory.limit_in_bytes") << "8388608";
    auto notifier = manager->oom_notifier();
    ASSERT_NE(notifier, nullptr);
    EXPECT_FALSE(readable_within(notifier->fd(), 0));

    int go[2];
    ASSERT_EQ(::pipe(go), 0);
    const pid_t child = ::fork();
    if (child == 0) {
        char byte = 0;
        if (::read(go[0], &byte, 1) != 1) ::_exit(1);
        std::vector<std::vector<char>> hog;
        for (;;) hog.emplace_back(1 << 20, 1);  // until the OOM killer stops it
    }
    ::close(go[0]);
    manager->add_process(child, {});
    ASSERT_EQ(::write(go[1], "x", 1), 1);
    ::close(go[1]);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;

    ASSERT_TRUE(readable_within(notifier->fd(), 5000)) << "no OOM notification";
    const auto events = notifier->collect();
    EXPECT_GE(events.oom_kills, 1U);
    EXPECT_FALSE(events.cgroup_gone);
    EXPECT_EQ(notifier->collect().oom_kills, 0U);  // consumed

    // Removing the cgroup wakes the eventfd too: that is the end, not an OOM.
    manager->destroy();
    ASSERT_TRUE(readable_within(notifier->fd(), 5000)) << "no notification of the removal";
    const auto last = notifier->collect();
    EXPECT_TRUE(last.cgroup_gone);
    EXPECT_EQ(last.oom_kills, 0U);
}

TEST(CgroupsOom, V1RegistrationErrorNamesTheFile) {
    try {
        (void)hako::cgroups::detail::make_v1_oom_notifier("/nonexistent-hako-cgroup");
        FAIL() << "no throw";
    } catch (const hako::Error& e) {
        EXPECT_STREQ(e.what(),
                     "open /nonexistent-hako-cgroup/memory.oom_control: No such file or directory");
    }
}

class FakeV2 : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string templ = (stdfs::temp_directory_path() / "hako-oom-XXXXXX").string();
        ASSERT_NE(::mkdtemp(templ.data()), nullptr);
        dir_ = templ;
    }
    void TearDown() override { stdfs::remove_all(dir_); }
    void put(const std::string& name, const std::string& text) {
        std::ofstream(dir_ + "/" + name) << text;
    }
    std::string dir_;
};

TEST_F(FakeV2, NoMemoryControllerNoNotifier) {
    put("cgroup.events", "populated 1\nfrozen 0\n");
    EXPECT_EQ(hako::cgroups::detail::make_v2_oom_notifier(dir_), nullptr);
}

TEST_F(FakeV2, CountsNewKillsAndTheEnd) {
    put("memory.events", "low 0\nhigh 0\nmax 0\noom 1\noom_kill 1\n");  // one before we came
    put("cgroup.events", "populated 1\nfrozen 0\n");
    auto notifier = hako::cgroups::detail::make_v2_oom_notifier(dir_);
    ASSERT_NE(notifier, nullptr);
    EXPECT_FALSE(readable_within(notifier->fd(), 0));

    put("memory.events", "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n");  // no new kill
    ASSERT_TRUE(readable_within(notifier->fd(), 1000));
    EXPECT_EQ(notifier->collect().oom_kills, 0U);

    put("memory.events", "low 0\nhigh 0\nmax 9\noom 3\noom_kill 3\n");
    ASSERT_TRUE(readable_within(notifier->fd(), 1000));
    auto events = notifier->collect();
    EXPECT_EQ(events.oom_kills, 2U);
    EXPECT_FALSE(events.cgroup_gone);

    put("cgroup.events", "populated 0\nfrozen 0\n");
    ASSERT_TRUE(readable_within(notifier->fd(), 1000));
    events = notifier->collect();
    EXPECT_TRUE(events.cgroup_gone);
    EXPECT_EQ(events.oom_kills, 0U);
}

TEST_F(FakeV2, RemovedFilesEndTheStream) {
    put("memory.events", "oom_kill 0\n");
    put("cgroup.events", "populated 1\n");
    auto notifier = hako::cgroups::detail::make_v2_oom_notifier(dir_);
    ASSERT_NE(notifier, nullptr);
    stdfs::remove(dir_ + "/memory.events");
    ASSERT_TRUE(readable_within(notifier->fd(), 1000));
    EXPECT_TRUE(notifier->collect().cgroup_gone);
}

}  // namespace
