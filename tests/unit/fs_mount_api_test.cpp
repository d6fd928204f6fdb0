#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "fs/mount_api.hpp"
#include "fs/safe_path.hpp"
#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace {

using hako::fs::parse_mount_options;
using hako::sys::UniqueFd;
namespace stdfs = std::filesystem;

// Runs body in a forked child inside a new mount namespace whose mounts are all private, so
// nothing the test mounts reaches the host (the namespace dies with the child). Returns what
// body returned, or "error: <message>" if it threw.
std::string in_private_mount_ns(const std::function<std::string()>& body) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) < 0) return "error: pipe2";
    UniqueFd read_end(fds[0]);
    UniqueFd write_end(fds[1]);
    const pid_t pid = ::fork();
    if (pid < 0) return "error: fork";
    if (pid == 0) {
        read_end.reset();
        std::string out;
        try {
            hako::check_sys(::unshare(CLONE_NEWNS), "unshare");
            hako::check_sys(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr),
                            "make private", "/");
            out = body();
        } catch (const std::exception& e) {
            out = std::string("error: ") + e.what();
        }
        std::size_t done = 0;
        while (done < out.size()) {
            const ssize_t n = ::write(write_end.get(), out.data() + done, out.size() - done);
            if (n <= 0) break;
            done += static_cast<std::size_t>(n);
        }
        ::_exit(0);  // no gtest or static destructors in the child
    }
    write_end.reset();
    std::string out;
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(read_end.get(), buffer, sizeof buffer)) > 0) {
        out.append(buffer, static_cast<std::size_t>(n));
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return "error: child died: " + out;
    return out;
}

// The /proc/self/mountinfo line of the topmost mount at path, or "" when nothing is mounted
// there.
std::string mountinfo_line(const std::string& path) {
    std::ifstream in("/proc/self/mountinfo");
    std::string line;
    std::string found;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string id, parent, dev, root, mount_point;
        fields >> id >> parent >> dev >> root >> mount_point;
        if (mount_point == path) found = line;
    }
    return found;
}

// Field 6 of a mountinfo line: the per-mount options ("rw,nosuid,nodev,relatime").
std::vector<std::string> mount_options_of(const std::string& line) {
    std::istringstream fields(line);
    std::string field;
    for (int i = 0; i < 6; ++i) fields >> field;
    std::vector<std::string> options;
    std::istringstream split(field);
    std::string option;
    while (std::getline(split, option, ',')) options.push_back(option);
    return options;
}

bool has(const std::vector<std::string>& options, const std::string& option) {
    for (const auto& o : options) {
        if (o == option) return true;
    }
    return false;
}

// The optional fields of a mountinfo line ("shared:N", "master:N"...).
std::string optional_fields_of(const std::string& line) {
    std::istringstream fields(line);
    std::string field;
    for (int i = 0; i < 6; ++i) fields >> field;
    std::string tags;
    while (fields >> field && field != "-") tags += field + " ";
    return tags;
}

std::string tag_value(const std::string& tags, const std::string& name) {
    const std::size_t at = tags.find(name + ":");
    if (at == std::string::npos) return "";
    const std::size_t begin = at + name.size() + 1;
    return tags.substr(begin, tags.find(' ', begin) - begin);
}

UniqueFd open_path(const stdfs::path& path) {
    UniqueFd fd(::open(path.c_str(), O_PATH | O_CLOEXEC));
    if (!fd) hako::throw_sys_error("open", path.string());
    return fd;
}

// errno of opening path for writing (creating it), 0 on success.
int write_errno(const stdfs::path& path) {
    const UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    return fd ? 0 : errno;
}

class MountApi : public ::testing::Test {
protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "mount tests need root";
        std::string templ = (stdfs::temp_directory_path() / "hako-mount-XXXXXX").string();
        ASSERT_NE(::mkdtemp(templ.data()), nullptr);
        dir_ = stdfs::canonical(templ);
    }
    void TearDown() override {
        std::error_code ignored;
        if (!dir_.empty()) stdfs::remove_all(dir_, ignored);
    }

    stdfs::path make_dir(const std::string& name) const {
        stdfs::create_directories(dir_ / name);
        return dir_ / name;
    }

    stdfs::path dir_;
};

