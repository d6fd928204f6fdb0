// The host's huge page sizes, as the stats readers need them.
#include "cgroups/stats.hpp"

#include <dirent.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <fmt/format.h>
#include <memory>

#include "sys/error.hpp"

namespace hako::cgroups {
namespace {

struct DirCloser {
    void operator()(DIR* dir) const noexcept { ::closedir(dir); }
};

}  // namespace

std::string hugepage_size_name(std::uint64_t kib) {
    // go-units' CustomSize with base 1024, as runc names them; the kernel agrees ("2MB").
    static constexpr std::array<const char*, 6> kUnits{"B", "KB", "MB", "GB", "TB", "PB"};
    double size = static_cast<double>(kib) * 1024.0;
    std::size_t unit = 0;
    while (size >= 1024.0 && unit + 1 < kUnits.size()) {
        size /= 1024.0;
        ++unit;
    }
    return fmt::format("{:g}{}", size, kUnits[unit]);
}

std::vector<std::string> hugepage_sizes(const std::string& sysfs_dir) {
    std::unique_ptr<DIR, DirCloser> dir(::opendir(sysfs_dir.c_str()));
    if (!dir) {
        if (errno == ENOENT) return {};
        throw_sys_error("opendir", sysfs_dir);
    }
    std::vector<std::pair<std::uint64_t, std::string>> sizes;
    constexpr std::string_view kPrefix = "hugepages-";
    constexpr std::string_view kSuffix = "kB";
    while (const dirent* entry = ::readdir(dir.get())) {
        std::string_view name = entry->d_name;
        if (!name.starts_with(kPrefix) || !name.ends_with(kSuffix)) continue;
        name.remove_prefix(kPrefix.size());
        name.remove_suffix(kSuffix.size());
        std::uint64_t kib = 0;
        const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), kib);
        if (ec != std::errc{} || end != name.data() + name.size() || kib == 0) continue;
        sizes.emplace_back(kib, hugepage_size_name(kib));
    }
    std::sort(sizes.begin(), sizes.end());
    std::vector<std::string> names;
    for (auto& [kib, name] : sizes) names.push_back(std::move(name));
    return names;
}

}  // namespace hako::cgroups
