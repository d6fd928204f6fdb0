#include "fs/mount_api.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

#include "sys/error.hpp"

namespace hako::fs {
namespace {

// The attributes fsmount() accepts; anything else in attr_set is for mount_setattr only.
constexpr std::uint64_t kFsmountAttrs = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
                                        MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC | MOUNT_ATTR__ATIME |
                                        MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_NOSYMFOLLOW;
// fsopen's log holds a bounded number of messages; a few are enough for one error line.
constexpr int kMaxLogMessages = 8;

// What an fd refers to, for messages only (mount fds carry no path of their own).
std::string describe_fd(int fd) {
    std::string link(4096, '\0');
    const std::string proc = fmt::format("/proc/self/fd/{}", fd);
    const ssize_t n = ::readlink(proc.c_str(), link.data(), link.size());
    if (n <= 0) return fmt::format("fd {}", fd);
    link.resize(static_cast<std::size_t>(n));
    return link;
}

// The messages the kernel logged on the filesystem context ("e tmpfs: Bad value for
// 'size'"), severity letters dropped, joined into one line; empty when it logged nothing.
std::string context_log(int fs_fd) {
    std::string log;
    for (int i = 0; i < kMaxLogMessages; ++i) {
        char buffer[1024];
        const ssize_t n = ::read(fs_fd, buffer, sizeof buffer);
        if (n <= 0) break;  // ENODATA: no more messages
        std::string_view message(buffer, static_cast<std::size_t>(n));
        while (!message.empty() && (message.back() == '\n' || message.back() == '\0')) {
            message.remove_suffix(1);
        }
        if (message.size() >= 2 && message[1] == ' ') message.remove_prefix(2);
        if (message.empty()) continue;
        if (!log.empty()) log += "; ";
        log += message;
    }
    return log;
}

// "mount <type><what>: strerror(err)[: kernel log]". err is passed in because reading the
// log changes errno.
[[noreturn]] void fail_fs(int fs_fd, const std::string& type, const std::string& what, int err) {
    std::string message = fmt::format("mount {}{}: {}", type, what, std::strerror(err));
    const std::string log = context_log(fs_fd);
    if (!log.empty()) message += ": " + log;
    // Newlines in a log message must not break the one-line error.
    for (char& c : message) {
        if (c == '\n') c = ' ';
    }
    throw Error(message, err);
}

void setattr(int mount_fd, bool recursive, mount_attr& attr, std::string_view step) {
    const unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0U);
    if (::mount_setattr(mount_fd, "", flags, &attr, sizeof attr) < 0) {
        const int err = errno;
        throw_sys_error(step, describe_fd(mount_fd), err);
    }
}

}  // namespace

namespace {

// Where making a filesystem mount stopped.
enum class FsStep { open, source, option, create, mount };

// fsopen, fsconfig of the source and of each option, CMD_CREATE and fsmount, in raw system
// calls only (it also runs on the helper thread, sys/helper_thread.hpp). The mount fd, or an
// invalid one with errno set and step telling where it stopped (option: the index of the
// refused one); context is the fs context, whose log says why the kernel refused.
sys::UniqueFd fsmount_steps(const std::string& type, const std::string& source,
                            const MountOptions& options, sys::UniqueFd& context, FsStep& step,
                            std::size_t& option) noexcept {
    step = FsStep::open;
    context.reset(::fsopen(type.c_str(), FSOPEN_CLOEXEC));
    if (!context) return {};
    step = FsStep::source;
    if (!source.empty() &&
        ::fsconfig(context.get(), FSCONFIG_SET_STRING, "source", source.c_str(), 0) < 0)
        return {};
    step = FsStep::option;
    for (option = 0; option < options.fs_params.size(); ++option) {
        const auto& [key, value] = options.fs_params[option];
        const int rc = value.empty()
                           ? ::fsconfig(context.get(), FSCONFIG_SET_FLAG, key.c_str(), nullptr, 0)
                           : ::fsconfig(context.get(), FSCONFIG_SET_STRING, key.c_str(),
                                        value.c_str(), 0);
        if (rc < 0) return {};
    }
    step = FsStep::create;
    if (::fsconfig(context.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0) return {};
    step = FsStep::mount;
    return sys::UniqueFd(::fsmount(context.get(), FSMOUNT_CLOEXEC,
                                   static_cast<unsigned>(options.attr_set & kFsmountAttrs)));
}

}  // namespace

sys::UniqueFd make_filesystem_mount(const std::string& type, const std::string& source,
                                    const MountOptions& options) {
    sys::UniqueFd context;
    FsStep step = FsStep::open;
    std::size_t option = 0;
    sys::UniqueFd mount_fd = fsmount_steps(type, source, options, context, step, option);
    if (!mount_fd) {
        const int err = errno;
        const std::string quoted_source =
            source.empty() ? "" : fmt::format(" (source \"{}\")", source);
        switch (step) {
            case FsStep::open: throw_sys_error("mount", type, err);
            case FsStep::source: fail_fs(context.get(), type, quoted_source, err);
            case FsStep::option: {
                const auto& [key, value] = options.fs_params[option];
                const std::string text = value.empty() ? key : key + "=" + value;
                fail_fs(context.get(), type, fmt::format(" (option \"{}\")", text), err);
            }
            case FsStep::create: fail_fs(context.get(), type, quoted_source, err);
            case FsStep::mount: fail_fs(context.get(), type, " (mount attributes)", err);
        }
    }
    if (options.propagation != 0) {
        set_propagation(mount_fd.get(), options.propagation, options.recursive_propagation);
    }
    return mount_fd;
}

int try_make_filesystem_mount(const std::string& type, const std::string& source,
                              const MountOptions& options) noexcept {
    if (options.propagation != 0) {
        errno = EINVAL;
        return -1;
    }
    sys::UniqueFd context;
    FsStep step = FsStep::open;
    std::size_t option = 0;
    return fsmount_steps(type, source, options, context, step, option).release();
}

sys::UniqueFd clone_mount_tree(int source_fd, bool recursive) {
    const unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH |
                           (recursive ? AT_RECURSIVE : 0U);
    sys::UniqueFd tree(::open_tree(source_fd, "", flags));
    if (!tree) {
        const int err = errno;
        throw_sys_error("bind mount source", describe_fd(source_fd), err);
    }
    return tree;
}

sys::UniqueFd clone_mount_tree(const std::string& source_path, bool recursive) {
    const unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0U);
    sys::UniqueFd tree(::open_tree(AT_FDCWD, source_path.c_str(), flags));
    if (!tree) throw_sys_error("bind mount source", source_path);
    return tree;
}

void apply_mount_attributes(int mount_fd, const MountOptions& options) {
    if (options.attr_set != 0 || options.attr_clr != 0) {
        mount_attr attr{};
        attr.attr_set = options.attr_set;
        attr.attr_clr = options.attr_clr;
        setattr(mount_fd, options.recursive_attrs, attr, "set mount attributes on");
    }
    if (options.propagation != 0) {
        set_propagation(mount_fd, options.propagation, options.recursive_propagation);
    }
}

void set_propagation(int mount_fd, std::uint64_t propagation, bool recursive) {
    mount_attr attr{};
    attr.propagation = propagation;
    setattr(mount_fd, recursive, attr, "set mount propagation on");
}

void attach_mount(int mount_fd, int target_fd, const std::string& what) {
    if (::move_mount(mount_fd, "", target_fd, "",
                     MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
        throw_sys_error("mount onto", what);
    }
}

}  // namespace hako::fs