TEST_F(MountApi, TmpfsWithOptionsAttachedAtDirFd) {
    const stdfs::path target = make_dir("tmpfs");
    const std::string line = in_private_mount_ns([&] {
        const auto options =
            parse_mount_options({"nosuid", "nodev", "noexec", "ro", "mode=755", "size=1m"});
        const UniqueFd mount = hako::fs::make_filesystem_mount("tmpfs", "hakotmp", options);
        const UniqueFd target_fd = open_path(target);
        hako::fs::attach_mount(mount.get(), target_fd.get(), target.string());
        if (write_errno(target / "file") != EROFS) return std::string("error: not read-only");
        return mountinfo_line(target.string());
    });
    ASSERT_EQ(line.rfind("error", 0), std::string::npos) << line;
    ASSERT_FALSE(line.empty());
    const auto options = mount_options_of(line);
    EXPECT_TRUE(has(options, "ro")) << line;
    EXPECT_TRUE(has(options, "nosuid")) << line;
    EXPECT_TRUE(has(options, "nodev")) << line;
    EXPECT_TRUE(has(options, "noexec")) << line;
    EXPECT_NE(line.find(" - tmpfs hakotmp "), std::string::npos) << line;
    EXPECT_NE(line.find("size=1024k"), std::string::npos) << line;
    EXPECT_NE(line.find("mode=755"), std::string::npos) << line;
    EXPECT_EQ(mountinfo_line(target.string()), "") << "leaked to the host";
}

TEST_F(MountApi, TmpfsIsWritableWithoutRo) {
    const stdfs::path target = make_dir("rw");
    const std::string line = in_private_mount_ns([&] {
        const auto options = parse_mount_options({"noatime", "mode=700"});
        const UniqueFd mount = hako::fs::make_filesystem_mount("tmpfs", "", options);
        hako::fs::attach_mount(mount.get(), open_path(target).get(), target.string());
        if (write_errno(target / "file") != 0) return std::string("error: not writable");
        return mountinfo_line(target.string());
    });
    ASSERT_EQ(line.rfind("error", 0), std::string::npos) << line;
    const auto options = mount_options_of(line);
    EXPECT_TRUE(has(options, "rw")) << line;
    EXPECT_TRUE(has(options, "noatime")) << line;
    EXPECT_FALSE(has(options, "nosuid")) << line;
    EXPECT_NE(line.find("mode=700"), std::string::npos) << line;
}

TEST_F(MountApi, FilesystemsWithSourceAndFlagParameters) {
    const std::string result = in_private_mount_ns([] {
        std::string failures;
        const struct {
            const char* type;
            const char* source;
            std::vector<std::string> options;
        } cases[] = {
            {"proc", "proc", {"nosuid", "nodev", "noexec"}},
            {"sysfs", "sysfs", {"ro", "nosuid"}},
            {"devpts", "devpts", {"newinstance", "ptmxmode=0666", "mode=0620"}},
            {"mqueue", "mqueue", {}},
            {"tmpfs", "shm", {"mode=1777", "size=65536k", "sync", "dirsync", "async"}},
        };
        for (const auto& c : cases) {
            try {
                hako::fs::make_filesystem_mount(c.type, c.source, parse_mount_options(c.options));
            } catch (const hako::Error& e) {
                failures += std::string(e.what()) + "\n";
            }
        }
        return failures;
    });
    EXPECT_EQ(result, "");
}

