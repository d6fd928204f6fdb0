#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <utility>

#include "spec/spec.hpp"

namespace hako::spec {
namespace {

// Every resource of <sys/resource.h>, sorted by name for binary search.
constexpr std::array<std::pair<std::string_view, int>, 16> kRlimits = {{
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
}};
static_assert(std::is_sorted(kRlimits.begin(), kRlimits.end(),
                             [](const auto& a, const auto& b) { return a.first < b.first; }));
static_assert(kRlimits.size() == RLIMIT_NLIMITS, "a resource of <sys/resource.h> is missing");

}  // namespace

std::optional<int> rlimit_resource_from_name(std::string_view name) {
    const auto* it = std::lower_bound(kRlimits.begin(), kRlimits.end(), name,
                                      [](const std::pair<std::string_view, int>& entry,
                                         std::string_view key) { return entry.first < key; });
    if (it == kRlimits.end() || it->first != name) return std::nullopt;
    return it->second;
}

}  // namespace hako::spec
