// How `hako exec` builds its process: strict -u parsing, --cap, -e, --process inheritance.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "container/exec_spec.hpp"
#include "sys/error.hpp"

using hako::container::build_exec_process;
using hako::container::ExecOptions;
using hako::container::parse_exec_user;

namespace {

hako::spec::Spec container_config() {
    hako::spec::Spec spec;
    hako::spec::Process process;
    process.args = {"sh"};
    process.env = {"PATH=/bin", "TERM=xterm"};
    process.cwd = "/";
    process.terminal = true;
    process.user.uid = 0;
    process.user.gid = 0;
    process.user.additional_gids = {10};
    process.capabilities = hako::spec::Capabilities{{"CAP_KILL"}, {"CAP_KILL"}, {}, {"CAP_KILL"}, {}};
    process.no_new_privileges = true;
    process.apparmor_profile = "container-default";
    hako::spec::Rlimit nofile;
    nofile.type = "RLIMIT_NOFILE";
    nofile.soft = nofile.hard = 1024;
    process.rlimits = {nofile};
    spec.process = process;
    return spec;
}

ExecOptions with_args() {
    ExecOptions options;
    options.id = "c";
    options.args = {"ls", "-l"};
    return options;
}

}  // namespace

TEST(ExecUser, AcceptsOnlyDecimalIds) {
    EXPECT_EQ(parse_exec_user("1000").uid, 1000u);
    EXPECT_FALSE(parse_exec_user("1000").gid);
    EXPECT_EQ(*parse_exec_user("1000:1001").gid, 1001u);
    EXPECT_EQ(parse_exec_user("0:0").uid, 0u);
    EXPECT_EQ(parse_exec_user("4294967294").uid, 4294967294u);
    for (const char* bad : {"1000:", ":5", ":", "", "abc", "root", "root:root", "-1", "+5",
                            " 1", "1 ", "1e3", "0x10", "4294967295", "4294967296",
                            "18446744073709551616", "99999999999999999999999", "1:2:3",
                            "1000:abc", "1000:-1", "1000:4294967296"}) {
        EXPECT_THROW(parse_exec_user(bad), hako::Error) << bad;
    }
}

TEST(ExecUser, ErrorNamesTheFlagAndValue) {
    try {
        parse_exec_user("1000:");
        FAIL() << "no error";
    } catch (const hako::Error& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("-u/--user gid"), std::string::npos) << message;
        EXPECT_EQ(message.find('\n'), std::string::npos);
    }
}

TEST(ExecProcess, StartsFromTheContainerProcess) {
    const auto process = build_exec_process(container_config(), with_args());
    EXPECT_EQ(process.args, (std::vector<std::string>{"ls", "-l"}));
    EXPECT_EQ(process.env, (std::vector<std::string>{"PATH=/bin", "TERM=xterm"}));
    EXPECT_FALSE(process.terminal) << "the config's terminal applies to the init only";
    EXPECT_TRUE(process.no_new_privileges);
    EXPECT_EQ(process.apparmor_profile, "container-default");
    EXPECT_EQ(process.rlimits.size(), 1u);
    EXPECT_EQ(process.capabilities->bounding, (std::vector<std::string>{"CAP_KILL"}));
}

TEST(ExecProcess, FlagsOverride) {
    auto options = with_args();
    options.cwd = "/tmp";
    options.env = {"TERM=dumb", "NEW=1=2"};
    options.tty = true;
    options.user = "1000";
    options.additional_gids = {"20", "30"};
    options.apparmor = "other";
    const auto process = build_exec_process(container_config(), options);
    EXPECT_EQ(process.cwd, "/tmp");
    EXPECT_EQ(process.env, (std::vector<std::string>{"PATH=/bin", "TERM=dumb", "NEW=1=2"}));
    EXPECT_TRUE(process.terminal);
    EXPECT_EQ(process.user.uid, 1000u);
    EXPECT_EQ(process.user.gid, 0u) << "-u UID keeps the config's gid";
    EXPECT_EQ(process.user.additional_gids, (std::vector<std::uint32_t>{10, 20, 30}));
    EXPECT_EQ(process.apparmor_profile, "other");

    options.env = {"=x"};
    EXPECT_THROW(build_exec_process(container_config(), options), hako::Error);
    options.env = {"NOEQUALS"};
    EXPECT_THROW(build_exec_process(container_config(), options), hako::Error);
    options.env = {};
    options.cwd = "relative";
    EXPECT_THROW(build_exec_process(container_config(), options), hako::Error);
    options.cwd = "";
    options.additional_gids = {"-5"};
    EXPECT_THROW(build_exec_process(container_config(), options), hako::Error);
}

