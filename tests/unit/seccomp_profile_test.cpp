#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "security/seccomp_features.hpp"
#include "security/seccomp_profile.hpp"
#include "spec/spec.hpp"
#include "sys/error.hpp"

namespace {

using nlohmann::json;
using namespace hako::security;

// A valid profile; each bad case is this plus one JSON merge patch (objects merge, null
// deletes, arrays replace), so every case breaks exactly one thing.
const char* const kBase = R"({
  "defaultAction": "SCMP_ACT_ERRNO",
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
  "syscalls": [
    {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
    {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}
  ]
})";

std::string patched(const char* patch) {
    json profile = json::parse(kBase);
    profile.merge_patch(json::parse(patch));
    return profile.dump();
}

std::string parse_error(const std::string& text) {
    try {
        (void)parse_seccomp_profile(text);
    } catch (const hako::Error& e) {
        return e.what();
    }
    return "";
}

TEST(SeccompProfile, ParsesEveryField) {
    const SeccompProfile p = parse_seccomp_profile(R"({
      "defaultAction": "SCMP_ACT_KILL_PROCESS",
      "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_X86_64"],
      "flags": ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG"],
      "listenerPath": "/run/agent.sock",
      "listenerMetadata": "key=value",
      "syscalls": [
        {"names": ["getppid", "getpid"], "action": "SCMP_ACT_TRACE", "errnoRet": 38,
         "args": [{"index": 5, "value": 18446744073709551615, "valueTwo": 7,
                   "op": "SCMP_CMP_MASKED_EQ"},
                  {"index": 1, "value": 2, "op": "SCMP_CMP_NE"}]},
        {"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"},
        {"names": ["rmdir"], "action": "SCMP_ACT_KILL"},
        {"names": ["rename"], "action": "SCMP_ACT_ERRNO", "errnoRet": null, "args": null}
      ],
      "unknownField": {"ignored": true}
    })");
    EXPECT_EQ(p.default_action, SeccompAction::kill_process);
    EXPECT_FALSE(p.default_errno_ret);
    EXPECT_EQ(p.architectures, (std::vector<std::uint32_t>{SCMP_ARCH_X86_64, SCMP_ARCH_X32}));
    EXPECT_EQ(p.flags, (std::vector<SeccompFlag>{SeccompFlag::log, SeccompFlag::spec_allow,
                                                 SeccompFlag::tsync}));
    EXPECT_TRUE(p.has_flag(SeccompFlag::spec_allow));
    EXPECT_EQ(p.listener_path, "/run/agent.sock");
    EXPECT_EQ(p.listener_metadata, "key=value");
    ASSERT_EQ(p.syscalls.size(), 4u);
    const SeccompRule& first = p.syscalls[0];
    EXPECT_EQ(first.names, (std::vector<std::string>{"getppid", "getpid"}));
    EXPECT_EQ(first.action, SeccompAction::trace);
    EXPECT_EQ(first.errno_ret, 38u);
    ASSERT_EQ(first.args.size(), 2u);
    EXPECT_EQ(first.args[0].index, 5u);
    EXPECT_EQ(first.args[0].value, 18446744073709551615ull);
    EXPECT_EQ(first.args[0].value_two, 7u);
    EXPECT_EQ(first.args[0].op, SeccompOperator::masked_equal);
    EXPECT_EQ(first.args[1].op, SeccompOperator::not_equal);
    EXPECT_EQ(first.args[1].value_two, 0u);
    EXPECT_EQ(p.syscalls[1].action, SeccompAction::notify);
    EXPECT_EQ(p.syscalls[2].action, SeccompAction::kill_thread);
    EXPECT_FALSE(p.syscalls[3].errno_ret);
    EXPECT_TRUE(p.uses_notify());
}

