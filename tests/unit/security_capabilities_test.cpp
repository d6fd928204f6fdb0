// Resolution of process.capabilities: names, the kernel's last capability, ambient rules.
#include <gtest/gtest.h>
#include <linux/capability.h>

#include <string>
#include <vector>

#include "security/capabilities.hpp"
#include "sys/error.hpp"

namespace {

using hako::security::Capabilities;

TEST(SecurityCapabilities, ResolvesEachSetAsGiven) {
    hako::spec::Capabilities names;
    names.bounding = {"CAP_CHOWN", "CAP_KILL", "CAP_NET_ADMIN"};
    names.effective = {"CAP_KILL"};
    names.permitted = {"CAP_KILL", "CAP_NET_ADMIN"};
    names.inheritable = {"CAP_NET_ADMIN"};
    names.ambient = {"CAP_NET_ADMIN"};
    std::vector<std::string> warnings;
    const auto caps = Capabilities::resolve(names, warnings, 40);
    EXPECT_EQ(caps.bounding, (std::vector<int>{CAP_CHOWN, CAP_KILL, CAP_NET_ADMIN}));
    EXPECT_EQ(caps.effective, (std::vector<int>{CAP_KILL}));
    EXPECT_EQ(caps.permitted, (std::vector<int>{CAP_KILL, CAP_NET_ADMIN}));
    EXPECT_EQ(caps.inheritable, (std::vector<int>{CAP_NET_ADMIN}));
    EXPECT_EQ(caps.ambient, (std::vector<int>{CAP_NET_ADMIN}));
    EXPECT_TRUE(warnings.empty());
}

TEST(SecurityCapabilities, NothingBecomesInheritableUnlessListed) {
    hako::spec::Capabilities names;
    names.bounding = names.effective = names.permitted = {"CAP_KILL", "CAP_NET_ADMIN"};
    std::vector<std::string> warnings;
    const auto caps = Capabilities::resolve(names, warnings, 40);
    EXPECT_TRUE(caps.inheritable.empty());
    EXPECT_TRUE(caps.ambient.empty());
}

TEST(SecurityCapabilities, UnknownNameIsAnErrorNamingTheField) {
    hako::spec::Capabilities names;
    names.permitted = {"CAP_KILL", "CAP_BOGUS"};
    std::vector<std::string> warnings;
    try {
        Capabilities::resolve(names, warnings, 40);
        FAIL() << "no error";
    } catch (const hako::Error& error) {
        EXPECT_STREQ(error.what(),
                     "process.capabilities.permitted: unknown capability \"CAP_BOGUS\"");
    }
    names.permitted = {"12"};  // numbers are not names
    EXPECT_THROW(Capabilities::resolve(names, warnings, 40), hako::Error);
}

TEST(SecurityCapabilities, NamesTheKernelLacksAreSkippedWithAWarning) {
    hako::spec::Capabilities names;
    names.bounding = {"CAP_KILL", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"};
    names.effective = {"CAP_CHECKPOINT_RESTORE"};
    std::vector<std::string> warnings;
    const auto caps = Capabilities::resolve(names, warnings, CAP_PERFMON);  // a 5.8 kernel
    EXPECT_EQ(caps.bounding, (std::vector<int>{CAP_KILL}));
    EXPECT_TRUE(caps.effective.empty());
    ASSERT_EQ(warnings.size(), 3U);
    EXPECT_EQ(warnings[0], "capability CAP_BPF is not supported by this kernel; skipped");
}

TEST(SecurityCapabilities, AmbientNeedsInheritableAndPermitted) {
    hako::spec::Capabilities names;
    names.bounding = {"CAP_NET_BIND_SERVICE", "CAP_NET_RAW"};
    names.permitted = {"CAP_NET_BIND_SERVICE", "CAP_NET_RAW"};
    names.inheritable = {"CAP_NET_BIND_SERVICE"};
    names.ambient = {"CAP_NET_BIND_SERVICE", "CAP_NET_RAW"};
    std::vector<std::string> warnings;
    const auto caps = Capabilities::resolve(names, warnings, 40);
    EXPECT_EQ(caps.ambient, (std::vector<int>{CAP_NET_BIND_SERVICE}));
    ASSERT_EQ(warnings.size(), 1U);
    EXPECT_EQ(warnings[0],
              "process.capabilities.ambient: CAP_NET_RAW is not also inheritable and "
              "permitted; not raised");
}

}  // namespace