TEST_F(MountApi, InvalidOptionNamesTypeOptionAndKernelReason) {
    const std::string message = in_private_mount_ns([] {
        hako::fs::make_filesystem_mount("tmpfs", "tmpfs", parse_mount_options({"size=abc"}));
        return std::string("no error");
    });
    EXPECT_EQ(message.rfind("error: mount tmpfs (option \"size=abc\"): Invalid argument: ", 0), 0U)
        << message;
    // The kernel's reason follows strerror: "tmpfs: Bad value for 'size'".
    EXPECT_NE(message.find("'size'"), std::string::npos) << "no kernel reason: " << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;

    const std::string unknown = in_private_mount_ns([] {
        hako::fs::make_filesystem_mount("tmpfs", "", parse_mount_options({"bogus"}));
        return std::string("no error");
    });
    EXPECT_EQ(unknown.rfind("error: mount tmpfs (option \"bogus\"): Invalid argument: ", 0), 0U)
        << unknown;
    EXPECT_NE(unknown.find("bogus'"), std::string::npos) << "no kernel reason: " << unknown;
}

TEST_F(MountApi, UnknownFilesystemType) {
    const std::string message = in_private_mount_ns([] {
        hako::fs::make_filesystem_mount("hakonosuchfs", "", {});
        return std::string("no error");
    });
    EXPECT_EQ(message, "error: mount hakonosuchfs: No such device");
}

TEST_F(MountApi, BindMountOfAFile) {
    const stdfs::path source = dir_ / "source-file";
    std::ofstream(source) << "hello";
    const stdfs::path root = make_dir("root");
    const std::string result = in_private_mount_ns([&] {
        const UniqueFd root_fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        const UniqueFd target = hako::fs::create_file_in_root(root_fd.get(), "/etc/hostname");
        const UniqueFd tree = hako::fs::clone_mount_tree(source.string(), false);
        hako::fs::attach_mount(tree.get(), target.get(), "/etc/hostname");
        // And the fd flavour, onto a second file.
        const UniqueFd target2 = hako::fs::create_file_in_root(root_fd.get(), "/etc/hosts");
        const UniqueFd tree2 = hako::fs::clone_mount_tree(open_path(source).get(), false);
        hako::fs::attach_mount(tree2.get(), target2.get(), "/etc/hosts");
        std::string a, b;
        std::getline(std::ifstream(root / "etc/hostname"), a);
        std::getline(std::ifstream(root / "etc/hosts"), b);
        return a + "," + b;
    });
    EXPECT_EQ(result, "hello,hello");
    EXPECT_EQ(stdfs::file_size(root / "etc/hostname"), 0U) << "leaked to the host";
}

TEST_F(MountApi, BindSourceErrorNamesThePath) {
    const std::string missing = (dir_ / "missing").string();
    const std::string message = in_private_mount_ns([&] {
        hako::fs::clone_mount_tree(missing, true);
        return std::string("no error");
    });
    EXPECT_EQ(message, "error: bind mount source " + missing + ": No such file or directory");
}

TEST_F(MountApi, ReadOnlyBindRefusesWrites) {
    const stdfs::path source = make_dir("src");
    const stdfs::path target = make_dir("dst");
    const std::string result = in_private_mount_ns([&] {
        const auto options = parse_mount_options({"bind", "ro", "nosuid"});
        const UniqueFd tree = hako::fs::clone_mount_tree(source.string(), options.recursive);
        hako::fs::apply_mount_attributes(tree.get(), options);
        hako::fs::attach_mount(tree.get(), open_path(target).get(), target.string());
        const int err = write_errno(target / "new");
        const int source_err = write_errno(source / "other");
        return std::string(std::strerror(err)) + "," + std::strerror(source_err) + "," +
               (has(mount_options_of(mountinfo_line(target.string())), "nosuid") ? "nosuid" : "");
    });
    EXPECT_EQ(result, std::string(std::strerror(EROFS)) + "," + std::strerror(0) + ",nosuid");
}

