#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "state/proc_stat.hpp"
#include "state/state_store.hpp"
#include "sys/error.hpp"

using hako::state::ContainerDir;
using hako::state::ContainerState;
using hako::state::StateStore;
using hako::state::Status;

namespace {

class StateStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = "/tmp/hako-state-test.XXXXXX";
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr) << std::strerror(errno);
        temp_ = pattern;
        root_ = temp_ + "/run/hako";  // two missing levels: exercises mkdir -p
    }
    void TearDown() override { std::filesystem::remove_all(temp_); }

    [[nodiscard]] bool exists(const std::string& path) const {
        struct stat st {};
        return ::lstat(path.c_str(), &st) == 0;
    }

    std::string temp_;
    std::string root_;
};

std::string error_of(auto&& action) {
    try {
        action();
    } catch (const hako::Error& e) {
        return e.what();
    }
    return "";
}

ContainerState state_for(const std::string& id, pid_t pid, std::uint64_t start_time,
                         Status status) {
    ContainerState state;
    state.oci_version = "1.2.0";
    state.id = id;
    state.status = status;
    state.pid = pid;
    state.init_start_time = start_time;
    state.bundle = "/bundle";
    state.rootfs = "/bundle/rootfs";
    state.created = "2026-01-01T00:00:00.000000000Z";
    return state;
}

std::uint64_t own_start_time() {
    const auto stat = hako::state::read_proc_stat(::getpid());
    return stat ? stat->start_time : 0;
}

// A pid that certainly names no process: a reaped child's (pids are not reused this soon).
pid_t dead_pid() {
    const pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    int status = 0;
    ::waitpid(child, &status, 0);
    return child;
}

// Forks a child that runs open(id) on the store and reports through a pipe: 'L' locked,
// 'M' "does not exist", 'E' any other error. held is closed in the child first: a forked
// child shares the parent's open file description and with it the flock.
struct OpenProbe {
    pid_t pid = -1;
    int read_fd = -1;

    OpenProbe(const StateStore& store, const std::string& id, int held_fd) {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) < 0) return;
        pid = ::fork();
        if (pid == 0) {
            ::close(fds[0]);
            if (held_fd >= 0) ::close(held_fd);
            char result = 'E';
            try {
                StateStore own(store.root());
                const ContainerDir dir = own.open(id);
                result = 'L';
            } catch (const hako::Error& e) {
                result = std::strstr(e.what(), "does not exist") != nullptr ? 'M' : 'E';
            }
            (void)!::write(fds[1], &result, 1);
            ::_exit(0);
        }
        ::close(fds[1]);
        read_fd = fds[0];
    }
    OpenProbe(const OpenProbe&) = delete;
    OpenProbe& operator=(const OpenProbe&) = delete;
    ~OpenProbe() {
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            int status = 0;
            ::waitpid(pid, &status, 0);
        }
        if (read_fd >= 0) ::close(read_fd);
    }

    // The child's report, or 0 when it has said nothing within timeout_ms.
    [[nodiscard]] char result(int timeout_ms) const {
        pollfd pfd{read_fd, POLLIN, 0};
        if (::poll(&pfd, 1, timeout_ms) != 1) return 0;
        char byte = 0;
        return ::read(read_fd, &byte, 1) == 1 ? byte : 0;
    }
};

}  // namespace

TEST_F(StateStoreTest, RootTrailingSlashIsDropped) {
    EXPECT_EQ(StateStore(root_ + "/").root(), root_);
    EXPECT_EQ(StateStore("/").root(), "/");
}

TEST_F(StateStoreTest, MissingRootListsNothingAndOpensNothing) {
    StateStore store(root_);
    EXPECT_TRUE(store.list_ids().empty());
    EXPECT_EQ(error_of([&] { (void)store.open("abc"); }), "container abc does not exist");
    EXPECT_FALSE(exists(root_));
}

