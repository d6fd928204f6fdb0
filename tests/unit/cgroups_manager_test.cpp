// Real cgroups on the host: these need root and leave nothing behind (every directory is
// named /hako-test-<pid>... and removed, also when an assertion fails).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <optional>
#include <sstream>

#include "cgroups/manager.hpp"
#include "process/cgroup_entry.hpp"
#include "process/sync_channel.hpp"
#include "sys/error.hpp"
#include "sys/syscalls.hpp"

using hako::cgroups::Hierarchy;
using hako::cgroups::Layout;
using hako::cgroups::Manager;

namespace {

bool exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// A child that waits for signals; killed and reaped on scope exit if still there.
class Child {
  public:
    Child() = default;
    explicit Child(pid_t pid) : pid_(pid) {}
    static Child fork_paused() {
        pid_t pid = ::fork();
        if (pid == 0) {
            for (;;) ::pause();
        }
        return Child(pid);
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    ~Child() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    [[nodiscard]] pid_t pid() const { return pid_; }
    // The wait status; the child is reaped afterwards.
    int wait() {
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        return status;
    }

  private:
    pid_t pid_ = -1;
};

class CgroupsManager : public ::testing::Test {
  protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root";
        layout_ = hako::cgroups::detect_layout();
        if (layout_.hierarchies.empty()) GTEST_SKIP() << "no cgroup mounts";
        name_ = "/hako-test-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name();
    }
    // Whatever a failed test left behind goes, deepest first.
    void TearDown() override {
        for (const Hierarchy& hierarchy : layout_.hierarchies) {
            std::string top = hierarchy.mount_point + name_;
            if (!exists(top)) continue;
            ADD_FAILURE() << "left behind: " << top;
            for (const char* sub : {"/a/b", "/a", "/sub", ""}) ::rmdir((top + sub).c_str());
        }
    }

    std::unique_ptr<Manager> make(const std::string& suffix = "") {
        return hako::cgroups::make_manager(layout_, name_ + suffix, "id");
    }

