// The hook runner against real processes: /bin/sh hooks that record what they got.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "hooks/runner.hpp"
#include "sys/error.hpp"
#include "test_support.hpp"

namespace {

using hako::hooks::HookKind;
using hako::hooks::HookRun;
using hako::spec::Hook;
namespace fs = std::filesystem;

class HookRunner : public ::testing::Test {
  protected:
    [[nodiscard]] std::string path(const std::string& name) const { return dir_ + "/" + name; }

    [[nodiscard]] std::string read(const std::string& name) const {
        std::ifstream in(path(name));
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    }

    static Hook shell(const std::string& script, std::optional<int> timeout = {}) {
        Hook hook;
        hook.path = "/bin/sh";
        hook.args = {"sh", "-c", script};
        hook.timeout = timeout;
        return hook;
    }

    hako::test::TempDir temp_{"hako-hooks-test"};
    const std::string dir_ = temp_.path();
};

// Alive and not a zombie, from /proc/PID/stat (this host's init reaps orphans late).
bool process_alive(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    if (!std::getline(stat, text)) return false;
    const auto paren = text.rfind(')');
    return paren != std::string::npos && paren + 2 < text.size() && text[paren + 2] != 'Z' &&
           text[paren + 2] != 'X';
}

TEST_F(HookRunner, GivesTheStateOnStdinAndArgsAsArgv) {
    Hook hook;
    hook.path = "/bin/sh";
    // args[0] is argv[0]: the shell's own /proc/PID/cmdline shows it.
    hook.args = {"custom-argv0", "-c",
                 "cat > " + path("stdin") + "; tr '\\0' ' ' < /proc/$$/cmdline > " + path("argv"),
                 "extra"};
    HookRun run;
    run.state_json = R"({"ociVersion":"1.2.0","id":"x","status":"creating"})";
    hako::hooks::run_hooks(HookKind::create_runtime, {hook}, run);
    EXPECT_EQ(read("stdin"), run.state_json);
    EXPECT_EQ(read("argv").rfind("custom-argv0 -c ", 0), 0u) << read("argv");
}

TEST_F(HookRunner, NoArgsMeansThePathAsArgv0) {
    const std::string script = path("hook.sh");
    {
        std::ofstream out(script);
        out << "#!/bin/sh\necho \"$0 $#\" > " << path("argv") << "\n";
    }
    fs::permissions(script, fs::perms::owner_all);
    Hook hook;
    hook.path = script;
    hako::hooks::run_hooks(HookKind::poststart, {hook}, {});
    EXPECT_EQ(read("argv"), script + " 0\n");
}

TEST_F(HookRunner, EnvIsExactlyTheHooksOrElseTheCallers) {
    ::setenv("HAKO_HOOK_TEST_INHERITED", "yes", 1);
    Hook with_env = shell("env > " + path("env1"));
    with_env.env = {"ONLY=this"};
    hako::hooks::run_hooks(HookKind::prestart, {with_env, shell("env > " + path("env2"))}, {});
    ::unsetenv("HAKO_HOOK_TEST_INHERITED");
    EXPECT_NE(read("env1").find("ONLY=this"), std::string::npos);
    EXPECT_EQ(read("env1").find("HAKO_HOOK_TEST_INHERITED"), std::string::npos) << read("env1");
    // runc passes its own environment to a hook without "env".
    EXPECT_NE(read("env2").find("HAKO_HOOK_TEST_INHERITED=yes"), std::string::npos);
}

TEST_F(HookRunner, RunsInTheGivenDirectoryWithOnlyStdio) {
    HookRun run;
    run.cwd = dir_;
    hako::hooks::run_hooks(HookKind::poststop, {shell("pwd > cwd; ls /proc/self/fd > fds")}, run);
    EXPECT_EQ(read("cwd"), dir_ + "\n");
    // 0-2, plus the one ls opens to list the directory.
    EXPECT_EQ(read("fds"), "0\n1\n2\n3\n");
}

TEST_F(HookRunner, SetsTheUmaskWhenAsked) {
    HookRun run;
    run.umask = 027;
    hako::hooks::run_hooks(HookKind::create_container, {shell("umask > " + path("umask"))}, run);
    EXPECT_EQ(read("umask"), "0027\n");
}

TEST_F(HookRunner, FailureNamesTheHookStatusAndOutput) {
    try {
        hako::hooks::run_hooks(HookKind::create_runtime,
                               {shell("true"), shell("echo out-text; echo err-text >&2; "
                                                     "echo line2 >&2; exit 3")},
                               {});
        FAIL() << "no error";
    } catch (const hako::Error& e) {
        EXPECT_STREQ(e.what(),
                     "error running createRuntime hook #1 (/bin/sh): exit status 3, "
                     "stdout: out-text, stderr: err-text\\nline2");
    }
}

TEST_F(HookRunner, StopsAtTheFirstFailure) {
    EXPECT_THROW(hako::hooks::run_hooks(HookKind::create_container,
                                        {shell("exit 1"), shell("touch " + path("second"))}, {}),
                 hako::Error);
    EXPECT_FALSE(fs::exists(path("second")));
}

TEST_F(HookRunner, KilledBySignalIsAFailure) {
    try {
        hako::hooks::run_hooks(HookKind::start_container, {shell("kill -9 $$")}, {});
        FAIL() << "no error";
    } catch (const hako::Error& e) {
        EXPECT_NE(std::string(e.what()).find("killed by signal 9 (SIGKILL)"), std::string::npos)
            << e.what();
    }
}

TEST_F(HookRunner, MissingExecutableIsNamed) {
    Hook hook;
    hook.path = "/nonexistent/hook";
    try {
        hako::hooks::run_hooks(HookKind::prestart, {hook}, {});
        FAIL() << "no error";
    } catch (const hako::Error& e) {
        EXPECT_STREQ(e.what(),
                     "error running prestart hook #0 (/nonexistent/hook): exec "
                     "/nonexistent/hook: No such file or directory");
    }
}

TEST_F(HookRunner, MissingDirectoryIsNamed) {
    HookRun run;
    run.cwd = path("gone");
    try {
        hako::hooks::run_hooks(HookKind::poststop, {shell("true")}, run);
        FAIL() << "no error";
    } catch (const hako::Error& e) {
        EXPECT_NE(std::string(e.what()).find("chdir " + path("gone") + ": No such file"),
                  std::string::npos)
            << e.what();
    }
}

TEST_F(HookRunner, TimeoutKillsTheHookAndWhatItStarted) {
    const auto start = std::chrono::steady_clock::now();
    try {
        hako::hooks::run_hooks(HookKind::create_runtime,
                               {shell("sleep 100 & echo $! > " + path("child") + "; wait", 2)}, {});
        FAIL() << "no error";
    } catch (const hako::Error& e) {
        EXPECT_STREQ(e.what(), "error running createRuntime hook #0 (/bin/sh): timed out after 2s");
    }
    const auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_GE(elapsed, std::chrono::milliseconds(1950));
    EXPECT_LT(elapsed, std::chrono::seconds(6));
    const std::string child_text = read("child");
    ASSERT_FALSE(child_text.empty()) << "the hook never started its child";
    const pid_t child = std::stoi(child_text);
    for (int i = 0; i < 100 && process_alive(child); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_FALSE(process_alive(child)) << "the hook's background child survived";
}

TEST_F(HookRunner, DoesNotWaitForChildrenHoldingItsOutput) {
    const auto start = std::chrono::steady_clock::now();
    // The background sleep keeps stdout and stderr open after the hook exits.
    hako::hooks::run_hooks(HookKind::poststart,
                           {shell("sleep 3 & echo $! > " + path("child") + "; exit 0")}, {});
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(2500));
    const pid_t child = std::stoi(read("child"));
    ::kill(child, SIGKILL);
}

TEST_F(HookRunner, ChattyHookNeitherBlocksNorFloodsTheError) {
    try {
        hako::hooks::run_hooks(HookKind::create_runtime,
                               {shell("head -c 200000 /dev/zero | tr '\\0' x; exit 1")}, {});
        FAIL() << "no error";
    } catch (const hako::Error& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("exit status 1, stdout: xxx"), std::string::npos);
        EXPECT_LT(message.size(), 1200u);
    }
}