TEST_F(StateStoreTest, CreateMakesRootAndContainerDir) {
    StateStore store(root_);
    const ContainerDir dir = store.create("abc");
    EXPECT_EQ(dir.id(), "abc");
    EXPECT_EQ(dir.path(), root_ + "/abc");
    EXPECT_EQ(dir.exec_socket_path(), root_ + "/abc/exec.sock");
    EXPECT_GE(dir.fd(), 0);
    struct stat st {};
    ASSERT_EQ(::stat(root_.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0700U);
    ASSERT_EQ(::stat(dir.path().c_str(), &st), 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0700U);
    EXPECT_NE(::fcntl(dir.fd(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST_F(StateStoreTest, CreateTwiceFails) {
    StateStore store(root_);
    { const ContainerDir dir = store.create("abc"); }
    EXPECT_EQ(error_of([&] { (void)store.create("abc"); }), "container with id abc already exists");
}

TEST_F(StateStoreTest, InvalidIdsAreRejected) {
    StateStore store(root_);
    EXPECT_NE(error_of([&] { (void)store.create("../x"); }).find("invalid container id"),
              std::string::npos);
    EXPECT_NE(error_of([&] { (void)store.open(".."); }).find("invalid container id"),
              std::string::npos);
    EXPECT_FALSE(exists(temp_ + "/run/x"));
}

TEST_F(StateStoreTest, OpenMissingContainer) {
    StateStore store(root_);
    { const ContainerDir dir = store.create("present"); }
    EXPECT_EQ(error_of([&] { (void)store.open("absent"); }), "container absent does not exist");
    // A stray file under the root is not a container either.
    std::ofstream(root_ + "/file") << "x";
    EXPECT_EQ(error_of([&] { (void)store.open("file"); }), "container file does not exist");
    EXPECT_NO_THROW((void)store.open("present"));
}

TEST_F(StateStoreTest, ListIdsSortedDirectoriesOnly) {
    StateStore store(root_);
    for (const char* id : {"charlie", "alpha", "bravo", "Zulu"}) (void)store.create(id);
    std::ofstream(root_ + "/not-a-dir") << "x";
    ASSERT_EQ(::mkdir((root_ + "/.hidden").c_str(), 0700), 0);
    EXPECT_EQ(store.list_ids(), (std::vector<std::string>{"Zulu", "alpha", "bravo", "charlie"}));
}

// create stages the state it will have once the init is ready while the init mounts; readers
// see the previous state until the commit.
TEST_F(StateStoreTest, StagedStateAppearsOnlyOnCommit) {
    StateStore store(root_);
    const ContainerDir dir = store.create("abc");
    dir.save(state_for("abc", 0, 0, Status::creating));
    dir.stage(state_for("abc", 1234, 5678, Status::created));
    EXPECT_EQ(dir.load().status, Status::creating);
    EXPECT_EQ(dir.load().pid, 0);
    dir.commit_staged();
    EXPECT_EQ(dir.load().status, Status::created);
    EXPECT_EQ(dir.load().pid, 1234);
    EXPECT_FALSE(exists(dir.path() + "/.state.json.tmp"));
}

TEST_F(StateStoreTest, SaveAndLoad) {
    StateStore store(root_);
    const ContainerDir dir = store.create("abc");
    EXPECT_FALSE(dir.try_load().has_value());
    EXPECT_EQ(error_of([&] { (void)dir.load(); }), "container abc: state.json missing");

    ContainerState state = state_for("abc", 1234, 5678, Status::created);
    state.annotations = {{"k", "v"}};
    state.cgroup_paths = {{"/sys/fs/cgroup", "/sys/fs/cgroup/hako/abc"}};
    dir.save(state);
    state.status = Status::running;  // save again: rename must replace the old file
    dir.save(state);

    const ContainerState loaded = dir.load();
    EXPECT_EQ(loaded.id, "abc");
    EXPECT_EQ(loaded.status, Status::running);
    EXPECT_EQ(loaded.pid, 1234);
    EXPECT_EQ(loaded.init_start_time, 5678U);
    EXPECT_EQ(loaded.annotations, state.annotations);
    EXPECT_EQ(loaded.cgroup_paths, state.cgroup_paths);
    EXPECT_TRUE(dir.try_load().has_value());
    EXPECT_FALSE(exists(dir.path() + "/.state.json.tmp"));

    struct stat st {};
    ASSERT_EQ(::stat((dir.path() + "/state.json").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600U);
}

TEST_F(StateStoreTest, CorruptStateNamesThePath) {
    StateStore store(root_);
    const ContainerDir dir = store.create("abc");
    std::ofstream(dir.path() + "/state.json") << R"({"id":"abc","status":"running","pid":"x"})";
    EXPECT_EQ(error_of([&] { (void)dir.load(); }),
              dir.path() + R"(/state.json: invalid: field "pid" must be an integer)");
    std::ofstream(dir.path() + "/state.json") << "";
    const std::string message = error_of([&] { (void)dir.try_load(); });
    EXPECT_EQ(message.rfind(dir.path() + "/state.json: invalid: ", 0), 0U) << message;
}

TEST_F(StateStoreTest, CurrentStatus) {
    StateStore store(root_);
    const ContainerDir dir = store.create("abc");
    const std::uint64_t start = own_start_time();
    ASSERT_NE(start, 0U);
    const pid_t self = ::getpid();

    EXPECT_EQ(dir.current_status(state_for("abc", 0, 0, Status::creating)), Status::creating);
    EXPECT_EQ(dir.current_status(state_for("abc", 0, 0, Status::created)), Status::stopped);
    EXPECT_EQ(dir.current_status(state_for("abc", dead_pid(), 0, Status::running)),
              Status::stopped);
    // Our pid with a different start time: the pid was recycled.
    EXPECT_EQ(dir.current_status(state_for("abc", self, start + 1, Status::running)),
              Status::stopped);

    EXPECT_EQ(dir.current_status(state_for("abc", self, start, Status::running)),
              Status::running);
    EXPECT_EQ(dir.current_status(state_for("abc", self, start, Status::creating)),
              Status::creating);
    EXPECT_EQ(dir.current_status(state_for("abc", self, start, Status::paused)), Status::paused);

    std::ofstream(dir.exec_socket_path()) << "";
    EXPECT_EQ(dir.current_status(state_for("abc", self, start, Status::created)),
              Status::created);
    EXPECT_EQ(dir.current_status(state_for("abc", self, start, Status::running)),
              Status::created);
    EXPECT_EQ(dir.current_status(state_for("abc", dead_pid(), 0, Status::created)),
              Status::stopped);
    ASSERT_EQ(::unlink(dir.exec_socket_path().c_str()), 0);
    EXPECT_EQ(dir.current_status(state_for("abc", self, start, Status::created)),
              Status::running);
}

TEST_F(StateStoreTest, RemoveDeletesEverything) {
    StateStore store(root_);
    ContainerDir dir = store.create("abc");
    dir.save(state_for("abc", 1, 1, Status::created));
    std::ofstream(dir.exec_socket_path()) << "";
    std::filesystem::create_directories(dir.path() + "/sub/deeper");
    std::ofstream(dir.path() + "/sub/deeper/file") << "x";
    ASSERT_EQ(::symlink("/etc", (dir.path() + "/link").c_str()), 0);

    dir.remove();
    EXPECT_FALSE(exists(dir.path()));
    EXPECT_TRUE(exists("/etc/passwd"));  // the symlink was removed, not followed
    EXPECT_TRUE(store.list_ids().empty());
    EXPECT_EQ(error_of([&] { (void)store.open("abc"); }), "container abc does not exist");
    EXPECT_NO_THROW(dir.remove());  // already gone is fine
    // The id is free again.
    EXPECT_NO_THROW((void)store.create("abc"));
}

TEST_F(StateStoreTest, OpenBlocksWhileAnotherHoldsTheLock) {
    StateStore store(root_);
    std::optional<ContainerDir> held = store.create("abc");
    const OpenProbe probe(store, "abc", held->fd());
    ASSERT_GT(probe.pid, 0);
    EXPECT_EQ(probe.result(300), 0) << "open() did not wait for the lock";
    held.reset();
    EXPECT_EQ(probe.result(10000), 'L');
}

TEST_F(StateStoreTest, OpenOfAnotherIdDoesNotBlock) {
    StateStore store(root_);
    { const ContainerDir other = store.create("other"); }
    const ContainerDir held = store.create("abc");
    const OpenProbe probe(store, "other", held.fd());
    ASSERT_GT(probe.pid, 0);
    EXPECT_EQ(probe.result(10000), 'L');
}

TEST_F(StateStoreTest, OpenWaitingOnADeletedContainerSaysDoesNotExist) {
    StateStore store(root_);
    std::optional<ContainerDir> held = store.create("abc");
    const OpenProbe probe(store, "abc", held->fd());
    ASSERT_GT(probe.pid, 0);
    EXPECT_EQ(probe.result(300), 0);
    held->remove();
    held.reset();
    EXPECT_EQ(probe.result(10000), 'M');
}

TEST_F(StateStoreTest, OpenWaitingOnAReplacedContainerLocksTheNewOne) {
    StateStore store(root_);
    std::optional<ContainerDir> held = store.create("abc");
    const OpenProbe probe(store, "abc", held->fd());
    ASSERT_GT(probe.pid, 0);
    EXPECT_EQ(probe.result(300), 0);
    held->remove();
    // Re-created under the same id before the waiter wakes up.
    std::optional<ContainerDir> replacement = store.create("abc");
    held.reset();
    // The waiter now queues on the replacement, which we hold.
    EXPECT_EQ(probe.result(300), 0);
    replacement.reset();
    EXPECT_EQ(probe.result(10000), 'L');
}

TEST_F(StateStoreTest, UnlockedDirectoryLetsOthersInAndRelockTakesItBack) {
    StateStore store(root_);
    ContainerDir held = store.create("abc");
    held.unlock();
    {
        const OpenProbe probe(store, "abc", held.fd());
        ASSERT_GT(probe.pid, 0);
        EXPECT_EQ(probe.result(10000), 'L') << "open() waited on an unlocked directory";
    }
    EXPECT_TRUE(held.relock());
    const OpenProbe probe(store, "abc", held.fd());
    ASSERT_GT(probe.pid, 0);
    EXPECT_EQ(probe.result(300), 0) << "open() did not wait for the relocked directory";
    held.remove();
}

TEST_F(StateStoreTest, RelockSaysWhenTheContainerWasDeletedOrReplacedMeanwhile) {
    StateStore store(root_);
    ContainerDir first = store.create("abc");
    first.unlock();
    {
        ContainerDir other = store.open("abc");
        other.remove();
    }
    // A new container under the same id is not the one relock() holds.
    const ContainerDir replacement = store.create("abc");
    EXPECT_FALSE(first.relock());
    struct stat st {};
    EXPECT_EQ(::fstat(replacement.fd(), &st), 0);
    EXPECT_NE(st.st_nlink, 0u);
}
