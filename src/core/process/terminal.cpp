#include "process/terminal.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <termios.h>
#include <unistd.h>

#include "fs/mount_api.hpp"
#include "sys/error.hpp"

namespace hako::process {
namespace {

constexpr unsigned kPtmxMajor = 5;             // TTYAUX_MAJOR
constexpr unsigned kPtmxMinor = 2;
constexpr ino_t kPtmxInode = 2;                // the ptmx of every devpts instance
constexpr unsigned kFirstPtySlaveMajor = 136;  // UNIX98_PTY_SLAVE_MAJOR
constexpr unsigned kPtySlaveMajorCount = 8;    // UNIX98_PTY_MAJOR_COUNT

bool on_filesystem(int fd, unsigned long magic) {
    struct statfs fs {};
    return ::fstatfs(fd, &fs) == 0 && static_cast<unsigned long>(fs.f_type) == magic;
}

struct stat stat_fd(int fd, const char* what) {
    struct stat st {};
    check_sys(::fstat(fd, &st), "stat", what);
    return st;
}

}  // namespace

void verify_pty_master(int fd) {
    const struct stat st = stat_fd(fd, "pty master");
    if (!on_filesystem(fd, DEVPTS_SUPER_MAGIC) || !S_ISCHR(st.st_mode) ||
        st.st_ino != kPtmxInode || major(st.st_rdev) != kPtmxMajor ||
        minor(st.st_rdev) != kPtmxMinor)
        fail("/dev/ptmx in the container is not a devpts ptmx (5:2); refusing to use it");
}

void verify_pty_slave(int fd) {
    const struct stat st = stat_fd(fd, "pty slave");
    const unsigned slave_major = major(st.st_rdev);
    if (!on_filesystem(fd, DEVPTS_SUPER_MAGIC) || !S_ISCHR(st.st_mode) ||
        slave_major < kFirstPtySlaveMajor ||
        slave_major >= kFirstPtySlaveMajor + kPtySlaveMajorCount)
        fail("pty slave is not a devpts terminal ({}:{}); refusing to use it", slave_major,
             minor(st.st_rdev));
}

void set_window_size(int fd, const spec::ConsoleSize& size) {
    winsize ws{};
    ws.ws_row = static_cast<unsigned short>(size.height);
    ws.ws_col = static_cast<unsigned short>(size.width);
    check_sys(::ioctl(fd, TIOCSWINSZ, &ws), "set process.consoleSize (TIOCSWINSZ)");
}

Pty open_pty(const std::optional<spec::ConsoleSize>& size, const char* ptmx_path) {
    // O_NONBLOCK: a fifo planted at the path must not hang the open; cleared below.
    Pty pty;
    pty.master.reset(::open(ptmx_path, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK));
    if (!pty.master) throw_sys_error("open pty master", ptmx_path);
    verify_pty_master(pty.master.get());
    const int flags = check_sys(::fcntl(pty.master.get(), F_GETFL), "fcntl", ptmx_path);
    check_sys(::fcntl(pty.master.get(), F_SETFL, flags & ~O_NONBLOCK), "fcntl", ptmx_path);

    int unlock = 0;
    check_sys(::ioctl(pty.master.get(), TIOCSPTLCK, &unlock), "unlock pty (TIOCSPTLCK)");
    unsigned number = 0;
    check_sys(::ioctl(pty.master.get(), TIOCGPTN, &number), "pty number (TIOCGPTN)");
    pty.name = fmt::format("/dev/pts/{}", number);
    // The peer of this very master, never a path the container could have swapped.
    pty.slave.reset(::ioctl(pty.master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!pty.slave) throw_sys_error("open pty slave (TIOCGPTPEER)", pty.name);
    verify_pty_slave(pty.slave.get());
    if (size && size->height != 0 && size->width != 0) set_window_size(pty.slave.get(), *size);
    return pty;
}

void mount_console(int slave_fd) {
    const sys::UniqueFd dev(::open("/dev", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dev) throw_sys_error("open", "/dev");
    sys::UniqueFd target(::openat(dev.get(), "console", O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!target && errno == ENOENT) {
        const sys::UniqueFd created(::openat(
            dev.get(), "console", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666));
        if (!created) throw_sys_error("create", "/dev/console");
        target.reset(::openat(dev.get(), "console", O_PATH | O_NOFOLLOW | O_CLOEXEC));
    }
    if (!target) throw_sys_error("open", "/dev/console");
    const struct stat st = stat_fd(target.get(), "/dev/console");
    if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))
        fail("/dev/console in the container is neither a file nor a device; refusing to mount "
             "the console over it");
    if (on_filesystem(target.get(), PROC_SUPER_MAGIC) ||
        on_filesystem(target.get(), SYSFS_MAGIC))
        fail("/dev/console in the container lies on procfs or sysfs; refusing to mount the "
             "console over it");
    const sys::UniqueFd tree = fs::clone_mount_tree(slave_fd, false);
    fs::attach_mount(tree.get(), target.get(), "/dev/console");
}

void make_controlling_terminal(int slave_fd) {
    check_sys(::setsid(), "setsid");
    check_sys(::ioctl(slave_fd, TIOCSCTTY, 0), "set controlling terminal (TIOCSCTTY)");
    for (int fd = 0; fd <= 2; ++fd) {
        if (fd == slave_fd) {
            check_sys(::fcntl(fd, F_SETFD, 0), "fcntl", "pty slave");
            continue;
        }
        check_sys(::dup3(slave_fd, fd, 0), "dup pty slave onto", fmt::format("fd {}", fd));
    }
}

}  // namespace hako::process
