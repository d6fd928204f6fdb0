#include <gtest/gtest.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <thread>

#include "state/proc_stat.hpp"

using hako::state::process_alive;
using hako::state::read_proc_stat;

TEST(StateProcStat, ReadsSelf) {
    const auto stat = read_proc_stat(::getpid());
    ASSERT_TRUE(stat.has_value());
    EXPECT_EQ(stat->state, 'R');
    EXPECT_NE(stat->start_time, 0U);
    EXPECT_EQ(stat->ppid, ::getppid());
}

TEST(StateProcStat, MissingProcessIsNullopt) {
    EXPECT_FALSE(read_proc_stat(0).has_value());
    EXPECT_FALSE(read_proc_stat(-1).has_value());
    // Above the largest pid_max the kernel allows (4194304).
    EXPECT_FALSE(read_proc_stat(4194304 + 1).has_value());
    EXPECT_FALSE(process_alive(4194304 + 1, 0));
}

TEST(StateProcStat, AliveChecksStartTime) {
    const auto stat = read_proc_stat(::getpid());
    ASSERT_TRUE(stat.has_value());
    EXPECT_TRUE(process_alive(::getpid(), 0));
    EXPECT_TRUE(process_alive(::getpid(), stat->start_time));
    EXPECT_FALSE(process_alive(::getpid(), stat->start_time + 1));
}

TEST(StateProcStat, ZombieIsNotAlive) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) ::_exit(0);

    // Not reaped yet: the child stays a zombie until waitpid below.
    char state = '?';
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
        const auto stat = read_proc_stat(child);
        ASSERT_TRUE(stat.has_value());
        state = stat->state;
        if (state == 'Z') break;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_EQ(state, 'Z');
    EXPECT_FALSE(process_alive(child, 0));

    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_FALSE(read_proc_stat(child).has_value());
}

TEST(StateProcStat, CommWithSpacesAndParens) {
    // prctl would rename the test process itself; a child renamed to ") x (" exercises the
    // last-')' rule without disturbing anything else.
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::close(ready[0]);
        ::pthread_setname_np(::pthread_self(), ") x ) (y");
        const char byte = 'r';
        (void)!::write(ready[1], &byte, 1);
        ::pause();
        ::_exit(0);
    }
    ::close(ready[1]);
    char byte = 0;
    ASSERT_EQ(::read(ready[0], &byte, 1), 1);
    ::close(ready[0]);

    const auto stat = read_proc_stat(child);
    ASSERT_TRUE(stat.has_value());
    EXPECT_EQ(stat->ppid, ::getpid());
    EXPECT_NE(stat->start_time, 0U);
    EXPECT_TRUE(process_alive(child, stat->start_time));

    ::kill(child, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
}
