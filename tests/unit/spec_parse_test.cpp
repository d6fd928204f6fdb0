#include <gtest/gtest.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "spec/spec.hpp"
#include "sys/error.hpp"

namespace {

using nlohmann::json;
using namespace hako::spec;

// A small valid config; each bad case below is this plus one JSON merge patch (RFC 7386:
// objects merge, null deletes, arrays replace), so every case breaks exactly one thing.
const char* const kBase = R"({
  "ociVersion": "1.0.2",
  "root": {"path": "rootfs"},
  "process": {"args": ["sh"], "cwd": "/"},
  "hostname": "box",
  "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "uts"}]}
})";

std::string patched(const char* patch) {
    json config = json::parse(kBase);
    config.merge_patch(json::parse(patch));
    return config.dump();
}

// The message parse_spec throws, or "" when it accepts the text.
std::string parse_error(const std::string& text) {
    try {
        (void)parse_spec(text);
    } catch (const hako::Error& e) {
        return e.what();
    }
    return "";
}

TEST(SpecParse, BaseConfigIsValid) {
    EXPECT_EQ(parse_error(kBase), "");
}

struct BadCase {
    const char* patch;
    const char* message;
};

class SpecParseBad : public testing::TestWithParam<BadCase> {};

TEST_P(SpecParseBad, ReportsPathAndReason) {
    EXPECT_EQ(parse_error(patched(GetParam().patch)), GetParam().message)
        << "patch: " << GetParam().patch;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SpecParseBad,
    testing::Values(
        // ociVersion
        BadCase{R"({"ociVersion": null})", "ociVersion: required"},
        BadCase{R"({"ociVersion": 1})", "ociVersion: expected string"},
        BadCase{R"({"ociVersion": "2.0.0"})",
                R"(ociVersion: unsupported version "2.0.0" (supported 1.0.0 through 1.3.x))"},
        BadCase{R"({"ociVersion": "1.4.0"})",
                R"(ociVersion: unsupported version "1.4.0" (supported 1.0.0 through 1.3.x))"},
        BadCase{R"({"ociVersion": "0.9.0"})",
                R"(ociVersion: unsupported version "0.9.0" (supported 1.0.0 through 1.3.x))"},
        BadCase{R"({"ociVersion": "1.0"})",
                R"(ociVersion: malformed version "1.0" (expected MAJOR.MINOR.PATCH))"},
        BadCase{R"({"ociVersion": "1.0.x"})",
                R"(ociVersion: malformed version "1.0.x" (expected MAJOR.MINOR.PATCH))"},
        BadCase{R"({"ociVersion": "1.0.0-"})",
                R"(ociVersion: malformed version "1.0.0-" (expected MAJOR.MINOR.PATCH))"},
        // root
        BadCase{R"({"root": null})", "root: required"},
        BadCase{R"({"root": "rootfs"})", "root: expected object"},
        BadCase{R"({"root": {"path": null}})", "root.path: required"},
        BadCase{R"({"root": {"path": ""}})", "root.path: must not be empty"},
        BadCase{R"({"root": {"path": 7}})", "root.path: expected string"},
        BadCase{R"({"root": {"readonly": "yes"}})", "root.readonly: expected boolean"},
        // process
        BadCase{R"({"process": "sh"})", "process: expected object"},
        BadCase{R"({"process": {"terminal": "true"}})", "process.terminal: expected boolean"},
        BadCase{R"({"process": {"args": null}})", "process.args: required"},
        BadCase{R"({"process": {"args": []}})", "process.args: must not be empty"},
        BadCase{R"({"process": {"args": "sh"}})", "process.args: expected array"},
        BadCase{R"({"process": {"args": ["sh", 1]}})", "process.args[1]: expected string"},
        BadCase{R"({"process": {"cwd": null}})", "process.cwd: required"},
        BadCase{R"({"process": {"cwd": "tmp"}})", "process.cwd: must be an absolute path"},
        BadCase{R"({"process": {"cwd": ""}})", "process.cwd: must be an absolute path"},
        BadCase{R"({"process": {"env": ["PATH=/bin", "FOO"]}})",
                R"(process.env[1]: expected "KEY=VALUE")"},
        BadCase{R"({"process": {"env": ["=x"]}})", R"(process.env[0]: expected "KEY=VALUE")"},
        BadCase{R"({"process": {"env": "A=B"}})", "process.env: expected array"},
        BadCase{R"({"process": {"user": {"uid": -1}}})",
                "process.user.uid: expected unsigned integer"},
        BadCase{R"({"process": {"user": {"uid": "0"}}})",
                "process.user.uid: expected unsigned integer"},
        BadCase{R"({"process": {"user": {"uid": 1.5}}})",
                "process.user.uid: expected unsigned integer"},
        BadCase{R"({"process": {"user": {"gid": 4294967296}}})",
                "process.user.gid: 4294967296 is out of range (maximum 4294967295)"},
        BadCase{R"({"process": {"user": {"umask": 512}}})",
                "process.user.umask: must be at most 0777 (511)"},
        BadCase{R"({"process": {"user": {"additionalGids": [1, -2]}}})",
                "process.user.additionalGids[1]: expected unsigned integer"},
        BadCase{R"({"process": {"user": {"username": 0}}})",
                "process.user.username: expected string"},
        BadCase{R"({"process": {"consoleSize": {"height": 24}}})",
                "process.consoleSize.width: required"},
        BadCase{R"({"process": {"capabilities": {"bounding": "CAP_KILL"}}})",
                "process.capabilities.bounding: expected array"},
        BadCase{R"({"process": {"capabilities": {"ambient": [5]}}})",
                "process.capabilities.ambient[0]: expected string"},
        BadCase{R"({"process": {"rlimits": [{"type": "RLIMIT_FOO", "soft": 1, "hard": 1}]}})",
                R"(process.rlimits[0].type: unknown rlimit "RLIMIT_FOO")"},
        BadCase{R"({"process": {"rlimits": [{"type": "RLIMIT_NOFILE", "soft": 1, "hard": 1},
                                            {"type": "RLIMIT_NOFILE", "soft": 2, "hard": 2}]}})",
                R"(process.rlimits[1]: duplicate rlimit "RLIMIT_NOFILE")"},
        BadCase{R"({"process": {"rlimits": [{"type": "RLIMIT_CORE", "soft": -1, "hard": 1}]}})",
                "process.rlimits[0].soft: expected unsigned integer"},
        BadCase{R"({"process": {"rlimits": [{"type": "RLIMIT_CORE", "soft": 1}]}})",
                "process.rlimits[0].hard: required"},
        BadCase{R"({"process": {"rlimits": [{"type": "RLIMIT_CORE", "soft": 10, "hard": 5}]}})",
                "process.rlimits[0]: soft limit 10 exceeds hard limit 5"},
        BadCase{R"({"process": {"oomScoreAdj": 1001}})",
                "process.oomScoreAdj: must be between -1000 and 1000"},
        BadCase{R"({"process": {"oomScoreAdj": "0"}})", "process.oomScoreAdj: expected integer"},
        BadCase{R"({"process": {"noNewPrivileges": 1}})",
                "process.noNewPrivileges: expected boolean"},
        // hostname and mounts
        BadCase{R"({"hostname": 5})", "hostname: expected string"},
        BadCase{R"({"linux": {"namespaces": [{"type": "pid"}]}})",
                "hostname: requires a uts namespace in linux.namespaces"},
        BadCase{R"({"mounts": {"destination": "/proc"}})", "mounts: expected array"},
        BadCase{R"({"mounts": [{"destination": "/proc", "type": "proc"},
                               {"destination": "/dev", "type": "tmpfs"},
                               {"destination": "tmp", "type": "tmpfs"}]})",
                "mounts[2].destination: must be an absolute path"},
        BadCase{R"({"mounts": [{"type": "tmpfs"}]})", "mounts[0].destination: required"},
        BadCase{R"({"mounts": [{"destination": "/x", "options": "ro"}]})",
                "mounts[0].options: expected array"},
        // hooks
        BadCase{R"({"hooks": {"prestart": [{"path": "hook"}]}})",
                "hooks.prestart[0].path: must be an absolute path"},
        BadCase{R"({"hooks": {"createRuntime": [{"args": ["x"]}]}})",
                "hooks.createRuntime[0].path: required"},
        BadCase{R"({"hooks": {"poststop": [{"path": "/bin/true", "timeout": 0}]}})",
                "hooks.poststop[0].timeout: must be greater than 0"},
        // annotations
        BadCase{R"({"annotations": {"io.example": true}})",
                R"(annotations["io.example"]: expected string)"},
        // linux
        BadCase{R"({"linux": "x"})", "linux: expected object"},
        BadCase{R"({"linux": {"namespaces": [{"type": "pid"}, {"type": "foo"}]}})",
                R"(linux.namespaces[1].type: unknown namespace type "foo")"},
        BadCase{R"({"linux": {"namespaces": [{"type": "pid"}, {"type": "uts"},
                                             {"type": "mount"}, {"type": "pid"}]}})",
                R"(linux.namespaces[3]: duplicate namespace "pid")"},
        BadCase{R"({"linux": {"namespaces": [{"type": "uts"}, {"path": "/proc/1/ns/pid"}]}})",
                "linux.namespaces[1].type: required"},
        BadCase{R"({"linux": {"namespaces": [{"type": "uts", "path": "proc/1/ns/uts"}]}})",
                "linux.namespaces[0].path: must be an absolute path"},
        BadCase{R"({"linux": {"namespaces": [{"type": "uts"}, {"type": "user"}],
                              "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 0}]}})",
                "linux.uidMappings[0].size: must be greater than 0"},
        BadCase{R"({"linux": {"namespaces": [{"type": "uts"}, {"type": "user"}],
                              "uidMappings": [{"containerID": 0, "size": 1}]}})",
                "linux.uidMappings[0].hostID: required"},
        BadCase{R"({"linux": {"namespaces": [{"type": "uts"}, {"type": "user"}],
                              "uidMappings": [{"containerID": 0, "hostID": -5, "size": 1}]}})",
                "linux.uidMappings[0].hostID: expected unsigned integer"},
        BadCase{R"({"linux": {"namespaces": [{"type": "uts"}, {"type": "user"}],
                 "gidMappings": [{"containerID": 0, "hostID": 4294967295, "size": 2}]}})",
                "linux.gidMappings[0]: range exceeds the 32-bit id space"},
        BadCase{R"({"linux": {"uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}})",
                "linux.uidMappings: requires a user namespace in linux.namespaces"},
        BadCase{R"({"linux": {"devices": [{"type": "x", "path": "/dev/x"}]}})",
                R"(linux.devices[0].type: unknown device type "x" (expected c, b, u or p))"},
        BadCase{R"({"linux": {"devices": [{"type": "c", "path": "dev/null",
                                           "major": 1, "minor": 3}]}})",
                "linux.devices[0].path: must be an absolute path"},
        BadCase{R"({"linux": {"devices": [{"type": "c", "path": "/dev/null", "minor": 3}]}})",
                "linux.devices[0].major: required"},
        BadCase{R"({"linux": {"devices": [{"type": "b", "path": "/dev/sda", "major": 8,
                                           "minor": 0, "fileMode": -1}]}})",
                "linux.devices[0].fileMode: expected unsigned integer"},
        BadCase{R"({"linux": {"devices": [{"type": "c", "path": "/dev/x", "major": 1,
                                           "minor": 3, "fileMode": 65536}]}})",
                "linux.devices[0].fileMode: must be permission bits, at most 07777 (4095), "
                "optionally with file type bits"},
        BadCase{R"({"linux": {"resources": []}})", "linux.resources: expected object"},
        BadCase{R"({"linux": {"seccomp": "default"}})", "linux.seccomp: expected object"},
        BadCase{R"({"linux": {"cgroupsPath": 1}})", "linux.cgroupsPath: expected string"},
        BadCase{R"({"linux": {"sysctl": {"net.ipv4.ip_forward": 1}}})",
                R"(linux.sysctl["net.ipv4.ip_forward"]: expected string)"},
        BadCase{R"({"linux": {"maskedPaths": ["/proc/kcore", null]}})",
                "linux.maskedPaths[1]: expected string"},
        BadCase{R"({"linux": {"rootfsPropagation": "recursive"}})",
                R"(linux.rootfsPropagation: unknown propagation "recursive" (expected private, )"
                R"(rprivate, slave, rslave, shared, rshared, unbindable or runbindable))"},
        BadCase{R"({"linux": {"namespaces": [{"type": "uts"}, {"type": "time"}],
                              "timeOffsets": {"realtime": {"secs": 1}}}})",
                R"(linux.timeOffsets["realtime"]: unknown clock (expected "monotonic" or )"
                R"("boottime"))"},
        BadCase{R"({"linux": {"namespaces": [{"type": "uts"}, {"type": "time"}],
                 "timeOffsets": {"monotonic": {"secs": 1, "nanosecs": 1000000000}}}})",
                R"(linux.timeOffsets["monotonic"].nanosecs: must be less than 1000000000)"},
        BadCase{R"({"linux": {"timeOffsets": {"monotonic": {"secs": 1}}}})",
                "linux.timeOffsets: requires a time namespace in linux.namespaces"}));