TEST(SeccompProfile, EveryActionAndOperatorName) {
    for (const auto& action : kSeccompActions) {
        const SeccompProfile p = parse_seccomp_profile(
            json{{"defaultAction", "SCMP_ACT_ALLOW"},
                 {"listenerPath", "/x"},
                 {"syscalls", {{{"names", {"mkdir"}}, {"action", action.name}}}}}
                .dump());
        EXPECT_EQ(p.syscalls[0].action, action.value) << action.name;
    }
    for (const auto& op : kSeccompOperators) {
        const SeccompProfile p = parse_seccomp_profile(
            json{{"defaultAction", "SCMP_ACT_ALLOW"},
                 {"syscalls",
                  {{{"names", {"mkdir"}},
                    {"action", "SCMP_ACT_ERRNO"},
                    {"args", {{{"index", 1}, {"value", 3}, {"op", op.name}}}}}}}}
                .dump());
        EXPECT_EQ(p.syscalls[0].args[0].op, op.value) << op.name;
    }
    EXPECT_EQ(kSeccompOperators.size(), 7u);
    EXPECT_EQ(seccomp_action_name(SeccompAction::kill_thread), "SCMP_ACT_KILL_THREAD");
    EXPECT_EQ(seccomp_action_name(SeccompAction::errno_code), "SCMP_ACT_ERRNO");
}

TEST(SeccompProfile, MinimalProfile) {
    const SeccompProfile p = parse_seccomp_profile(R"({"defaultAction": "SCMP_ACT_ALLOW"})");
    EXPECT_EQ(p.default_action, SeccompAction::allow);
    EXPECT_TRUE(p.architectures.empty());
    EXPECT_TRUE(p.syscalls.empty());
    EXPECT_FALSE(p.uses_notify());
}

TEST(SeccompProfile, DefaultErrnoRet) {
    const SeccompProfile p = parse_seccomp_profile(patched(R"({"defaultErrnoRet": 38})"));
    EXPECT_EQ(p.default_errno_ret, 38u);
    const SeccompProfile zero = parse_seccomp_profile(patched(R"({"defaultErrnoRet": 0})"));
    EXPECT_EQ(zero.default_errno_ret, 0u);
}

struct BadCase {
    const char* patch;
    const char* message;
};

class SeccompProfileBad : public testing::TestWithParam<BadCase> {};

