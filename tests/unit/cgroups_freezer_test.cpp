// The freezer through the Manager interface on real cgroups (each driver: this host's layout,
// its v1 part alone and its cgroup2 part alone), plus the v1/v2 file protocol against fake
// files. Needs root; every directory is /hako-test-<pid>-<test> and is removed.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "cgroups/freezer.hpp"
#include "cgroups/manager.hpp"
#include "sys/error.hpp"

namespace stdfs = std::filesystem;
using hako::cgroups::FreezerState;
using hako::cgroups::Hierarchy;
using hako::cgroups::Layout;
using hako::cgroups::LayoutKind;
using namespace std::chrono_literals;

namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// Counters a child advances, shared with the test through an anonymous shared mapping.
struct Shared {
    std::atomic<unsigned long> ticks{0};
    std::atomic<int> usr1{0};
};

Shared* shared_memory() {
    void* memory = ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE,
                          MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) return nullptr;
    return new (memory) Shared();
}

// A child that counts as fast as it can and counts the SIGUSR1s it takes (blocked, and
// collected in the loop, so only a running child collects them). SIGKILLed and reaped at the
// end.
class Counter {
  public:
    explicit Counter(Shared* shared) : shared_(shared) {
        sigset_t usr1;
        sigemptyset(&usr1);
        sigaddset(&usr1, SIGUSR1);
        pid_ = ::fork();
        if (pid_ == 0) {
            ::sigprocmask(SIG_BLOCK, &usr1, nullptr);
            const timespec no_wait{0, 0};
            for (;;) {
                shared->ticks.fetch_add(1);
                if (::sigtimedwait(&usr1, nullptr, &no_wait) == SIGUSR1) shared->usr1.fetch_add(1);
            }
        }
    }
    Counter(const Counter&) = delete;
    Counter& operator=(const Counter&) = delete;
    ~Counter() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    [[nodiscard]] pid_t pid() const { return pid_; }
    [[nodiscard]] bool advances() const {
        const unsigned long before = shared_->ticks.load();
        std::this_thread::sleep_for(100ms);
        return shared_->ticks.load() != before;
    }
    // Waits (bounded) for the child to die; returns its wait status, or -1.
    int wait_dead() {
        for (int i = 0; i < 500; ++i) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                return status;
            }
            std::this_thread::sleep_for(10ms);
        }
        return -1;
    }

  private:
    Shared* shared_;
    pid_t pid_ = -1;
};

class CgroupsFreezer : public ::testing::Test {
  protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root";
        layout_ = hako::cgroups::detect_layout();
        if (layout_.hierarchies.empty()) GTEST_SKIP() << "no cgroup mounts";
        name_ = "/hako-test-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name();
        shared_ = shared_memory();
        ASSERT_NE(shared_, nullptr);
    }
    void TearDown() override {
        for (const Hierarchy& hierarchy : layout_.hierarchies) {
            const std::string top = hierarchy.mount_point + name_;
            if (!stdfs::exists(top)) continue;
            ADD_FAILURE() << "left behind: " << top;
            std::ofstream(top + "/freezer.state") << "THAWED";
            ::rmdir(top.c_str());
        }
        if (shared_ != nullptr) ::munmap(shared_, sizeof(Shared));
    }

    // This host's layout, its v1 hierarchies alone and its cgroup2 one alone: each driver.
    [[nodiscard]] std::vector<Layout> driver_layouts() const {
        std::vector<Layout> layouts{layout_};
        Layout v1_only{LayoutKind::v1, {}};
        for (const Hierarchy& hierarchy : layout_.hierarchies) {
            if (!hierarchy.unified) v1_only.hierarchies.push_back(hierarchy);
        }
        if (layout_.kind == LayoutKind::hybrid) {
            layouts.push_back(v1_only);
            layouts.push_back(Layout{LayoutKind::v2, {*layout_.unified()}});
        }
        return layouts;
    }

    // The file that shows the freezer in effect for this layout's driver.
    [[nodiscard]] static std::string freezer_file(const Layout& layout, const std::string& name) {
        if (const Hierarchy* freezer = layout.find_v1("freezer")) {
            return freezer->mount_point + name + "/freezer.state";
        }
        return layout.unified()->mount_point + name + "/cgroup.events";
    }

    Layout layout_;
    std::string name_;
    Shared* shared_ = nullptr;
};

