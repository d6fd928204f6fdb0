#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "fs/safe_path.hpp"
#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace {

using hako::fs::Resolver;
using hako::sys::UniqueFd;
namespace stdfs = std::filesystem;

// Every test runs with both resolvers: the walk must keep paths inside the root exactly as
// openat2(RESOLVE_IN_ROOT) does.
class SafePath : public ::testing::TestWithParam<Resolver> {
protected:
    void SetUp() override {
        std::string templ = (stdfs::temp_directory_path() / "hako-safe-path-XXXXXX").string();
        ASSERT_NE(::mkdtemp(templ.data()), nullptr);
        root_ = templ;
        root_fd_ = UniqueFd(::open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        ASSERT_TRUE(root_fd_);
    }
    void TearDown() override {
        std::error_code ignored;
        stdfs::remove_all(root_, ignored);  // does not follow the symlinks the tests made
    }

    [[nodiscard]] Resolver resolver() const { return GetParam(); }
    [[nodiscard]] int root_fd() const { return root_fd_.get(); }
    [[nodiscard]] stdfs::path in_root(const std::string& relative) const { return root_ / relative; }

    void write_file(const std::string& relative, const std::string& content) const {
        stdfs::create_directories(in_root(relative).parent_path());
        std::ofstream(in_root(relative)) << content;
    }
    void symlink(const std::string& target, const std::string& relative) const {
        stdfs::create_directories(in_root(relative).parent_path());
        ASSERT_EQ(::symlink(target.c_str(), in_root(relative).c_str()), 0) << relative;
    }

    // The errno open_in_root failed with, 0 if it succeeded.
    int open_errno(const std::string& path, int flags) const {
        try {
            hako::fs::open_in_root(root_fd(), path, flags, resolver());
        } catch (const hako::Error& e) {
            return e.errno_value();
        }
        return 0;
    }

    std::string read_in_root(const std::string& path) const {
        const UniqueFd fd = hako::fs::open_in_root(root_fd(), path, O_RDONLY, resolver());
        std::string content(4096, '\0');
        const ssize_t n = ::read(fd.get(), content.data(), content.size());
        if (n < 0) return "read failed";
        content.resize(static_cast<std::size_t>(n));
        return content;
    }

    // Whether fd refers to the same inode as host_path (not following a final symlink).
    static bool same_inode(int fd, const stdfs::path& host_path) {
        struct stat a {};
        struct stat b {};
        return ::fstatat(fd, "", &a, AT_EMPTY_PATH) == 0 &&
               ::lstat(host_path.c_str(), &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
    }

    stdfs::path root_;

private:
    UniqueFd root_fd_;
};

std::string resolver_name(const ::testing::TestParamInfo<Resolver>& info) {
    return info.param == Resolver::automatic ? "automatic" : "fallback_walk";
}

INSTANTIATE_TEST_SUITE_P(Resolvers, SafePath,
                         ::testing::Values(Resolver::automatic, Resolver::fallback_walk),
                         resolver_name);

TEST_P(SafePath, OpensPlainPaths) {
    write_file("etc/hostname", "inside\n");
    EXPECT_EQ(read_in_root("/etc/hostname"), "inside\n");
    EXPECT_EQ(read_in_root("etc/hostname"), "inside\n");
    EXPECT_EQ(read_in_root("//etc/./hostname"), "inside\n");
    const UniqueFd dir = hako::fs::open_in_root(root_fd(), "etc", O_PATH | O_DIRECTORY, resolver());
    EXPECT_TRUE(same_inode(dir.get(), in_root("etc")));
}

TEST_P(SafePath, EmptyAndSlashAreTheRoot) {
    for (const char* path : {"", "/", ".", "//", "/.."}) {
        const UniqueFd fd = hako::fs::open_in_root(root_fd(), path, O_PATH | O_DIRECTORY, resolver());
        EXPECT_TRUE(same_inode(fd.get(), root_)) << path;
    }
}

TEST_P(SafePath, FdsAreCloseOnExec) {
    write_file("f", "x");
    const UniqueFd fd = hako::fs::open_in_root(root_fd(), "f", O_RDONLY, resolver());
    EXPECT_NE(::fcntl(fd.get(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST_P(SafePath, AbsoluteSymlinkStaysInRoot) {
    symlink("/etc", "a");
    // The host's /etc/passwd exists; the root has no etc yet, so this must fail.
    EXPECT_EQ(open_errno("a/passwd", O_RDONLY), ENOENT);
    write_file("etc/passwd", "root's passwd\n");
    EXPECT_EQ(read_in_root("a/passwd"), "root's passwd\n");
    EXPECT_EQ(read_in_root("/a/passwd"), "root's passwd\n");
}

TEST_P(SafePath, AbsoluteSymlinkAsLastComponentStaysInRoot) {
    symlink("/etc/passwd", "pw");
    EXPECT_EQ(open_errno("pw", O_RDONLY), ENOENT);
    write_file("etc/passwd", "mine");
    EXPECT_EQ(read_in_root("pw"), "mine");
}

TEST_P(SafePath, RelativeDotDotSymlinkStaysInRoot) {
    symlink("../../../../../../etc", "d/e/up");
    EXPECT_EQ(open_errno("d/e/up/passwd", O_RDONLY), ENOENT);
    write_file("etc/passwd", "inside");
    EXPECT_EQ(read_in_root("d/e/up/passwd"), "inside");
}

TEST_P(SafePath, RelativeSymlinkResolvesFromItsDirectory) {
    write_file("d/target", "relative");
    symlink("target", "d/link");
    symlink("../../d/./target", "d/e/link2");
    symlink("../target", "d/e/link3");
    EXPECT_EQ(read_in_root("d/link"), "relative");
    EXPECT_EQ(read_in_root("d/e/link2"), "relative");
    EXPECT_EQ(read_in_root("d/e/link3"), "relative");
}

TEST_P(SafePath, DotDotPathsStopAtTheRoot) {
    write_file("etc/passwd", "inside");
    EXPECT_EQ(read_in_root("../../../etc/passwd"), "inside");
    EXPECT_EQ(read_in_root("/etc/../../../../etc/passwd"), "inside");
    const UniqueFd fd = hako::fs::open_in_root(root_fd(), "../../..", O_PATH, resolver());
    EXPECT_TRUE(same_inode(fd.get(), root_));
}

TEST_P(SafePath, SymlinkToDotDotStopsAtTheRoot) {
    symlink("..", "up");
    symlink("/../../..", "abs_up");
    const UniqueFd up = hako::fs::open_in_root(root_fd(), "up/up/up", O_PATH, resolver());
    EXPECT_TRUE(same_inode(up.get(), root_));
    const UniqueFd abs = hako::fs::open_in_root(root_fd(), "abs_up", O_PATH, resolver());
    EXPECT_TRUE(same_inode(abs.get(), root_));
}

TEST_P(SafePath, SymlinkLoopsFailWithEloop) {
    symlink("loop2", "loop1");
    symlink("loop1", "loop2");
    symlink("self", "self");
    symlink("/selfabs/x", "selfabs");
    EXPECT_EQ(open_errno("loop1", O_RDONLY), ELOOP);
    EXPECT_EQ(open_errno("self/x", O_PATH), ELOOP);
    EXPECT_EQ(open_errno("selfabs", O_PATH), ELOOP);
}

TEST_P(SafePath, LongButFiniteSymlinkChainsResolve) {
    write_file("end", "end");
    std::string previous = "end";
    for (int i = 0; i < 30; ++i) {
        const std::string name = "chain" + std::to_string(i);
        symlink(previous, name);
        previous = name;
    }
    EXPECT_EQ(read_in_root(previous), "end");
}

TEST_P(SafePath, NoFollowOnFinalSymlink) {
    symlink("/etc/passwd", "link");
    const UniqueFd fd = hako::fs::open_in_root(root_fd(), "link", O_PATH | O_NOFOLLOW, resolver());
    EXPECT_TRUE(same_inode(fd.get(), in_root("link")));
    EXPECT_EQ(open_errno("link", O_RDONLY | O_NOFOLLOW), ELOOP);
}

TEST_P(SafePath, NotADirectory) {
    write_file("file", "x");
    EXPECT_EQ(open_errno("file/x", O_PATH), ENOTDIR);
    EXPECT_EQ(open_errno("file/", O_PATH), ENOTDIR);
    EXPECT_EQ(open_errno("file", O_PATH | O_DIRECTORY), ENOTDIR);
}

TEST_P(SafePath, TrailingSlashFollowsSymlinkToDirectory) {
    stdfs::create_directories(in_root("dir"));
    symlink("/dir", "link");
    const UniqueFd fd = hako::fs::open_in_root(root_fd(), "link/", O_PATH | O_NOFOLLOW, resolver());
    EXPECT_TRUE(same_inode(fd.get(), in_root("dir")));
}

TEST_P(SafePath, ErrorNamesTheCleanPath) {
    try {
        hako::fs::open_in_root(root_fd(), "//a/./b/../passwd", O_RDONLY, resolver());
        FAIL() << "no throw";
    } catch (const hako::Error& e) {
        EXPECT_STREQ(e.what(), "open /a/passwd in rootfs: No such file or directory");
        EXPECT_EQ(e.errno_value(), ENOENT);
    }
}

TEST_P(SafePath, MkdirAllCreatesMissingDirectories) {
    stdfs::create_directories(in_root("a"));
    const UniqueFd fd = hako::fs::mkdir_all_in_root(root_fd(), "/a/b/c/d", 0755, resolver());
    EXPECT_TRUE(stdfs::is_directory(in_root("a/b/c/d")));
    EXPECT_TRUE(same_inode(fd.get(), in_root("a/b/c/d")));
    EXPECT_NE(::fcntl(fd.get(), F_GETFL) & O_PATH, 0);
    // Existing directories are fine, as is the root itself.
    const UniqueFd again = hako::fs::mkdir_all_in_root(root_fd(), "a/b/c/d/", 0755, resolver());
    EXPECT_TRUE(same_inode(again.get(), in_root("a/b/c/d")));
    const UniqueFd root = hako::fs::mkdir_all_in_root(root_fd(), "/", 0755, resolver());
    EXPECT_TRUE(same_inode(root.get(), root_));
}

TEST_P(SafePath, MkdirAllThroughSymlinkToSlashStaysInRoot) {
    symlink("/", "link");
    const std::string unique = root_.filename().string() + "-escape";
    ASSERT_FALSE(stdfs::exists(stdfs::path("/") / unique));
    const UniqueFd fd =
        hako::fs::mkdir_all_in_root(root_fd(), "link/" + unique + "/sub", 0755, resolver());
    EXPECT_TRUE(stdfs::is_directory(in_root(unique + "/sub")));
    EXPECT_TRUE(same_inode(fd.get(), in_root(unique + "/sub")));
    EXPECT_FALSE(stdfs::exists(stdfs::path("/") / unique));
}

TEST_P(SafePath, MkdirAllThroughDanglingSymlinkCreatesItsTargetInRoot) {
    const std::string unique = root_.filename().string() + "-dangling";
    symlink("/tmp/" + unique + "/made", "dangle");
    symlink("../../../rel", "d/up");
    const UniqueFd fd = hako::fs::mkdir_all_in_root(root_fd(), "dangle/x", 0755, resolver());
    EXPECT_TRUE(stdfs::is_directory(in_root("tmp/" + unique + "/made/x")));
    EXPECT_FALSE(stdfs::exists(stdfs::path("/tmp") / unique));
    hako::fs::mkdir_all_in_root(root_fd(), "d/up/y", 0755, resolver());
    EXPECT_TRUE(stdfs::is_directory(in_root("rel/y")));
}

TEST_P(SafePath, MkdirAllCreatesTheLastDirectoryInAnExistingParent) {
    stdfs::create_directories(in_root("dev"));
    const UniqueFd fd = hako::fs::mkdir_all_in_root(root_fd(), "/dev/pts", 0700, resolver());
    EXPECT_TRUE(same_inode(fd.get(), in_root("dev/pts")));
    EXPECT_EQ(stdfs::status(in_root("dev/pts")).permissions() & stdfs::perms::all,
              stdfs::perms::owner_all);
}

TEST_P(SafePath, MkdirAllFollowsADanglingLastSymlinkInsideTheRoot) {
    const std::string unique = root_.filename().string() + "-last";
    symlink("/tmp/" + unique, "last");
    const UniqueFd fd = hako::fs::mkdir_all_in_root(root_fd(), "last", 0755, resolver());
    EXPECT_TRUE(same_inode(fd.get(), in_root("tmp/" + unique)));
    EXPECT_FALSE(stdfs::exists(stdfs::path("/tmp") / unique));
}

TEST_P(SafePath, MkdirAllOverFileFailsWithEnotdir) {
    write_file("file", "x");
    for (const char* path : {"file", "file/sub"}) {
        try {
            hako::fs::mkdir_all_in_root(root_fd(), path, 0755, resolver());
            FAIL() << "no throw for " << path;
        } catch (const hako::Error& e) {
            EXPECT_EQ(e.errno_value(), ENOTDIR) << path;
            EXPECT_EQ(std::string(e.what()), "mkdir /" + std::string(path) + " in rootfs: Not a directory");
        }
    }
}

TEST_P(SafePath, CreateFileMakesParentsAndAnEmptyFile) {
    const UniqueFd fd = hako::fs::create_file_in_root(root_fd(), "/etc/sub/hostname", resolver());
    EXPECT_TRUE(stdfs::is_regular_file(in_root("etc/sub/hostname")));
    EXPECT_EQ(stdfs::file_size(in_root("etc/sub/hostname")), 0U);
    EXPECT_TRUE(same_inode(fd.get(), in_root("etc/sub/hostname")));
    EXPECT_NE(::fcntl(fd.get(), F_GETFL) & O_PATH, 0);
}

TEST_P(SafePath, CreateFileKeepsWhatExists) {
    write_file("etc/hosts", "kept");
    stdfs::create_directories(in_root("dir"));
    const UniqueFd file = hako::fs::create_file_in_root(root_fd(), "etc/hosts", resolver());
    EXPECT_TRUE(same_inode(file.get(), in_root("etc/hosts")));
    std::ifstream in(in_root("etc/hosts"));
    std::string content;
    std::getline(in, content);
    EXPECT_EQ(content, "kept");
    const UniqueFd dir = hako::fs::create_file_in_root(root_fd(), "dir", resolver());
    EXPECT_TRUE(same_inode(dir.get(), in_root("dir")));
}

TEST_P(SafePath, CreateFileThroughSymlinksStaysInRoot) {
    const std::string unique = root_.filename().string() + "-file";
    symlink("/tmp/" + unique, "f");
    symlink("/", "slash");
    const UniqueFd fd = hako::fs::create_file_in_root(root_fd(), "f", resolver());
    EXPECT_TRUE(stdfs::is_regular_file(in_root("tmp/" + unique)));
    EXPECT_TRUE(same_inode(fd.get(), in_root("tmp/" + unique)));
    EXPECT_FALSE(stdfs::exists(stdfs::path("/tmp") / unique));
    hako::fs::create_file_in_root(root_fd(), "slash/" + unique, resolver());
    EXPECT_TRUE(stdfs::is_regular_file(in_root(unique)));
    EXPECT_FALSE(stdfs::exists(stdfs::path("/") / unique));
}

TEST_P(SafePath, CreateFileUnderFileFails) {
    write_file("file", "x");
    try {
        hako::fs::create_file_in_root(root_fd(), "file/x", resolver());
        FAIL() << "no throw";
    } catch (const hako::Error& e) {
        EXPECT_STREQ(e.what(), "create /file/x in rootfs: Not a directory");
    }
}

}  // namespace