TEST_P(SeccompProfileBad, NamesTheJsonPath) {
    EXPECT_EQ(parse_error(patched(GetParam().patch)), GetParam().message) << GetParam().patch;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SeccompProfileBad,
    testing::Values(
        BadCase{R"({"defaultAction": null})", "linux.seccomp.defaultAction: required"},
        BadCase{R"({"defaultAction": "SCMP_ACT_FOO"})",
                R"(linux.seccomp.defaultAction: unknown action "SCMP_ACT_FOO")"},
        BadCase{R"({"defaultAction": 1})", "linux.seccomp.defaultAction: expected string"},
        BadCase{R"({"defaultAction": "SCMP_ACT_NOTIFY", "listenerPath": "/x"})",
                "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action"},
        BadCase{R"({"defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": 1})",
                "linux.seccomp.defaultErrnoRet: SCMP_ACT_ALLOW takes no errno (only "
                "SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)"},
        BadCase{R"({"defaultErrnoRet": 4096})",
                "linux.seccomp.defaultErrnoRet: must be at most 4095"},
        BadCase{R"({"defaultErrnoRet": -1})",
                "linux.seccomp.defaultErrnoRet: expected unsigned integer"},
        BadCase{R"({"architectures": "SCMP_ARCH_X86_64"})",
                "linux.seccomp.architectures: expected array"},
        BadCase{R"({"architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_VAX"]})",
                R"(linux.seccomp.architectures[1]: unknown architecture "SCMP_ARCH_VAX")"},
        BadCase{R"({"architectures": ["x86_64"]})",
                R"(linux.seccomp.architectures[0]: unknown architecture "x86_64")"},
        BadCase{R"({"flags": ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_BOGUS"]})",
                R"(linux.seccomp.flags[1]: unknown flag "SECCOMP_FILTER_FLAG_BOGUS")"},
        BadCase{R"({"flags": ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]})",
                "linux.seccomp.flags[0]: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV is not "
                "supported: it needs libseccomp 2.6, hako is built with 2.5.4"},
        BadCase{R"({"listenerPath": ""})", "linux.seccomp.listenerPath: must not be empty"},
        BadCase{R"({"listenerPath": "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})",
                "linux.seccomp.listenerPath: longer than the 107-byte unix socket path limit"},
        BadCase{R"({"listenerMetadata": 5})",
                "linux.seccomp.listenerMetadata: expected string"},
        BadCase{R"({"syscalls": {}})", "linux.seccomp.syscalls: expected array"},
        BadCase{R"({"syscalls": [5]})", "linux.seccomp.syscalls[0]: expected object"},
        BadCase{R"({"syscalls": [{"action": "SCMP_ACT_ALLOW"}]})",
                "linux.seccomp.syscalls[0].names: required"},
        BadCase{R"({"syscalls": [{"names": [], "action": "SCMP_ACT_ALLOW"}]})",
                "linux.seccomp.syscalls[0].names: must name at least one syscall"},
        BadCase{R"({"syscalls": [{"names": ["read", ""], "action": "SCMP_ACT_ALLOW"}]})",
                "linux.seccomp.syscalls[0].names[1]: must not be empty"},
        BadCase{R"({"syscalls": [{"names": ["read", 3], "action": "SCMP_ACT_ALLOW"}]})",
                "linux.seccomp.syscalls[0].names[1]: expected string"},
        BadCase{R"({"syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"},
                                 {"names": ["read"], "action": "SCMP_ACT_ALLOW"},
                                 {"names": ["read"], "action": "SCMP_ACT_FOO"}]})",
                R"(linux.seccomp.syscalls[2].action: unknown action "SCMP_ACT_FOO")"},
        BadCase{R"({"syscalls": [{"names": ["read"]}]})",
                "linux.seccomp.syscalls[0].action: required"},
        BadCase{R"({"syscalls": [{"names": ["read"], "action": "SCMP_ACT_KILL",
                                  "errnoRet": 1}]})",
                "linux.seccomp.syscalls[0].errnoRet: SCMP_ACT_KILL_THREAD takes no errno "
                "(only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)"},
        BadCase{R"({"syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO",
                                  "errnoRet": 70000}]})",
                "linux.seccomp.syscalls[0].errnoRet: must be at most 4095"},
        BadCase{R"({"syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO",
                                  "errnoRet": 1.5}]})",
                "linux.seccomp.syscalls[0].errnoRet: expected unsigned integer"},
        BadCase{R"({"syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO",
                                  "args": {}}]})",
                "linux.seccomp.syscalls[0].args: expected array"},
        BadCase{R"({"syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO",
                                  "args": [{"value": 1, "op": "SCMP_CMP_EQ"}]}]})",
                "linux.seccomp.syscalls[0].args[0].index: required"},
        BadCase{R"({"syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO",
                                  "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]})",
                "linux.seccomp.syscalls[0].args[0].index: must be less than 6"},
        BadCase{R"({"syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO",
                                  "args": [{"index": 0, "op": "SCMP_CMP_EQ"}]}]})",
                "linux.seccomp.syscalls[0].args[0].value: required"},
        BadCase{R"({"syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO",
                                  "args": [{"index": 0, "value": -1, "op": "SCMP_CMP_EQ"}]}]})",
                "linux.seccomp.syscalls[0].args[0].value: expected unsigned integer"},
        BadCase{R"({"syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO",
                                  "args": [{"index": 0, "value": 18446744073709551616,
                                            "op": "SCMP_CMP_EQ"}]}]})",
                "linux.seccomp.syscalls[0].args[0].value: expected unsigned integer"},
        BadCase{R"({"syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO",
                                  "args": [{"index": 0, "value": 1, "valueTwo": "2",
                                            "op": "SCMP_CMP_EQ"}]}]})",
                "linux.seccomp.syscalls[0].args[0].valueTwo: expected unsigned integer"},
        BadCase{R"({"syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO",
                                  "args": [{"index": 0, "value": 1}]}]})",
                "linux.seccomp.syscalls[0].args[0].op: required"},
        BadCase{R"({"syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO",
                                  "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_XX"}]}]})",
                R"(linux.seccomp.syscalls[0].args[0].op: unknown operator "SCMP_CMP_XX")"},
        BadCase{R"({"syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]})",
                "linux.seccomp.listenerPath: required when a syscall uses SCMP_ACT_NOTIFY"},
        BadCase{R"({"listenerPath": "/x",
                    "syscalls": [{"names": ["mkdir", "sendmsg"], "action": "SCMP_ACT_NOTIFY"}]})",
                "linux.seccomp.syscalls[0].names[1]: SCMP_ACT_NOTIFY cannot be used for "
                "sendmsg: hako's init passes the listener fd with it"}));

