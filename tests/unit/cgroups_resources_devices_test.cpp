// Device rules: runc's defaults, the v1 devices-controller model, checked against the real v1
// controller, and the cgroup v2 eBPF filter, attached to a real cgroup2 directory (the unified
// hierarchy of a hybrid host works too) with a child process opening devices inside it.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <set>
#include <sstream>

#include "cgroups/device_filter.hpp"
#include "cgroups/layout.hpp"
#include "cgroups/resource_writers.hpp"
#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace {

using hako::cgroups::DeviceCgroupModel;
using hako::cgroups::DeviceRule;

constexpr std::uint8_t kR = BPF_DEVCG_ACC_READ;
constexpr std::uint8_t kW = BPF_DEVCG_ACC_WRITE;
constexpr std::uint8_t kM = BPF_DEVCG_ACC_MKNOD;

DeviceRule rule(bool allow, char type, std::optional<std::int64_t> major,
                std::optional<std::int64_t> minor, const char* access) {
    return DeviceRule{allow, type, major, minor, access};
}

const DeviceRule kDenyAll = rule(false, 'a', std::nullopt, std::nullopt, "rwm");
const DeviceRule kAllowAll = rule(true, 'a', std::nullopt, std::nullopt, "rwm");

DeviceCgroupModel model_of(const std::vector<DeviceRule>& rules) {
    DeviceCgroupModel model;
    for (const DeviceRule& r : rules) model.apply(r);
    return model;
}

TEST(CgroupsDevices, RuncDefaultsAreAppended) {
    const auto rules = hako::cgroups::effective_device_rules({kDenyAll}, {});
    ASSERT_EQ(rules.size(), 12u);
    EXPECT_EQ(rules[0], kDenyAll);
    EXPECT_EQ(rules[1], rule(true, 'c', std::nullopt, std::nullopt, "m"));
    EXPECT_EQ(rules[2], rule(true, 'b', std::nullopt, std::nullopt, "m"));
    EXPECT_EQ(rules[3], rule(true, 'c', 1, 3, "rwm"));    // /dev/null
    EXPECT_EQ(rules[9], rule(true, 'c', 136, std::nullopt, "rwm"));  // /dev/pts/*
    EXPECT_EQ(rules[10], rule(true, 'c', 5, 2, "rwm"));   // /dev/ptmx
    EXPECT_EQ(rules[11], rule(true, 'c', 10, 200, "rwm"));  // /dev/net/tun
    // A spec device with a default's path replaces the default rule (runc's createDevices).
    const auto without_full = hako::cgroups::default_device_rules({"/dev/full"});
    EXPECT_EQ(without_full.size(), 10u);
    EXPECT_EQ(std::count(without_full.begin(), without_full.end(), rule(true, 'c', 1, 7, "rwm")), 0);
}

TEST(CgroupsDevices, ModelFollowsTheKernelsSemantics) {
    // Allow list: later deny rules take access away from identical exceptions only.
    auto model = model_of({kDenyAll, rule(true, 'c', 1, 3, "rwm"), rule(false, 'c', 1, 3, "w")});
    EXPECT_FALSE(model.default_allow());
    EXPECT_TRUE(model.permits('c', 1, 3, kR));
    EXPECT_TRUE(model.permits('c', 1, 3, kR | kM));
    EXPECT_FALSE(model.permits('c', 1, 3, kW));
    EXPECT_FALSE(model.permits('c', 1, 3, kR | kW));
    EXPECT_FALSE(model.permits('c', 1, 5, kR));
    EXPECT_FALSE(model.permits('b', 1, 3, kR));
    // A narrower deny inside a wider allow exception changes nothing (dev_exception_rm).
    model = model_of({kDenyAll, rule(true, 'c', 1, std::nullopt, "rwm"), rule(false, 'c', 1, 7, "rwm")});
    EXPECT_TRUE(model.permits('c', 1, 7, kW));
    // Deny list: any overlap with a denied access refuses.
    model = model_of({kAllowAll, rule(false, 'c', 1, 9, "r")});
    EXPECT_TRUE(model.default_allow());
    EXPECT_TRUE(model.permits('c', 1, 9, kW));
    EXPECT_FALSE(model.permits('c', 1, 9, kR | kW));
    EXPECT_TRUE(model.permits('b', 8, 0, kR | kW | kM));
    // "a" resets whatever came before.
    model = model_of({kDenyAll, rule(true, 'c', 1, 3, "rwm"), kAllowAll});
    EXPECT_TRUE(model.exceptions().empty());
    // Identical exceptions merge their access.
    model = model_of({kDenyAll, rule(true, 'c', 1, 3, "r"), rule(true, 'c', 1, 3, "w")});
    ASSERT_EQ(model.exceptions().size(), 1u);
    EXPECT_EQ(model.exceptions()[0].access, kR | kW);
}

// --- against the kernel --------------------------------------------------------------------

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// A cgroup directory made for one test and removed (once empty) at the end.
class TestCgroup {
  public:
    explicit TestCgroup(const std::string& mount) {
        path_ = mount + "/hako-test-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name();
        if (::mkdir(path_.c_str(), 0755) < 0 && errno != EEXIST) hako::throw_sys_error("mkdir", path_);
    }
    ~TestCgroup() { ::rmdir(path_.c_str()); }
    TestCgroup(const TestCgroup&) = delete;
    TestCgroup& operator=(const TestCgroup&) = delete;
    [[nodiscard]] const std::string& path() const { return path_; }

  private:
    std::string path_;
};

std::string exception_text(const DeviceCgroupModel::Exception& e) {
    const auto number = [](std::int64_t n) { return n < 0 ? std::string("*") : std::to_string(n); };
    std::string access;
    if (e.access & kR) access += 'r';
    if (e.access & kW) access += 'w';
    if (e.access & kM) access += 'm';
    return std::string(1, e.type) + " " + number(e.major) + ":" + number(e.minor) + " " + access;
}