    Layout layout_;
    std::string name_;
};

TEST_F(CgroupsManager, CreateAddListDestroy) {
    auto manager = make();
    manager->create();
    auto paths = manager->paths();
    ASSERT_EQ(paths.size(), layout_.hierarchies.size());
    for (const Hierarchy& hierarchy : layout_.hierarchies) {
        EXPECT_EQ(paths[hierarchy.mount_point], hierarchy.mount_point + name_);
        EXPECT_TRUE(exists(hierarchy.mount_point + name_)) << hierarchy.mount_point;
    }
    if (layout_.unified() != nullptr) {
        EXPECT_TRUE(manager->open_unified_dir().valid());
    } else {
        EXPECT_FALSE(manager->open_unified_dir().valid());
    }

    Child child = Child::fork_paused();
    ASSERT_GT(child.pid(), 0);
    manager->add_process(child.pid(), {});
    std::string proc_cgroup = slurp("/proc/" + std::to_string(child.pid()) + "/cgroup");
    for (const Hierarchy& hierarchy : layout_.hierarchies) {
        EXPECT_EQ(hako::cgroups::own_cgroup_path(proc_cgroup, hierarchy), name_)
            << hierarchy.mount_point << "\n"
            << proc_cgroup;
    }
    EXPECT_EQ(manager->pids(), std::vector<pid_t>{child.pid()});

    manager->destroy();
    int status = child.wait();
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
    for (const Hierarchy& hierarchy : layout_.hierarchies) {
        EXPECT_FALSE(exists(hierarchy.mount_point + name_)) << hierarchy.mount_point;
    }
    manager->destroy();  // a second time: nothing left, no error
}

// Each driver on its own, as on a pure v1 or pure v2 host, by hiding part of this layout.
TEST_F(CgroupsManager, SingleLayoutDrivers) {
    std::vector<Layout> layouts;
    if (const Hierarchy* unified = layout_.unified()) {
        layouts.push_back(Layout{hako::cgroups::LayoutKind::v2, {*unified}});
    }
    Layout v1_only{hako::cgroups::LayoutKind::v1, {}};
    for (const Hierarchy& hierarchy : layout_.hierarchies) {
        if (!hierarchy.unified) v1_only.hierarchies.push_back(hierarchy);
    }
    if (!v1_only.hierarchies.empty()) layouts.push_back(v1_only);
    for (const Layout& layout : layouts) {
        SCOPED_TRACE(std::string(hako::cgroups::layout_name(layout.kind)));
        auto manager = hako::cgroups::make_manager(layout, name_, "id");
        manager->create();
        EXPECT_EQ(manager->paths().size(), layout.hierarchies.size());
        EXPECT_EQ(manager->open_unified_dir().valid(), layout.unified() != nullptr);
        Child child = Child::fork_paused();
        manager->add_process(child.pid(), {});
        EXPECT_EQ(manager->pids(), std::vector<pid_t>{child.pid()});
        manager->destroy();
        int status = child.wait();
        EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
        for (const Hierarchy& hierarchy : layout.hierarchies) {
            EXPECT_FALSE(exists(hierarchy.mount_point + name_)) << hierarchy.mount_point;
        }
    }
}

TEST_F(CgroupsManager, CloneIntoCgroup) {
    if (layout_.unified() == nullptr) GTEST_SKIP() << "no cgroup2 hierarchy";
    auto manager = make();
    manager->create();
    std::optional<Child> child;
    {
        hako::sys::UniqueFd dir = manager->open_unified_dir();
        ASSERT_TRUE(dir.valid());
        hako::sys::CloneArgs args;
        args.flags = hako::sys::kCloneIntoCgroup;
        args.exit_signal = SIGCHLD;
        args.cgroup = static_cast<std::uint64_t>(dir.get());
        pid_t pid = hako::sys::clone3(args);
        if (pid == 0) {
            for (;;) ::pause();
        }
        ASSERT_GT(pid, 0) << std::strerror(errno);
        child.emplace(pid);
    }
    std::string proc_cgroup = slurp("/proc/" + std::to_string(child->pid()) + "/cgroup");
    EXPECT_EQ(hako::cgroups::own_cgroup_path(proc_cgroup, *layout_.unified()), name_)
        << proc_cgroup;
    manager->add_process(child->pid(), {.unified = true});
    proc_cgroup = slurp("/proc/" + std::to_string(child->pid()) + "/cgroup");
    for (const Hierarchy& hierarchy : layout_.hierarchies) {
        EXPECT_EQ(hako::cgroups::own_cgroup_path(proc_cgroup, hierarchy), name_)
            << hierarchy.mount_point;
    }
    manager->destroy();
    int status = child->wait();
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
}

// A child joins the v1 hierarchies itself ("0" into each `tasks` file); cgroup2 is left to
// add_process, as for a child that could not be cloned into its cgroup.
TEST_F(CgroupsManager, SelfJoinMovesTheChildIntoEveryV1Hierarchy) {
    auto manager = make();
    manager->create();
    hako::cgroups::SelfJoin self_join = manager->open_self_join();
    const bool has_v1 = std::any_of(layout_.hierarchies.begin(), layout_.hierarchies.end(),
                                    [](const Hierarchy& h) { return !h.unified; });
    EXPECT_EQ(self_join.empty(), !has_v1);
    int ready[2];
    ASSERT_EQ(::pipe2(ready, O_CLOEXEC), 0);
    pid_t pid = ::fork();
    if (pid == 0) {
        try {
            self_join.join();
        } catch (...) {
            ::_exit(3);
        }
        ::close(ready[1]);
        for (;;) ::pause();
    }
    Child child(pid);
    ::close(ready[1]);
    self_join.close();
    char byte = 0;
    ASSERT_EQ(::read(ready[0], &byte, 1), 0);  // EOF: joined (or died, checked below)
    ::close(ready[0]);
    manager->add_process(child.pid(), {.unified = false, .v1 = true});
    std::string proc_cgroup = slurp("/proc/" + std::to_string(child.pid()) + "/cgroup");
    for (const Hierarchy& hierarchy : layout_.hierarchies) {
        EXPECT_EQ(hako::cgroups::own_cgroup_path(proc_cgroup, hierarchy), name_)
            << hierarchy.mount_point << "\n"
            << proc_cgroup;
    }
    manager->destroy();
    int status = child.wait();
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
}

// create() in two steps: the cgroup2 directory first (before the init's clone), the v1 ones
// later (while it mounts).
TEST_F(CgroupsManager, CreateInTwoStepsMakesTheCgroup2DirectoryFirst) {
    auto manager = make();
    manager->create_unified();
    for (const Hierarchy& hierarchy : layout_.hierarchies)
        EXPECT_EQ(exists(hierarchy.mount_point + name_), hierarchy.unified) << hierarchy.mount_point;
    manager->create_v1();
    for (const Hierarchy& hierarchy : layout_.hierarchies)
        EXPECT_TRUE(exists(hierarchy.mount_point + name_)) << hierarchy.mount_point;
    manager->destroy();
    for (const auto& [mount_point, dir] : manager->paths()) EXPECT_FALSE(exists(dir)) << dir;
}

// The v1 `tasks` files sent over the sync channel (CgroupEntry::V1::when_sent): the child joins
// through them.
TEST_F(CgroupsManager, V1TasksFilesSentOverTheSyncChannelJoinTheChild) {
    auto manager = make();
    manager->create_unified();
    auto [parent, child_end] = hako::process::SyncChannel::make_pair();
    hako::process::CgroupEntry entry(manager.get(), hako::process::CgroupEntry::V1::when_sent);
    pid_t pid = ::fork();
    if (pid == 0) {
        parent.close();  // so that a parent that failed shows as end-of-file
        try {
            hako::process::CgroupEntry::receive_v1_and_join(child_end);
            child_end.send(hako::process::SyncType::kReady);
        } catch (...) {
            ::_exit(3);
        }
        for (;;) ::pause();
    }
    Child child(pid);
    child_end.close();
    manager->create_v1();
    entry.send_v1(parent);
    ASSERT_EQ(parent.receive().type, hako::process::SyncType::kReady);
    manager->add_process(child.pid(), {.unified = false, .v1 = true});
    const std::string proc_cgroup = slurp("/proc/" + std::to_string(child.pid()) + "/cgroup");
    for (const Hierarchy& hierarchy : layout_.hierarchies)
        EXPECT_EQ(hako::cgroups::own_cgroup_path(proc_cgroup, hierarchy), name_)
            << hierarchy.mount_point << "\n"
            << proc_cgroup;
    manager->destroy();
    const int status = child.wait();
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
}

// The init goes on without waiting for hako (no kGo) only when nothing is left for
// add_process: born in its cgroup2 directory and joining the v1 ones itself. Both sides must
// come to the same answer.
TEST_F(CgroupsManager, EntryOfAnInitClonedIntoItsCgroupNeedsNoMoveFromTheParent) {
    EXPECT_FALSE(hako::process::CgroupEntry(nullptr).needs_add_process());
    if (layout_.unified() == nullptr) GTEST_SKIP() << "no cgroup2 hierarchy";
    auto manager = make();
    manager->create_unified();
    hako::process::CgroupEntry entry(manager.get(), hako::process::CgroupEntry::V1::when_sent);
    hako::sys::CloneArgs args;
    args.exit_signal = SIGCHLD;
    const pid_t pid = entry.clone(args);
    if (pid == 0) ::_exit(entry.needs_add_process() ? 1 : 0);
    ASSERT_GT(pid, 0) << std::strerror(errno);
    Child child(pid);
    EXPECT_FALSE(entry.needs_add_process());
    const int status = child.wait();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    manager->destroy();
}

// A joined process that is not in the hierarchy's cgroup: the error names the tasks file.
TEST_F(CgroupsManager, SelfJoinNamesTheFileTheKernelRefused) {
    const Hierarchy* cpuset = layout_.find_v1("cpuset");
    if (cpuset == nullptr) GTEST_SKIP() << "no v1 cpuset hierarchy";
    const std::string dir = cpuset->mount_point + name_;
    ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0) << dir;
    // An empty cpuset.cpus refuses every task (ENOSPC).
    hako::cgroups::SelfJoin self_join = hako::cgroups::SelfJoin::open({dir});
    pid_t pid = ::fork();
    if (pid == 0) {
        try {
            self_join.join();
        } catch (const hako::Error& e) {
            const std::string expected = "join cgroup " + dir + "/tasks";
            ::_exit(std::string(e.what()).rfind(expected, 0) == 0 ? 0 : 4);
        }
        ::_exit(5);
    }
    Child child(pid);
    self_join.close();
    int status = child.wait();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    ::rmdir(dir.c_str());
}