TEST(SeccompProfile, NotAnObject) {
    EXPECT_EQ(parse_error("[]"), "linux.seccomp: expected object");
    EXPECT_EQ(parse_error("{"), "linux.seccomp: invalid JSON");
    EXPECT_EQ(parse_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "x": 1e400})"),
              "linux.seccomp: invalid JSON");
}

// fuzz/config_parser_fuzz's first finding: nlohmann reports a number overflow as out_of_range,
// not parse_error, and it escaped parse_spec as a foreign exception.
TEST(SeccompProfile, ConfigNumberOverflowIsAnInvalidJsonError) {
    try {
        (void)hako::spec::parse_spec(R"({"ociVersion": "1.2.0", "x": [1e400]})");
        FAIL() << "accepted";
    } catch (const hako::Error& e) {
        EXPECT_EQ(std::string(e.what()).rfind("config.json: invalid JSON: ", 0), 0u) << e.what();
    }
}

TEST(SeccompProfile, ReachedThroughTheSpec) {
    const hako::spec::Spec spec = hako::spec::parse_spec(R"({
      "ociVersion": "1.2.0", "root": {"path": "rootfs"},
      "linux": {"seccomp": {"defaultAction": "SCMP_ACT_LOG",
                            "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}}
    })");
    const SeccompProfile p = parse_seccomp_profile(spec.linux_config.seccomp_json);
    EXPECT_EQ(p.default_action, SeccompAction::log);
    ASSERT_EQ(p.syscalls.size(), 1u);
    EXPECT_EQ(p.syscalls[0].names, std::vector<std::string>{"mkdir"});
}

TEST(SeccompFeatures, ListsWhatTheParserAccepts) {
    const auto features = seccomp_features();
    EXPECT_EQ(features["enabled"], true);
    EXPECT_EQ(features["actions"].size(), kSeccompActions.size());
    EXPECT_EQ(features["operators"],
              json({"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT",
                    "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"}));
    const auto& archs = features["archs"];
    for (const char* arch : {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32",
                             "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", "SCMP_ARCH_S390X"})
        EXPECT_NE(std::find(archs.begin(), archs.end(), arch), archs.end()) << arch;
    // Every listed name is accepted by the parser.
    for (const auto& arch : archs) {
        EXPECT_EQ(parse_error(json{{"defaultAction", "SCMP_ACT_ALLOW"},
                                   {"architectures", {arch}}}
                                  .dump()),
                  "")
            << arch;
    }
    EXPECT_EQ(features["knownFlags"],
              json({"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                    "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"}));
    const auto& supported = features["supportedFlags"];
    EXPECT_EQ(std::find(supported.begin(), supported.end(),
                        "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"),
              supported.end());
    EXPECT_NE(std::find(supported.begin(), supported.end(), "SECCOMP_FILTER_FLAG_TSYNC"),
              supported.end());
}

TEST(SeccompFeatures, InTheFeaturesDocument) {
    const json document = json::parse(hako::spec::features_json());
    EXPECT_EQ(document["linux"]["seccomp"]["enabled"], true);
    EXPECT_EQ(document["linux"]["seccomp"]["actions"].size(), kSeccompActions.size());
}

}  // namespace