TEST(ExecProcess, CapNeverBecomesInheritable) {
    auto options = with_args();
    options.caps = {"CAP_NET_ADMIN", "CAP_KILL"};
    auto process = build_exec_process(container_config(), options);
    const auto& caps = *process.capabilities;
    EXPECT_EQ(caps.bounding, (std::vector<std::string>{"CAP_KILL", "CAP_NET_ADMIN"}));
    EXPECT_EQ(caps.effective, (std::vector<std::string>{"CAP_KILL", "CAP_NET_ADMIN"}));
    EXPECT_EQ(caps.permitted, (std::vector<std::string>{"CAP_KILL", "CAP_NET_ADMIN"}));
    EXPECT_TRUE(caps.inheritable.empty());
    EXPECT_TRUE(caps.ambient.empty());

    // Ambient only where the config already made the capability inheritable.
    auto config = container_config();
    config.process->capabilities->inheritable = {"CAP_NET_ADMIN"};
    process = build_exec_process(config, options);
    EXPECT_EQ(process.capabilities->inheritable, (std::vector<std::string>{"CAP_NET_ADMIN"}));
    EXPECT_EQ(process.capabilities->ambient, (std::vector<std::string>{"CAP_NET_ADMIN"}));
}

TEST(ExecProcess, NeedsACommand) {
    auto options = with_args();
    options.args.clear();
    EXPECT_THROW(build_exec_process(container_config(), options), hako::Error);
}

TEST(ExecProcess, ProcessFileInheritsWhatItLeavesOut) {
    char dir[] = "/tmp/hako-exec-spec-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    const std::string path = std::string(dir) + "/process.json";
    {
        std::ofstream out(path);
        out << R"({"args": ["id"], "cwd": "/srv", "env": ["A=1"], "user": {"uid": 5, "gid": 6},
                   "terminal": true, "consoleSize": {"height": 10, "width": 20}})";
    }
    auto options = with_args();
    options.process_file = path;
    options.cwd = "/ignored";  // runc ignores the process flags with --process
    auto process = build_exec_process(container_config(), options);
    EXPECT_EQ(process.args, (std::vector<std::string>{"id"}));
    EXPECT_EQ(process.cwd, "/srv");
    EXPECT_EQ(process.env, (std::vector<std::string>{"A=1"}));
    EXPECT_EQ(process.user.uid, 5u);
    EXPECT_TRUE(process.user.additional_gids.empty());
    EXPECT_TRUE(process.terminal);
    EXPECT_EQ(process.console_size->width, 20u);
    EXPECT_EQ(process.capabilities->bounding, (std::vector<std::string>{"CAP_KILL"}));
    EXPECT_TRUE(process.no_new_privileges);
    EXPECT_EQ(process.rlimits.size(), 1u);
    EXPECT_EQ(process.apparmor_profile, "container-default");

    {
        std::ofstream out(path);
        out << R"({"args": ["id"], "cwd": "/", "capabilities": {"bounding": []},
                   "noNewPrivileges": false})";
    }
    process = build_exec_process(container_config(), options);
    EXPECT_TRUE(process.capabilities->bounding.empty());
    EXPECT_FALSE(process.no_new_privileges);

    for (const char* bad : {R"({"cwd": "/"})", R"({"args": [], "cwd": "/"})",
                            R"({"args": ["x"], "cwd": "rel"})", "[1]", "{not json"}) {
        std::ofstream(path) << bad;
        EXPECT_THROW(build_exec_process(container_config(), options), hako::Error) << bad;
    }
    std::remove(path.c_str());
    ::rmdir(dir);
}