TEST(CgroupsDevices, ModelMatchesTheV1Controller) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    const auto layout = hako::cgroups::detect_layout();
    const auto* devices = layout.find_v1("devices");
    if (devices == nullptr) GTEST_SKIP() << "no v1 devices hierarchy";
    const std::vector<std::vector<DeviceRule>> cases = {
        hako::cgroups::effective_device_rules({kDenyAll, rule(false, 'c', 1, 7, "rwm")}, {}),
        {kDenyAll, rule(true, 'c', 1, 3, "rwm"), rule(false, 'c', 1, 3, "w"),
         rule(true, 'c', 1, std::nullopt, "r"), rule(false, 'c', 1, 5, "r")},
        {kDenyAll, rule(true, 'c', 1, 3, "r"), rule(true, 'c', 1, 3, "m")},
    };
    for (const auto& rules : cases) {
        TestCgroup cgroup(devices->mount_point);
        hako::cgroups::detail::CgroupFiles files(cgroup.path());
        hako::cgroups::detail::write_devices_v1(files, rules);
        std::set<std::string> kernel;
        std::istringstream list(slurp(cgroup.path() + "/devices.list"));
        for (std::string line; std::getline(list, line);) kernel.insert(line);
        std::set<std::string> model;
        const DeviceCgroupModel expected = model_of(rules);
        for (const auto& e : expected.exceptions()) model.insert(exception_text(e));
        EXPECT_EQ(kernel, model);
    }
}

// Forks a child that joins the cgroup2 directory, opens each path with its flags and exits
// with a bit set for every open that failed with EPERM (any other failure: 255).
int blocked_opens(const std::string& cgroup, const std::vector<std::pair<const char*, int>>& opens) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        const std::string self = std::to_string(::getpid());
        const int procs = ::open((cgroup + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
        if (procs < 0 || ::write(procs, self.data(), self.size()) < 0) ::_exit(255);
        int blocked = 0;
        for (std::size_t i = 0; i < opens.size(); ++i) {
            const int fd = ::open(opens[i].first, opens[i].second | O_CLOEXEC);
            if (fd >= 0) {
                ::close(fd);
            } else if (errno == EPERM) {
                blocked |= 1 << i;
            } else {
                ::_exit(255);
            }
        }
        ::_exit(blocked);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class CgroupsDeviceFilter : public ::testing::Test {
  protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root";
        const auto layout = hako::cgroups::detect_layout();
        if (layout.unified() == nullptr) GTEST_SKIP() << "no cgroup2 hierarchy";
        mount_ = layout.unified()->mount_point;
    }

    void attach(const std::string& dir, const std::vector<DeviceRule>& rules) const {
        const hako::sys::UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        ASSERT_TRUE(fd);
        hako::cgroups::attach_device_filter(fd.get(), dir,
                                            hako::cgroups::device_filter_program(model_of(rules)));
    }

    std::string mount_;
};

TEST_F(CgroupsDeviceFilter, AllowListFromTheDefaultSpec) {
    TestCgroup cgroup(mount_);
    attach(cgroup.path(), hako::cgroups::effective_device_rules(
                              {kDenyAll, rule(false, 'c', 1, 7, "rwm")}, {}));
    // /dev/full is denied by the spec rule... but runc's defaults, appended after it, allow it
    // again: the last word is the defaults'.
    EXPECT_EQ(blocked_opens(cgroup.path(), {{"/dev/null", O_RDWR},
                                            {"/dev/zero", O_RDONLY},
                                            {"/dev/full", O_WRONLY},
                                            {"/dev/kmsg", O_RDONLY},
                                            {"/dev/urandom", O_RDONLY}}),
              0b01000);
}

TEST_F(CgroupsDeviceFilter, PartialAccessAndWildcards) {
    TestCgroup cgroup(mount_);
    attach(cgroup.path(), {kDenyAll, rule(true, 'c', 1, 3, "r"), rule(true, 'c', 1, std::nullopt, "w")});
    EXPECT_EQ(blocked_opens(cgroup.path(), {{"/dev/null", O_RDONLY},
                                            {"/dev/null", O_RDWR},  // r from 1:3, w from 1:* :
                                                                     // no one rule grants both
                                            {"/dev/zero", O_WRONLY},
                                            {"/dev/zero", O_RDONLY}}),
              0b1010);
}

TEST_F(CgroupsDeviceFilter, DenyListAndReplacingAnOldFilter) {
    TestCgroup cgroup(mount_);
    attach(cgroup.path(), {kDenyAll});
    EXPECT_EQ(blocked_opens(cgroup.path(), {{"/dev/null", O_RDONLY}}), 0b1);
    // A second filter replaces the first: the old one would still deny everything.
    attach(cgroup.path(), {kAllowAll, rule(false, 'c', 1, 9, "r")});
    EXPECT_EQ(blocked_opens(cgroup.path(), {{"/dev/null", O_RDWR},
                                            {"/dev/urandom", O_RDONLY},
                                            {"/dev/urandom", O_WRONLY}}),
              0b010);
}

TEST_F(CgroupsDeviceFilter, AttachToANonCgroupFails) {
    const hako::sys::UniqueFd fd(::open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    try {
        hako::cgroups::attach_device_filter(fd.get(), "/tmp",
                                            hako::cgroups::device_filter_program(model_of({kDenyAll})));
        FAIL();
    } catch (const hako::Error& e) {
        EXPECT_TRUE(std::string(e.what()).starts_with("bpf(BPF_PROG_QUERY, BPF_CGROUP_DEVICE) /tmp: "))
            << e.what();
    }
}

}  // namespace