TEST(SpecParse, InvalidJsonNamesTheParserReason) {
    EXPECT_EQ(parse_error("{"),
              "config.json: invalid JSON: parse error at line 1, column 2: syntax error while "
              "parsing object key - unexpected end of input; expected string literal");
    EXPECT_EQ(parse_error(""),
              "config.json: invalid JSON: parse error at line 1, column 1: syntax error while "
              "parsing value - unexpected end of input; expected '[', '{', or a literal");
    EXPECT_EQ(parse_error("[]"), "config.json: expected a JSON object");
}

TEST(SpecParse, AcceptsEverySupportedVersion) {
    for (const char* version :
         {"1.0.0", "1.0.2-dev", "1.1.0-rc.1", "1.2.0", "1.3.0", "1.3.7", "1.2.0+build.5"}) {
        const std::string text = patched(fmt::format(R"({{"ociVersion": "{}"}})", version).c_str());
        EXPECT_EQ(parse_error(text), "") << version;
        EXPECT_EQ(parse_spec(text).oci_version, version);
    }
}

TEST(SpecParse, NullFieldsAndUnknownFieldsAreIgnored) {
    const Spec spec = parse_spec(R"({
      "ociVersion": "1.1.0", "root": {"path": "r", "readonly": null},
      "process": {"args": ["a"], "cwd": "/", "env": null, "capabilities": null,
                  "user": {"uid": null}, "futureField": {"x": 1}},
      "linux": null, "vm": {"hypervisor": {}}, "mounts": null, "windows": 3
    })");
    EXPECT_FALSE(spec.root.readonly);
    ASSERT_TRUE(spec.process);
    EXPECT_TRUE(spec.process->env.empty());
    EXPECT_FALSE(spec.process->capabilities);
    EXPECT_EQ(spec.process->user.uid, 0u);
    EXPECT_TRUE(spec.linux_config.namespaces.empty());
    EXPECT_TRUE(spec.mounts.empty());
}

