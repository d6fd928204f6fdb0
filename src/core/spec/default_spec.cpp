// The config `hako spec` writes: runc's `runc spec` (and `runc spec --rootless`) default, with
// the differences noted where they are made.
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "spec/spec.hpp"

namespace hako::spec {
namespace {

using ordered_json = nlohmann::ordered_json;  // keeps runc's field order in the output

ordered_json default_process() {
    const ordered_json caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
    return {
        // runc defaults to true; false lets `hako run` work out of the box without a tty
        // (from scripts, CI, a pipe). Users who want a shell flip it back.
        {"terminal", false},
        {"user", {{"uid", 0}, {"gid", 0}}},
        {"args", {"sh"}},
        {"env",
         {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"}},
        {"cwd", "/"},
        // No inheritable (or ambient) set: an inheritable capability survives execve of a
        // file with matching file capabilities, which is how CVE-2022-27650 escalated.
        {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
        {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}}},
        {"noNewPrivileges", true},
    };
}

ordered_json mount(const char* destination, const char* type, const char* source,
                   ordered_json options) {
    ordered_json m = {{"destination", destination}, {"type", type}, {"source", source}};
    if (!options.empty()) m["options"] = std::move(options);
    return m;
}

ordered_json default_mounts(bool rootless) {
    ordered_json mounts = ordered_json::array();
    mounts.push_back(mount("/proc", "proc", "proc", ordered_json::array()));
    mounts.push_back(
        mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}));
    // gid=5 (tty) may not be mapped in a rootless user namespace, so it is left out there.
    ordered_json devpts = {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"};
    if (!rootless) devpts.push_back("gid=5");
    mounts.push_back(mount("/dev/pts", "devpts", "devpts", std::move(devpts)));
    mounts.push_back(mount("/dev/shm", "tmpfs", "shm",
                           {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}));
    mounts.push_back(mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}));
    if (rootless) {
        // Without its own network namespace a rootless container may not mount sysfs, so it
        // gets the host's /sys (cgroupfs included) read-only, as with runc.
        mounts.push_back(
            mount("/sys", "none", "/sys", {"rbind", "nosuid", "noexec", "nodev", "ro"}));
    } else {
        mounts.push_back(mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}));
        mounts.push_back(mount("/sys/fs/cgroup", "cgroup", "cgroup",
                               {"nosuid", "noexec", "nodev", "relatime", "ro"}));
    }
    return mounts;
}

ordered_json default_linux(bool rootless) {
    ordered_json linux_config = ordered_json::object();
    ordered_json namespaces = ordered_json::array();
    for (const char* type : {"pid", "network", "ipc", "uts", "mount", "cgroup"}) {
        // A rootless caller cannot configure a new network namespace usefully (no veth without
        // privilege), so it shares the host's, as `runc spec --rootless` does.
        if (rootless && std::string_view(type) == "network") continue;
        namespaces.push_back({{"type", type}});
    }
    if (rootless) {
        namespaces.push_back({{"type", "user"}});
        // Container root is the caller, and nobody else is mapped: that needs no privilege.
        linux_config["uidMappings"] = {{{"containerID", 0}, {"hostID", ::geteuid()}, {"size", 1}}};
        linux_config["gidMappings"] = {{{"containerID", 0}, {"hostID", ::getegid()}, {"size", 1}}};
    } else {
        // Deny every device by default; rootless configs drop resources, as runc's do, since
        // an unprivileged caller usually cannot write the cgroup.
        linux_config["resources"] = {{"devices", {{{"allow", false}, {"access", "rwm"}}}}};
    }
    linux_config["namespaces"] = std::move(namespaces);
    linux_config["maskedPaths"] = {"/proc/acpi",        "/proc/asound",        "/proc/kcore",
                                   "/proc/keys",        "/proc/latency_stats", "/proc/timer_list",
                                   "/proc/timer_stats", "/proc/sched_debug",   "/sys/firmware",
                                   "/proc/scsi"};
    linux_config["readonlyPaths"] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                     "/proc/sysrq-trigger"};
    return linux_config;
}

}  // namespace

std::string default_spec_json(bool rootless) {
    const ordered_json spec = {
        {"ociVersion", "1.2.0"},
        {"process", default_process()},
        {"root", {{"path", "rootfs"}, {"readonly", true}}},
        {"hostname", "hako"},
        {"mounts", default_mounts(rootless)},
        {"linux", default_linux(rootless)},
    };
    return spec.dump(2) + "\n";
}

}  // namespace hako::spec