TEST_F(CgroupsManager, LoadManagerFromPaths) {
    auto manager = make();
    manager->create();
    Child child = Child::fork_paused();
    manager->add_process(child.pid(), {});

    auto loaded = hako::cgroups::load_manager(manager->paths());
    EXPECT_EQ(loaded->paths(), manager->paths());
    EXPECT_EQ(loaded->pids(), std::vector<pid_t>{child.pid()});
    EXPECT_EQ(loaded->open_unified_dir().valid(), layout_.unified() != nullptr);
    loaded->destroy();
    int status = child.wait();
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
    for (const auto& [mount_point, dir] : manager->paths()) EXPECT_FALSE(exists(dir)) << dir;
}

TEST_F(CgroupsManager, LoadManagerRejectsTheHierarchyRoot) {
    const std::string& mount_point = layout_.hierarchies.front().mount_point;
    try {
        hako::cgroups::load_manager({{mount_point, mount_point}});
        FAIL() << "no throw";
    } catch (const hako::Error& e) {
        EXPECT_EQ(std::string(e.what()),
                  "cgroup directory " + mount_point + " is not below its hierarchy " + mount_point);
    }
}

TEST_F(CgroupsManager, SignalAll) {
    auto manager = make();
    manager->create();
    Child child = Child::fork_paused();
    manager->add_process(child.pid(), {});
    manager->signal_all(SIGTERM);
    int status = child.wait();
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << status;
    manager->destroy();
}

