#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "fs/copy_up.hpp"
#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace {

using hako::fs::copy_directory_contents;
using hako::sys::UniqueFd;
namespace stdfs = std::filesystem;

class CopyUp : public testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (stdfs::temp_directory_path() / "hako-copy-up-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        top_ = pattern;
        stdfs::create_directory(top_ / "from");
        stdfs::create_directory(top_ / "to");
    }
    void TearDown() override { stdfs::remove_all(top_); }

    void copy() {
        const UniqueFd from(::open((top_ / "from").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        const UniqueFd to(::open((top_ / "to").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        ASSERT_TRUE(from && to);
        copy_directory_contents(from.get(), to.get(), "/from");
    }

    static struct stat lstat_of(const stdfs::path& p) {
        struct stat st {};
        EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
        return st;
    }

    static void write_file(const stdfs::path& p, const std::string& text) {
        std::ofstream(p) << text;
    }

    static std::string read_file(const stdfs::path& p) {
        std::ifstream in(p);
        return std::string(std::istreambuf_iterator<char>(in), {});
    }

    stdfs::path top_;
};

TEST_F(CopyUp, CopiesTreeWithModesAndOwners) {
    const stdfs::path from = top_ / "from";
    ASSERT_EQ(::chmod(from.c_str(), 01777), 0);
    ASSERT_EQ(::chown(from.c_str(), 7, 8), 0);
    write_file(from / "file", "contents\n");
    ASSERT_EQ(::chmod((from / "file").c_str(), 04750), 0);
    stdfs::create_directories(from / "dir" / "sub");
    write_file(from / "dir" / "sub" / "deep", std::string(300000, 'x'));
    ASSERT_EQ(::chown((from / "dir").c_str(), 1000, 1001), 0);
    ASSERT_EQ(::chmod((from / "dir").c_str(), 0500), 0);  // read-only: filled before chmod
    ASSERT_EQ(::symlink("/etc/passwd", (from / "link").c_str()), 0);
    ASSERT_EQ(::lchown((from / "link").c_str(), 5, 6), 0);
    ASSERT_EQ(::mkfifo((from / "fifo").c_str(), 0640), 0);
    ASSERT_EQ(::mknod((from / "null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);

    copy();

    const stdfs::path to = top_ / "to";
    struct stat st = lstat_of(to);
    EXPECT_EQ(st.st_mode & 07777, 01777U);
    EXPECT_EQ(st.st_uid, 0U);  // runc keeps the tmpfs root owned by root
    EXPECT_EQ(st.st_gid, 0U);
    EXPECT_EQ(read_file(to / "file"), "contents\n");
    EXPECT_EQ(lstat_of(to / "file").st_mode & 07777, 04750U);  // setuid survives the chown
    EXPECT_EQ(read_file(to / "dir" / "sub" / "deep").size(), 300000U);
    st = lstat_of(to / "dir");
    EXPECT_EQ(st.st_mode & 07777, 0500U);
    EXPECT_EQ(st.st_uid, 1000U);
    EXPECT_EQ(st.st_gid, 1001U);
    st = lstat_of(to / "link");
    EXPECT_TRUE(S_ISLNK(st.st_mode));
    EXPECT_EQ(st.st_uid, 5U);
    EXPECT_EQ(stdfs::read_symlink(to / "link"), "/etc/passwd");
    st = lstat_of(to / "fifo");
    EXPECT_TRUE(S_ISFIFO(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0640U);
    st = lstat_of(to / "null");
    EXPECT_TRUE(S_ISCHR(st.st_mode));
    EXPECT_EQ(st.st_rdev, makedev(1, 3));
    ASSERT_EQ(::chmod((to / "dir").c_str(), 0700), 0);  // so TearDown can remove it
    ASSERT_EQ(::chmod((from / "dir").c_str(), 0700), 0);
}

TEST_F(CopyUp, SymlinkedDirectoryIsCopiedAsALinkNotFollowed) {
    stdfs::create_directory(top_ / "outside");
    write_file(top_ / "outside" / "secret", "no\n");
    ASSERT_EQ(::symlink((top_ / "outside").c_str(), (top_ / "from" / "escape").c_str()), 0);
    copy();
    EXPECT_TRUE(stdfs::is_symlink(top_ / "to" / "escape"));
    EXPECT_FALSE(stdfs::exists(top_ / "to" / "secret"));
}

TEST_F(CopyUp, ErrorsNameThePath) {
    write_file(top_ / "from" / "clash", "x");
    write_file(top_ / "to" / "clash", "already there");
    try {
        copy();
        FAIL() << "copy over an existing file succeeded";
    } catch (const hako::Error& e) {
        EXPECT_NE(std::string(e.what()).find("/from/clash"), std::string::npos) << e.what();
    }
}

}  // namespace