TEST_F(MountApi, ReadOnlyOnRbindIsTopOnlyUnlessRro) {
    const stdfs::path source = make_dir("src");
    const stdfs::path sub = make_dir("src/sub");
    const stdfs::path top_only = make_dir("top-only");
    const stdfs::path recursive = make_dir("recursive");
    const std::string result = in_private_mount_ns([&] {
        const UniqueFd submount = hako::fs::make_filesystem_mount("tmpfs", "", {});
        hako::fs::attach_mount(submount.get(), open_path(sub).get(), sub.string());

        const auto ro = parse_mount_options({"rbind", "ro"});
        const UniqueFd tree = hako::fs::clone_mount_tree(source.string(), ro.recursive);
        hako::fs::apply_mount_attributes(tree.get(), ro);
        hako::fs::attach_mount(tree.get(), open_path(top_only).get(), top_only.string());

        const auto rro = parse_mount_options({"rbind", "rro"});
        const UniqueFd tree2 = hako::fs::clone_mount_tree(open_path(source).get(), rro.recursive);
        hako::fs::apply_mount_attributes(tree2.get(), rro);
        hako::fs::attach_mount(tree2.get(), open_path(recursive).get(), recursive.string());

        return std::to_string(write_errno(top_only / "f")) + "," +
               std::to_string(write_errno(top_only / "sub/f")) + "," +
               std::to_string(write_errno(recursive / "f")) + "," +
               std::to_string(write_errno(recursive / "sub/f"));
    });
    EXPECT_EQ(result, std::to_string(EROFS) + ",0," + std::to_string(EROFS) + "," +
                          std::to_string(EROFS));
}

TEST_F(MountApi, PropagationSharedSlaveAndPrivate) {
    const stdfs::path shared = make_dir("shared");
    const stdfs::path slave = make_dir("slave");
    const stdfs::path priv = make_dir("private");
    const std::string result = in_private_mount_ns([&] {
        const UniqueFd mount =
            hako::fs::make_filesystem_mount("tmpfs", "", parse_mount_options({"shared"}));
        hako::fs::attach_mount(mount.get(), open_path(shared).get(), shared.string());

        const auto slave_options = parse_mount_options({"bind", "slave"});
        const UniqueFd tree = hako::fs::clone_mount_tree(shared.string(), false);
        hako::fs::attach_mount(tree.get(), open_path(slave).get(), slave.string());
        hako::fs::apply_mount_attributes(open_path(slave).get(), slave_options);

        const UniqueFd tree2 = hako::fs::clone_mount_tree(shared.string(), false);
        hako::fs::apply_mount_attributes(tree2.get(), parse_mount_options({"bind", "rprivate"}));
        hako::fs::attach_mount(tree2.get(), open_path(priv).get(), priv.string());

        return optional_fields_of(mountinfo_line(shared.string())) + "|" +
               optional_fields_of(mountinfo_line(slave.string())) + "|" +
               optional_fields_of(mountinfo_line(priv.string()));
    });
    ASSERT_EQ(result.rfind("error", 0), std::string::npos) << result;
    const std::size_t bar1 = result.find('|');
    const std::size_t bar2 = result.find('|', bar1 + 1);
    const std::string shared_tags = result.substr(0, bar1);
    const std::string slave_tags = result.substr(bar1 + 1, bar2 - bar1 - 1);
    const std::string private_tags = result.substr(bar2 + 1);
    const std::string group = tag_value(shared_tags, "shared");
    EXPECT_NE(group, "") << result;
    EXPECT_EQ(tag_value(slave_tags, "master"), group) << result;
    EXPECT_EQ(tag_value(slave_tags, "shared"), "") << result;
    EXPECT_EQ(private_tags, "") << result;
}

TEST_F(MountApi, AttachErrorNamesTheDestination) {
    const std::string message = in_private_mount_ns([] {
        const UniqueFd mount = hako::fs::make_filesystem_mount("tmpfs", "", {});
        hako::fs::attach_mount(mount.get(), -1, "/container/dst");
        return std::string("no error");
    });
    EXPECT_EQ(message, "error: mount onto /container/dst: Bad file descriptor");
}

}  // namespace