TEST(SpecParse, ProcessIsOptional) {
    const Spec spec = parse_spec(R"({"ociVersion": "1.0.0", "root": {"path": "/r"}})");
    EXPECT_FALSE(spec.process);
    EXPECT_EQ(spec.root.path, "/r");
}

TEST(SpecParse, FullConfig) {
    const Spec spec = parse_spec(R"({
      "ociVersion": "1.2.0",
      "root": {"path": "rootfs", "readonly": true},
      "process": {
        "terminal": true,
        "consoleSize": {"height": 24, "width": 80},
        "user": {"uid": 1000, "gid": 100, "umask": 18, "additionalGids": [5, 6],
                 "username": "alice"},
        "args": ["/bin/sh", "-c", "echo hi"],
        "env": ["PATH=/bin", "EMPTY="],
        "cwd": "/home",
        "capabilities": {"bounding": ["CAP_KILL", "CAP_CHOWN"], "effective": ["CAP_KILL"],
                         "inheritable": [], "permitted": ["CAP_KILL"],
                         "ambient": ["CAP_NET_RAW"]},
        "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 4096},
                    {"type": "RLIMIT_CORE", "soft": 0, "hard": 18446744073709551615}],
        "noNewPrivileges": true,
        "oomScoreAdj": -500,
        "apparmorProfile": "hako-default",
        "selinuxLabel": "system_u:system_r:container_t:s0"
      },
      "hostname": "box",
      "domainname": "example.org",
      "mounts": [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/data", "type": "none", "source": "/srv/data",
         "options": ["rbind", "ro"]}
      ],
      "hooks": {
        "prestart": [{"path": "/usr/bin/pre", "args": ["pre", "x"], "env": ["A=1"],
                      "timeout": 5}],
        "createRuntime": [{"path": "/cr"}],
        "createContainer": [{"path": "/cc"}],
        "startContainer": [{"path": "/sc"}],
        "poststart": [{"path": "/ps"}, {"path": "/ps2"}],
        "poststop": [{"path": "/post"}]
      },
      "annotations": {"org.example.key": "value"},
      "linux": {
        "namespaces": [{"type": "pid"}, {"type": "network", "path": "/var/run/netns/x"},
                       {"type": "mount"}, {"type": "ipc"}, {"type": "uts"}, {"type": "user"},
                       {"type": "cgroup"}, {"type": "time"}],
        "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
        "gidMappings": [{"containerID": 0, "hostID": 200000, "size": 1000},
                        {"containerID": 1000, "hostID": 5, "size": 1}],
        "devices": [{"type": "c", "path": "/dev/fuse", "major": 10, "minor": 229,
                     "fileMode": 438, "uid": 0, "gid": 0},
                    {"type": "p", "path": "/dev/fifo"}],
        "cgroupsPath": "/hako/box",
        "resources": {"memory": {"limit": 1048576}, "pids": {"limit": 10}},
        "seccomp": {"defaultAction": "SCMP_ACT_ALLOW"},
        "sysctl": {"net.ipv4.ip_forward": "1"},
        "maskedPaths": ["/proc/kcore"],
        "readonlyPaths": ["/proc/sys"],
        "rootfsPropagation": "rslave",
        "mountLabel": "system_u:object_r:container_file_t:s0",
        "timeOffsets": {"monotonic": {"secs": 3600, "nanosecs": 5}, "boottime": {"secs": -7}}
      }
    })");

    EXPECT_EQ(spec.oci_version, "1.2.0");
    EXPECT_EQ(spec.root.path, "rootfs");
    EXPECT_TRUE(spec.root.readonly);

    ASSERT_TRUE(spec.process);
    const Process& p = *spec.process;
    EXPECT_TRUE(p.terminal);
    ASSERT_TRUE(p.console_size);
    EXPECT_EQ(p.console_size->height, 24u);
    EXPECT_EQ(p.console_size->width, 80u);
    EXPECT_EQ(p.user.uid, 1000u);
    EXPECT_EQ(p.user.gid, 100u);
    EXPECT_EQ(p.user.umask, 18u);
    EXPECT_EQ(p.user.additional_gids, (std::vector<std::uint32_t>{5, 6}));
    EXPECT_EQ(p.user.username, "alice");
    EXPECT_EQ(p.args, (std::vector<std::string>{"/bin/sh", "-c", "echo hi"}));
    EXPECT_EQ(p.env, (std::vector<std::string>{"PATH=/bin", "EMPTY="}));
    EXPECT_EQ(p.cwd, "/home");
    ASSERT_TRUE(p.capabilities);
    EXPECT_EQ(p.capabilities->bounding, (std::vector<std::string>{"CAP_KILL", "CAP_CHOWN"}));
    EXPECT_EQ(p.capabilities->effective, std::vector<std::string>{"CAP_KILL"});
    EXPECT_TRUE(p.capabilities->inheritable.empty());
    EXPECT_EQ(p.capabilities->permitted, std::vector<std::string>{"CAP_KILL"});
    EXPECT_EQ(p.capabilities->ambient, std::vector<std::string>{"CAP_NET_RAW"});
    ASSERT_EQ(p.rlimits.size(), 2u);
    EXPECT_EQ(p.rlimits[0].type, "RLIMIT_NOFILE");
    EXPECT_EQ(p.rlimits[0].resource, RLIMIT_NOFILE);
    EXPECT_EQ(p.rlimits[0].soft, 1024u);
    EXPECT_EQ(p.rlimits[0].hard, 4096u);
    EXPECT_EQ(p.rlimits[1].resource, RLIMIT_CORE);
    EXPECT_EQ(p.rlimits[1].hard, UINT64_MAX);
    EXPECT_TRUE(p.no_new_privileges);
    EXPECT_EQ(p.oom_score_adj, -500);
    EXPECT_EQ(p.apparmor_profile, "hako-default");
    EXPECT_EQ(p.selinux_label, "system_u:system_r:container_t:s0");

    EXPECT_EQ(spec.hostname, "box");
    EXPECT_EQ(spec.domainname, "example.org");
    ASSERT_EQ(spec.mounts.size(), 2u);
    EXPECT_EQ(spec.mounts[0].destination, "/proc");
    EXPECT_EQ(spec.mounts[0].type, "proc");
    EXPECT_EQ(spec.mounts[0].source, "proc");
    EXPECT_TRUE(spec.mounts[0].options.empty());
    EXPECT_EQ(spec.mounts[1].source, "/srv/data");
    EXPECT_EQ(spec.mounts[1].options, (std::vector<std::string>{"rbind", "ro"}));

    ASSERT_EQ(spec.hooks.prestart.size(), 1u);
    EXPECT_EQ(spec.hooks.prestart[0].path, "/usr/bin/pre");
    EXPECT_EQ(spec.hooks.prestart[0].args, (std::vector<std::string>{"pre", "x"}));
    EXPECT_EQ(spec.hooks.prestart[0].env, std::vector<std::string>{"A=1"});
    EXPECT_EQ(spec.hooks.prestart[0].timeout, 5);
    ASSERT_EQ(spec.hooks.create_runtime.size(), 1u);
    EXPECT_EQ(spec.hooks.create_runtime[0].path, "/cr");
    EXPECT_FALSE(spec.hooks.create_runtime[0].timeout);
    ASSERT_EQ(spec.hooks.create_container.size(), 1u);
    EXPECT_EQ(spec.hooks.create_container[0].path, "/cc");
    ASSERT_EQ(spec.hooks.start_container.size(), 1u);
    EXPECT_EQ(spec.hooks.start_container[0].path, "/sc");
    ASSERT_EQ(spec.hooks.poststart.size(), 2u);
    EXPECT_EQ(spec.hooks.poststart[1].path, "/ps2");
    ASSERT_EQ(spec.hooks.poststop.size(), 1u);
    EXPECT_EQ(spec.hooks.poststop[0].path, "/post");

    EXPECT_EQ(spec.annotations, (std::map<std::string, std::string>{{"org.example.key", "value"}}));

    const Linux& l = spec.linux_config;
    ASSERT_EQ(l.namespaces.size(), 8u);
    for (std::size_t i = 0; i < kAllNamespaceTypes.size(); ++i) {
        ASSERT_NE(l.find_namespace(kAllNamespaceTypes[i]), nullptr) << i;
    }
    EXPECT_EQ(l.find_namespace(NamespaceType::network)->path, "/var/run/netns/x");
    EXPECT_EQ(l.find_namespace(NamespaceType::pid)->path, "");
    ASSERT_EQ(l.uid_mappings.size(), 1u);
    EXPECT_EQ(l.uid_mappings[0].container_id, 0u);
    EXPECT_EQ(l.uid_mappings[0].host_id, 100000u);
    EXPECT_EQ(l.uid_mappings[0].size, 65536u);
    ASSERT_EQ(l.gid_mappings.size(), 2u);
    EXPECT_EQ(l.gid_mappings[1].container_id, 1000u);
    EXPECT_EQ(l.gid_mappings[1].host_id, 5u);
    ASSERT_EQ(l.devices.size(), 2u);
    EXPECT_EQ(l.devices[0].type, 'c');
    EXPECT_EQ(l.devices[0].path, "/dev/fuse");
    EXPECT_EQ(l.devices[0].major, 10);
    EXPECT_EQ(l.devices[0].minor, 229);
    EXPECT_EQ(l.devices[0].file_mode, 0666u);
    EXPECT_EQ(l.devices[0].uid, 0u);
    EXPECT_EQ(l.devices[0].gid, 0u);
    EXPECT_EQ(l.devices[1].type, 'p');
    EXPECT_FALSE(l.devices[1].file_mode);
    EXPECT_FALSE(l.devices[1].uid);
    EXPECT_EQ(l.cgroups_path, "/hako/box");
    EXPECT_EQ(json::parse(l.resources_json),
              json::parse(R"({"memory": {"limit": 1048576}, "pids": {"limit": 10}})"));
    EXPECT_EQ(l.resources_json.find('\n'), std::string::npos);  // compact
    EXPECT_EQ(json::parse(l.seccomp_json), json::parse(R"({"defaultAction": "SCMP_ACT_ALLOW"})"));
    EXPECT_EQ(l.sysctl, (std::map<std::string, std::string>{{"net.ipv4.ip_forward", "1"}}));
    EXPECT_EQ(l.masked_paths, std::vector<std::string>{"/proc/kcore"});
    EXPECT_EQ(l.readonly_paths, std::vector<std::string>{"/proc/sys"});
    EXPECT_EQ(l.rootfs_propagation, "rslave");
    EXPECT_EQ(l.mount_label, "system_u:object_r:container_file_t:s0");
    ASSERT_EQ(l.time_offsets.size(), 2u);
    EXPECT_EQ(l.time_offsets.at("monotonic").secs, 3600);
    EXPECT_EQ(l.time_offsets.at("monotonic").nanosecs, 5u);
    EXPECT_EQ(l.time_offsets.at("boottime").secs, -7);
}

