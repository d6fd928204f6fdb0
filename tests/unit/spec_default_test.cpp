#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "fs/mount_api.hpp"
#include "spec/spec.hpp"
#include "sys/error.hpp"

namespace {

using nlohmann::json;
using namespace hako::spec;

const std::vector<std::string> kDefaultCaps = {"CAP_AUDIT_WRITE", "CAP_KILL",
                                               "CAP_NET_BIND_SERVICE"};

const Mount* find_mount(const Spec& spec, const std::string& destination) {
    const auto it = std::find_if(spec.mounts.begin(), spec.mounts.end(),
                                 [&](const Mount& m) { return m.destination == destination; });
    return it == spec.mounts.end() ? nullptr : &*it;
}

bool has_option(const Mount& mount, const std::string& option) {
    return std::find(mount.options.begin(), mount.options.end(), option) != mount.options.end();
}

TEST(DefaultSpec, RoundTripsThroughTheParser) {
    const std::string text = default_spec_json(false);
    ASSERT_TRUE(json::accept(text));
    const Spec spec = parse_spec(text);

    EXPECT_EQ(spec.oci_version, "1.2.0");
    EXPECT_EQ(spec.root.path, "rootfs");
    EXPECT_TRUE(spec.root.readonly);
    EXPECT_EQ(spec.hostname, "hako");
    ASSERT_TRUE(spec.process);
    const Process& p = *spec.process;
    EXPECT_FALSE(p.terminal);
    EXPECT_EQ(p.user.uid, 0u);
    EXPECT_EQ(p.user.gid, 0u);
    EXPECT_EQ(p.args, std::vector<std::string>{"sh"});
    EXPECT_EQ(p.env, (std::vector<std::string>{
                         "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                         "TERM=xterm"}));
    EXPECT_EQ(p.cwd, "/");
    ASSERT_TRUE(p.capabilities);
    EXPECT_EQ(p.capabilities->bounding, kDefaultCaps);
    EXPECT_EQ(p.capabilities->effective, kDefaultCaps);
    EXPECT_EQ(p.capabilities->permitted, kDefaultCaps);
    EXPECT_TRUE(p.capabilities->inheritable.empty());
    EXPECT_TRUE(p.capabilities->ambient.empty());
    ASSERT_EQ(p.rlimits.size(), 1u);
    EXPECT_EQ(p.rlimits[0].resource, RLIMIT_NOFILE);
    EXPECT_EQ(p.rlimits[0].soft, 1024u);
    EXPECT_EQ(p.rlimits[0].hard, 1024u);
    EXPECT_TRUE(p.no_new_privileges);

    std::vector<std::string> destinations;
    for (const Mount& m : spec.mounts) destinations.push_back(m.destination);
    EXPECT_EQ(destinations, (std::vector<std::string>{"/proc", "/dev", "/dev/pts", "/dev/shm",
                                                      "/dev/mqueue", "/sys", "/sys/fs/cgroup"}));
    EXPECT_EQ(find_mount(spec, "/dev/pts")->options,
              (std::vector<std::string>{"nosuid", "noexec", "newinstance", "ptmxmode=0666",
                                        "mode=0620", "gid=5"}));
    EXPECT_EQ(find_mount(spec, "/sys")->type, "sysfs");
    EXPECT_EQ(find_mount(spec, "/sys/fs/cgroup")->type, "cgroup");

    const Linux& l = spec.linux_config;
    std::vector<std::string> namespaces;
    for (const Namespace& ns : l.namespaces) {
        namespaces.emplace_back(namespace_type_name(ns.type));
        EXPECT_EQ(ns.path, "");
    }
    EXPECT_EQ(namespaces,
              (std::vector<std::string>{"pid", "network", "ipc", "uts", "mount", "cgroup"}));
    EXPECT_TRUE(l.uid_mappings.empty());
    EXPECT_EQ(l.masked_paths.size(), 10u);
    EXPECT_EQ(l.readonly_paths, (std::vector<std::string>{"/proc/bus", "/proc/fs", "/proc/irq",
                                                          "/proc/sys", "/proc/sysrq-trigger"}));
    EXPECT_EQ(json::parse(l.resources_json),
              json::parse(R"({"devices": [{"allow": false, "access": "rwm"}]})"));
}

TEST(DefaultSpec, NeverSetsInheritableCapabilities) {
    for (bool rootless : {false, true}) {
        const json spec = json::parse(default_spec_json(rootless));
        EXPECT_FALSE(spec["process"]["capabilities"].contains("inheritable"));
        EXPECT_FALSE(spec["process"]["capabilities"].contains("ambient"));
    }
}

TEST(DefaultSpec, RootlessUsesAUserNamespaceMappedToTheCaller) {
    const Spec spec = parse_spec(default_spec_json(true));
    const Linux& l = spec.linux_config;
    ASSERT_NE(l.find_namespace(NamespaceType::user), nullptr);
    EXPECT_EQ(l.find_namespace(NamespaceType::network), nullptr);
    EXPECT_NE(l.find_namespace(NamespaceType::pid), nullptr);
    EXPECT_NE(l.find_namespace(NamespaceType::mount), nullptr);

    ASSERT_EQ(l.uid_mappings.size(), 1u);
    EXPECT_EQ(l.uid_mappings[0].container_id, 0u);
    EXPECT_EQ(l.uid_mappings[0].host_id, ::geteuid());
    EXPECT_EQ(l.uid_mappings[0].size, 1u);
    ASSERT_EQ(l.gid_mappings.size(), 1u);
    EXPECT_EQ(l.gid_mappings[0].container_id, 0u);
    EXPECT_EQ(l.gid_mappings[0].host_id, ::getegid());
    EXPECT_EQ(l.gid_mappings[0].size, 1u);
    EXPECT_EQ(l.resources_json, "");

    ASSERT_TRUE(spec.process && spec.process->capabilities);
    EXPECT_TRUE(spec.process->capabilities->inheritable.empty());

    const Mount* sys = find_mount(spec, "/sys");
    ASSERT_NE(sys, nullptr);
    EXPECT_EQ(sys->source, "/sys");
    EXPECT_EQ(sys->options, (std::vector<std::string>{"rbind", "nosuid", "noexec", "nodev", "ro"}));
    EXPECT_EQ(find_mount(spec, "/sys/fs/cgroup"), nullptr);
    const Mount* devpts = find_mount(spec, "/dev/pts");
    ASSERT_NE(devpts, nullptr);
    EXPECT_FALSE(has_option(*devpts, "gid=5"));
    EXPECT_TRUE(has_option(*devpts, "newinstance"));
}

TEST(DefaultSpec, PrettyPrintedWithTwoSpaces) {
    const std::string text = default_spec_json(false);
    EXPECT_EQ(text.rfind("{\n  \"ociVersion\": \"1.2.0\",\n", 0), 0u);
    EXPECT_EQ(text.back(), '\n');
}

TEST(Features, IsValidJsonListingWhatHakoImplements) {
    const std::string text = features_json();
    ASSERT_TRUE(json::accept(text));
    const json features = json::parse(text);
    EXPECT_EQ(features["ociVersionMin"], "1.0.0");
    EXPECT_EQ(features["ociVersionMax"], "1.3.0");
    EXPECT_EQ(features["hooks"], json::parse(R"(["prestart", "createRuntime", "createContainer",
                                                "startContainer", "poststart", "poststop"])"));

    const json& linux_features = features["linux"];
    EXPECT_EQ(linux_features["namespaces"],
              json::parse(R"(["pid", "network", "mount", "ipc", "uts", "user", "cgroup",
                              "time"])"));
    const json& caps = linux_features["capabilities"];
    ASSERT_EQ(caps.size(), 41u);
    EXPECT_EQ(caps.front(), "CAP_CHOWN");
    EXPECT_EQ(caps.back(), "CAP_CHECKPOINT_RESTORE");
    EXPECT_EQ(std::set<std::string>(caps.begin(), caps.end()).size(), 41u);
    EXPECT_EQ(linux_features["cgroup"]["v1"], true);
    EXPECT_EQ(linux_features["cgroup"]["v2"], true);
    EXPECT_EQ(linux_features["cgroup"]["systemd"], false);
    EXPECT_EQ(linux_features["seccomp"]["enabled"], true);
    EXPECT_FALSE(linux_features["seccomp"]["actions"].empty());
    EXPECT_EQ(linux_features["apparmor"]["enabled"], true);
    EXPECT_EQ(linux_features["selinux"]["enabled"], true);
    EXPECT_EQ(linux_features["intelRdt"]["enabled"], false);
    EXPECT_EQ(linux_features["mountExtensions"]["idmap"]["enabled"], false);
    EXPECT_EQ(features["annotations"]["io.github.hako.version"], HAKO_VERSION);
}

// The features document promises these options; each must be one parse_mount_options
// recognises itself rather than passes to the filesystem as an fsconfig parameter.
TEST(Features, MountOptionsAreRecognisedByTheMountParser) {
    const json features = json::parse(features_json());
    const json& options = features["mountOptions"];
    ASSERT_FALSE(options.empty());
    EXPECT_TRUE(std::is_sorted(options.begin(), options.end()));
    for (const json& option : options) {
        const std::string name = option.get<std::string>();
        try {
            const hako::fs::MountOptions parsed = hako::fs::parse_mount_options({name});
            EXPECT_TRUE(parsed.fs_params.empty()) << name << " is passed through, not recognised";
        } catch (const hako::Error& e) {
            ADD_FAILURE() << name << " is refused: " << e.what();
        }
    }
}

}  // namespace