TEST_F(CgroupsManager, DestroyKillsFrozenProcesses) {
    auto manager = make();
    manager->create();
    Child child = Child::fork_paused();
    manager->add_process(child.pid(), {});
    if (const Hierarchy* freezer = layout_.find_v1("freezer")) {
        std::string state = freezer->mount_point + name_ + "/freezer.state";
        std::ofstream(state) << "FROZEN";
        std::string now = slurp(state);
        EXPECT_TRUE(now == "FROZEN\n" || now == "FREEZING\n") << now;
    } else if (const Hierarchy* unified = layout_.unified()) {
        std::ofstream(unified->mount_point + name_ + "/cgroup.freeze") << "1";
        EXPECT_EQ(slurp(unified->mount_point + name_ + "/cgroup.freeze"), "1\n");
    }
    manager->destroy();
    int status = child.wait();
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
}

TEST_F(CgroupsManager, DestroyRemovesSubCgroupsAndTheirProcesses) {
    auto manager = make();
    manager->create();
    Child child = Child::fork_paused();
    manager->add_process(child.pid(), {});
    // The container made sub-cgroups and moved itself down into one of them.
    for (const Hierarchy& hierarchy : layout_.hierarchies) {
        std::string sub = hierarchy.mount_point + name_ + "/sub";
        ASSERT_EQ(::mkdir(sub.c_str(), 0755), 0) << sub;
    }
    const Hierarchy& first = layout_.hierarchies.front();
    if (!first.unified) {  // v2 forbids a process in an inner node with domain controllers
        std::ofstream(first.mount_point + name_ + "/sub/cgroup.procs")
            << std::to_string(child.pid());
    }
    EXPECT_EQ(manager->pids(), std::vector<pid_t>{child.pid()});
    manager->destroy();
    int status = child.wait();
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
    for (const Hierarchy& hierarchy : layout_.hierarchies) {
        EXPECT_FALSE(exists(hierarchy.mount_point + name_)) << hierarchy.mount_point;
    }
}