TEST_F(HookRunner, HookThatIgnoresStdinStillRuns) {
    HookRun run;
    run.state_json = std::string(1 << 20, 'x');  // far beyond a pipe's buffer
    hako::hooks::run_hooks(HookKind::poststart, {shell("touch " + path("ran"))}, run);
    EXPECT_TRUE(fs::exists(path("ran")));
}

TEST_F(HookRunner, BestEffortRunsEveryHookAndReportsEachFailure) {
    const auto failures = hako::hooks::run_hooks_best_effort(
        HookKind::poststop, {shell("exit 2"), shell("touch " + path("second")), shell("exit 4", 1)},
        {});
    ASSERT_EQ(failures.size(), 2u);
    EXPECT_EQ(failures[0], "error running poststop hook #0 (/bin/sh): exit status 2");
    EXPECT_EQ(failures[1], "error running poststop hook #2 (/bin/sh): exit status 4");
    EXPECT_TRUE(fs::exists(path("second")));
}

TEST_F(HookRunner, SignalsBlockedByTheCallerAreNotBlockedInTheHook) {
    sigset_t all;
    sigset_t previous;
    sigfillset(&all);
    ::sigprocmask(SIG_SETMASK, &all, &previous);
    hako::hooks::run_hooks(HookKind::prestart,
                           {shell("grep SigBlk /proc/self/status > " + path("mask"))}, {});
    ::sigprocmask(SIG_SETMASK, &previous, nullptr);
    EXPECT_EQ(read("mask"), "SigBlk:\t0000000000000000\n");
}

}  // namespace