TEST_F(CgroupsFreezer, FreezeAndThawEveryDriver) {
    for (const Layout& layout : driver_layouts()) {
        SCOPED_TRACE(std::string(hako::cgroups::layout_name(layout.kind)));
        auto manager = hako::cgroups::make_manager(layout, name_, "id");
        manager->create();
        Counter child(shared_);
        manager->add_process(child.pid(), {});
        ASSERT_TRUE(child.advances());
        EXPECT_EQ(manager->freezer_state(), FreezerState::thawed);

        const auto start = std::chrono::steady_clock::now();
        manager->freeze(true);
        const auto took = std::chrono::steady_clock::now() - start;
        EXPECT_LT(took, 1s);
        EXPECT_EQ(manager->freezer_state(), FreezerState::frozen);
        const std::string file = freezer_file(layout, name_);
        if (layout.find_v1("freezer") != nullptr) {
            EXPECT_EQ(slurp(file), "FROZEN\n");
            // The v1 freezer parks tasks in the refrigerator, shown as uninterruptible.
            const std::string status = slurp("/proc/" + std::to_string(child.pid()) + "/status");
            EXPECT_NE(status.find("State:\tD (disk sleep)"), std::string::npos) << status;
        } else {
            EXPECT_NE(slurp(file).find("frozen 1"), std::string::npos) << slurp(file);
        }
        EXPECT_FALSE(child.advances()) << "a frozen process ran";
        // A loaded manager (as `state` builds one from state.json) sees the same.
        EXPECT_EQ(hako::cgroups::load_manager(manager->paths())->freezer_state(),
                  FreezerState::frozen);

        manager->freeze(false);
        EXPECT_EQ(manager->freezer_state(), FreezerState::thawed);
        EXPECT_TRUE(child.advances()) << "still frozen after thaw";
        manager->destroy();
        EXPECT_NE(child.wait_dead(), -1);
    }
}

// A paused container stays paused through kill --all with a catchable signal; the signal
// arrives on resume. A running one is frozen only while it is being signalled.
TEST_F(CgroupsFreezer, SignalAllKeepsThePausedState) {
    for (const Layout& layout : driver_layouts()) {
        SCOPED_TRACE(std::string(hako::cgroups::layout_name(layout.kind)));
        shared_->usr1 = 0;
        auto manager = hako::cgroups::make_manager(layout, name_, "id");
        manager->create();
        Counter child(shared_);
        manager->add_process(child.pid(), {});
        ASSERT_TRUE(child.advances());  // SIGUSR1 is blocked by now

        manager->signal_all(SIGUSR1);
        EXPECT_EQ(manager->freezer_state(), FreezerState::thawed);
        for (int i = 0; i < 200 && shared_->usr1.load() == 0; ++i) std::this_thread::sleep_for(5ms);
        EXPECT_EQ(shared_->usr1.load(), 1);

        manager->freeze(true);
        manager->signal_all(SIGUSR1);
        EXPECT_EQ(manager->freezer_state(), FreezerState::frozen);
        std::this_thread::sleep_for(50ms);
        EXPECT_EQ(shared_->usr1.load(), 1) << "a frozen process took the signal";
        manager->freeze(false);
        for (int i = 0; i < 200 && shared_->usr1.load() == 1; ++i) std::this_thread::sleep_for(5ms);
        EXPECT_EQ(shared_->usr1.load(), 2);
        manager->destroy();
        EXPECT_NE(child.wait_dead(), -1);
    }
}