// Podman writes the host node's whole st_mode (020666 = 8630 for a character device); like
// runc, the file type bits are dropped and the permissions kept.
TEST(SpecParse, DeviceFileModeDropsFileTypeBits) {
    const Spec spec = parse_spec(patched(R"({"linux": {"devices": [
        {"type": "c", "path": "/dev/null", "major": 1, "minor": 3, "fileMode": 8630},
        {"type": "b", "path": "/dev/loop9", "major": 7, "minor": 9, "fileMode": 25008},
        {"type": "c", "path": "/dev/x", "major": 1, "minor": 5, "fileMode": 1638}]}})"));
    ASSERT_EQ(spec.linux_config.devices.size(), 3U);
    EXPECT_EQ(spec.linux_config.devices[0].file_mode, 0666U);
    EXPECT_EQ(spec.linux_config.devices[1].file_mode, 0660U);
    EXPECT_EQ(spec.linux_config.devices[2].file_mode, 03146U);
}

TEST(SpecParse, ResourcesAndSeccompEmptyWhenAbsent) {
    const Spec spec = parse_spec(kBase);
    EXPECT_EQ(spec.linux_config.resources_json, "");
    EXPECT_EQ(spec.linux_config.seccomp_json, "");
}

TEST(SpecParse, EveryRlimitNameResolves) {
    const std::pair<const char*, int> expected[] = {
        {"RLIMIT_AS", RLIMIT_AS},
        {"RLIMIT_CORE", RLIMIT_CORE},
        {"RLIMIT_CPU", RLIMIT_CPU},
        {"RLIMIT_DATA", RLIMIT_DATA},
        {"RLIMIT_FSIZE", RLIMIT_FSIZE},
        {"RLIMIT_LOCKS", RLIMIT_LOCKS},
        {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
        {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
        {"RLIMIT_NICE", RLIMIT_NICE},
        {"RLIMIT_NOFILE", RLIMIT_NOFILE},
        {"RLIMIT_NPROC", RLIMIT_NPROC},
        {"RLIMIT_RSS", RLIMIT_RSS},
        {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
        {"RLIMIT_RTTIME", RLIMIT_RTTIME},
        {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
        {"RLIMIT_STACK", RLIMIT_STACK},
    };
    for (const auto& [name, resource] : expected) {
        EXPECT_EQ(rlimit_resource_from_name(name), resource) << name;
    }
    EXPECT_FALSE(rlimit_resource_from_name("NOFILE"));
    EXPECT_FALSE(rlimit_resource_from_name("rlimit_nofile"));
    EXPECT_FALSE(rlimit_resource_from_name(""));
}

TEST(SpecNamespaces, NamesFlagsAndProcEntries) {
    EXPECT_EQ(namespace_type_name(NamespaceType::network), "network");
    EXPECT_EQ(namespace_type_name(NamespaceType::mount), "mount");
    EXPECT_EQ(namespace_proc_name(NamespaceType::network), "net");
    EXPECT_EQ(namespace_proc_name(NamespaceType::mount), "mnt");
    EXPECT_EQ(namespace_proc_name(NamespaceType::time), "time");
    EXPECT_EQ(namespace_clone_flag(NamespaceType::pid), static_cast<std::uint64_t>(CLONE_NEWPID));
    EXPECT_EQ(namespace_clone_flag(NamespaceType::network),
              static_cast<std::uint64_t>(CLONE_NEWNET));
    EXPECT_EQ(namespace_clone_flag(NamespaceType::mount), static_cast<std::uint64_t>(CLONE_NEWNS));
    EXPECT_EQ(namespace_clone_flag(NamespaceType::user), static_cast<std::uint64_t>(CLONE_NEWUSER));
    EXPECT_EQ(namespace_clone_flag(NamespaceType::cgroup),
              static_cast<std::uint64_t>(CLONE_NEWCGROUP));
    EXPECT_EQ(namespace_clone_flag(NamespaceType::time), 0x80u);
    for (NamespaceType type : kAllNamespaceTypes) {
        EXPECT_EQ(namespace_type_from_name(namespace_type_name(type)), type);
    }
    EXPECT_FALSE(namespace_type_from_name("net"));
    EXPECT_FALSE(namespace_type_from_name("PID"));
}

TEST(SpecNamespaces, FindNamespace) {
    Linux l;
    l.namespaces = {{NamespaceType::pid, ""}, {NamespaceType::network, "/run/netns/a"}};
    ASSERT_NE(l.find_namespace(NamespaceType::network), nullptr);
    EXPECT_EQ(l.find_namespace(NamespaceType::network)->path, "/run/netns/a");
    EXPECT_EQ(l.find_namespace(NamespaceType::user), nullptr);
}

// A temporary bundle directory, removed with its contents.
class TempBundle {
  public:
    TempBundle() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "hako-spec-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempBundle() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempBundle(const TempBundle&) = delete;
    TempBundle& operator=(const TempBundle&) = delete;

    [[nodiscard]] const std::string& path() const { return path_; }
    void write_config(const std::string& text) const {
        std::ofstream(path_ + "/config.json") << text;
    }

  private:
    std::string path_;
};

std::string load_error(const std::string& bundle) {
    try {
        (void)load_spec(bundle);
    } catch (const hako::Error& e) {
        return e.what();
    }
    return "";
}

TEST(SpecLoad, ReadsBundleConfig) {
    TempBundle bundle;
    bundle.write_config(kBase);
    EXPECT_EQ(load_spec(bundle.path()).hostname, "box");
    EXPECT_EQ(load_spec(bundle.path() + "/").root.path, "rootfs");
}

TEST(SpecLoad, MissingConfigNamesTheFile) {
    TempBundle bundle;
    EXPECT_EQ(load_error(bundle.path()),
              "open " + bundle.path() + "/config.json: No such file or directory");
}

TEST(SpecLoad, ErrorsArePrefixedWithTheFile) {
    TempBundle bundle;
    bundle.write_config(patched(R"({"process": {"user": {"uid": "root"}}})"));
    EXPECT_EQ(load_error(bundle.path()),
              bundle.path() + "/config.json: process.user.uid: expected unsigned integer");
    bundle.write_config("{\"ociVersion\":");
    EXPECT_EQ(load_error(bundle.path()),
              bundle.path() +
                  "/config.json: invalid JSON: parse error at line 1, column 15: syntax error "
                  "while parsing value - unexpected end of input; expected '[', '{', or a "
                  "literal");
}

}  // namespace