TEST_F(CgroupsManager, DestroyRemovesOnlyTheLeaf) {
    auto manager = make("/a/b");
    manager->create();
    for (const Hierarchy& hierarchy : layout_.hierarchies) {
        EXPECT_TRUE(exists(hierarchy.mount_point + name_ + "/a/b")) << hierarchy.mount_point;
    }
    if (const Hierarchy* cpuset = layout_.find_v1("cpuset")) {
        // Filled in from the parents, or no task could join.
        EXPECT_NE(slurp(cpuset->mount_point + name_ + "/a/b/cpuset.cpus"), "\n");
        EXPECT_NE(slurp(cpuset->mount_point + name_ + "/a/b/cpuset.mems"), "\n");
    }
    manager->destroy();
    for (const Hierarchy& hierarchy : layout_.hierarchies) {
        std::string top = hierarchy.mount_point + name_;
        EXPECT_FALSE(exists(top + "/a/b")) << hierarchy.mount_point;
        EXPECT_TRUE(exists(top + "/a")) << hierarchy.mount_point;  // as runc: leaf only
        EXPECT_EQ(::rmdir((top + "/a").c_str()), 0);
        EXPECT_EQ(::rmdir(top.c_str()), 0);
    }
}

TEST_F(CgroupsManager, FailedCreateLeavesNothing) {
    // A real hierarchy first, then one where mkdir must fail.
    Layout broken = layout_;
    broken.hierarchies.insert(broken.hierarchies.begin() + 1,
                              Hierarchy{"/proc/self/status", {"pids"}, false});
    auto manager = hako::cgroups::make_manager(broken, name_ + "/a", "id");
    try {
        manager->create();
        FAIL() << "no throw";
    } catch (const hako::Error& e) {
        EXPECT_EQ(std::string(e.what()), "mkdir /proc/self/status" + name_ + ": Not a directory");
    }
    for (const Hierarchy& hierarchy : layout_.hierarchies) {
        EXPECT_FALSE(exists(hierarchy.mount_point + name_)) << hierarchy.mount_point;
    }
}

TEST_F(CgroupsManager, AddProcessErrorNamesTheFile) {
    auto manager = make();
    manager->create();
    pid_t gone = 0;
    {
        Child child = Child::fork_paused();
        gone = child.pid();
    }  // killed and reaped: the pid names no process now
    try {
        manager->add_process(gone, {});
        ADD_FAILURE() << "no throw";
    } catch (const hako::Error& e) {
        const Hierarchy& first = layout_.hierarchies.front();
        EXPECT_EQ(std::string(e.what()),
                  "write " + first.mount_point + name_ + "/cgroup.procs: No such process");
    }
    manager->destroy();
}

TEST_F(CgroupsManager, RelativePathGoesBelowOwnCgroup) {
    auto manager = hako::cgroups::make_manager(layout_, "", name_.substr(1));
    std::string proc_cgroup = slurp("/proc/self/cgroup");
    for (const Hierarchy& hierarchy : layout_.hierarchies) {
        std::string own = hako::cgroups::own_cgroup_path(proc_cgroup, hierarchy);
        EXPECT_EQ(manager->paths()[hierarchy.mount_point],
                  hierarchy.mount_point + (own == "/" ? "" : own) + name_);
    }
}

}  // namespace