TEST_F(CgroupsFreezer, SignalAllSigkillReachesAFrozenProcess) {
    for (const Layout& layout : driver_layouts()) {
        SCOPED_TRACE(std::string(hako::cgroups::layout_name(layout.kind)));
        auto manager = hako::cgroups::make_manager(layout, name_, "id");
        manager->create();
        Counter child(shared_);
        manager->add_process(child.pid(), {});
        manager->freeze(true);
        manager->signal_all(SIGKILL);
        const int status = child.wait_dead();
        EXPECT_TRUE(status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
        EXPECT_EQ(manager->freezer_state(), FreezerState::thawed);
        manager->destroy();
    }
}

TEST_F(CgroupsFreezer, DestroyKillsAFrozenContainer) {
    for (const Layout& layout : driver_layouts()) {
        SCOPED_TRACE(std::string(hako::cgroups::layout_name(layout.kind)));
        auto manager = hako::cgroups::make_manager(layout, name_, "id");
        manager->create();
        Counter child(shared_);
        manager->add_process(child.pid(), {});
        manager->freeze(true);
        manager->destroy();
        const int status = child.wait_dead();
        EXPECT_TRUE(status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
        for (const auto& [mount_point, dir] : manager->paths()) {
            EXPECT_FALSE(stdfs::exists(dir)) << dir;
        }
    }
}

TEST_F(CgroupsFreezer, NoFreezer) {
    // A cgroup that does not exist (deleted): no freezer to report, nothing to thaw.
    auto gone = hako::cgroups::make_manager(layout_, name_, "id");
    EXPECT_EQ(gone->freezer_state(), FreezerState::undefined);
    gone->freeze(false);
    // v1 hierarchies without the freezer one: pausing is impossible and says so.
    Layout no_freezer{LayoutKind::v1, {}};
    for (const Hierarchy& hierarchy : layout_.hierarchies) {
        if (!hierarchy.unified && hierarchy.mount_point.find("freezer") == std::string::npos &&
            layout_.find_v1("freezer") != &hierarchy) {
            no_freezer.hierarchies.push_back(hierarchy);
        }
    }
    if (no_freezer.hierarchies.empty()) return;
    auto manager = hako::cgroups::make_manager(no_freezer, name_, "id");
    try {
        manager->freeze(true);
        FAIL() << "no throw";
    } catch (const hako::Error& e) {
        EXPECT_STREQ(e.what(), "cannot freeze: no v1 freezer hierarchy is mounted");
    }
}

// ---------------------------------------------------------------------------------------
// The file protocol, against plain files.

class FakeFreezer : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string templ = (stdfs::temp_directory_path() / "hako-freezer-XXXXXX").string();
        ASSERT_NE(::mkdtemp(templ.data()), nullptr);
        dir_ = templ;
    }
    void TearDown() override { stdfs::remove_all(dir_); }
    void put(const std::string& name, const std::string& text) {
        std::ofstream(dir_ + "/" + name) << text;
    }
    std::string dir_;
};

TEST_F(FakeFreezer, V1States) {
    using hako::cgroups::detail::v1_freezer_state;
    EXPECT_EQ(v1_freezer_state(dir_), FreezerState::undefined);
    put("freezer.state", "THAWED\n");
    EXPECT_EQ(v1_freezer_state(dir_), FreezerState::thawed);
    put("freezer.state", "FROZEN\n");
    put("freezer.self_freezing", "1\n");
    EXPECT_EQ(v1_freezer_state(dir_), FreezerState::frozen);
    put("freezer.self_freezing", "0\n");  // frozen through an ancestor: not paused itself
    EXPECT_EQ(v1_freezer_state(dir_), FreezerState::thawed);
    put("freezer.state", "MELTING\n");
    try {
        (void)v1_freezer_state(dir_);
        FAIL() << "no throw";
    } catch (const hako::Error& e) {
        EXPECT_EQ(std::string(e.what()), dir_ + "/freezer.state: unknown state \"MELTING\"");
    }
}

TEST_F(FakeFreezer, V1FreezeWritesAndConfirms) {
    // One write(2) each, no truncation, as cgroupfs expects: the newline stays.
    put("freezer.state", "THAWED\n");
    hako::cgroups::detail::set_v1_freezer(dir_, true);  // a plain file reads back FROZEN at once
    EXPECT_EQ(slurp(dir_ + "/freezer.state"), "FROZEN\n");
    hako::cgroups::detail::set_v1_freezer(dir_, false);
    EXPECT_EQ(slurp(dir_ + "/freezer.state"), "THAWED\n");
    stdfs::remove(dir_ + "/freezer.state");
    hako::cgroups::detail::set_v1_freezer(dir_, false);  // gone: nothing to thaw
    try {
        hako::cgroups::detail::set_v1_freezer(dir_, true);
        FAIL() << "no throw";
    } catch (const hako::Error& e) {
        EXPECT_EQ(std::string(e.what()), "write " + dir_ + "/freezer.state: No such file or directory");
    }
}

TEST_F(FakeFreezer, V2States) {
    using hako::cgroups::detail::v2_freezer_state;
    EXPECT_EQ(v2_freezer_state(dir_), FreezerState::undefined);
    hako::cgroups::detail::set_v2_freezer(dir_, false);  // nothing to thaw: fine
    put("cgroup.freeze", "0\n");
    EXPECT_EQ(v2_freezer_state(dir_), FreezerState::thawed);
    put("cgroup.events", "populated 1\nfrozen 1\n");
    hako::cgroups::detail::set_v2_freezer(dir_, true);
    EXPECT_EQ(slurp(dir_ + "/cgroup.freeze"), "1\n");
    EXPECT_EQ(v2_freezer_state(dir_), FreezerState::frozen);
    put("cgroup.freeze", "2\n");
    EXPECT_THROW((void)v2_freezer_state(dir_), hako::Error);
}

}  // namespace
