#include "security/lsm.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "sys/error.hpp"

namespace hako::security {
namespace {

constexpr long kSelinuxMagic = 0xf97cff8c;  // SELINUX_MAGIC of <linux/magic.h>

void write_attr(const PrivateProcfs& proc, const std::string& relative, const std::string& value,
                const std::string& field, const char* module_hint) {
    const std::string shown = "/proc/thread-self/" + relative.substr(relative.find("/attr/") + 1);
    sys::UniqueFd file;
    try {
        file = proc.open_file(relative, O_WRONLY);
    } catch (const Error& error) {
        throw Error(fmt::format("{}: {}", field, error.what()), error.errno_value());
    }
    if (::write(file.get(), value.data(), value.size()) < 0) {
        const int err = errno;
        throw Error(fmt::format("{}: write {}: {}{}", field, shown, std::strerror(err),
                                module_hint),
                    err);
    }
}

}  // namespace

bool apparmor_enabled() {
    struct stat st {};
    if (::stat("/sys/kernel/security/apparmor", &st) != 0) return false;
    std::ifstream parameter("/sys/module/apparmor/parameters/enabled");
    char answer = 0;
    return parameter.get(answer) && answer == 'Y';
}

bool selinux_enabled() {
    struct statfs sfs {};
    return ::statfs("/sys/fs/selinux", &sfs) == 0 &&
           static_cast<long>(sfs.f_type) == kSelinuxMagic;
}

void check_lsm_support(const spec::Spec& spec) {
    const bool process_label = spec.process && !spec.process->selinux_label.empty();
    const bool mount_label = !spec.linux_config.mount_label.empty();
    if ((process_label || mount_label) && !selinux_enabled()) {
        fail("{}: selinux label is specified in config, but selinux is disabled or not "
             "supported",
             process_label ? "process.selinuxLabel" : "linux.mountLabel");
    }
}

std::string apparmor_exec_attr(const PrivateProcfs& proc) {
    const std::string thread = proc.thread_self();
    struct stat st {};
    const std::string per_module = thread + "/attr/apparmor";
    if (::fstatat(proc.fd(), per_module.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISDIR(st.st_mode))
        return per_module + "/exec";
    return thread + "/attr/exec";
}

bool has_exec_labels(const spec::Process& process) {
    return !process.apparmor_profile.empty() || !process.selinux_label.empty();
}

void apply_exec_labels(const PrivateProcfs& proc, const spec::Process& process) {
    if (!process.apparmor_profile.empty()) {
        write_attr(proc, apparmor_exec_attr(proc), "exec " + process.apparmor_profile,
                   fmt::format("process.apparmorProfile \"{}\"", process.apparmor_profile),
                   apparmor_enabled() ? "" : " (AppArmor is not enabled on this host)");
    }
    if (!process.selinux_label.empty()) {
        write_attr(proc, proc.thread_self() + "/attr/exec", process.selinux_label,
                   fmt::format("process.selinuxLabel \"{}\"", process.selinux_label), "");
    }
}

}  // namespace hako::security
