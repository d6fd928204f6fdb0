// linux.cgroupsPath -> the container's directory relative to a hierarchy root.
#include <algorithm>
#include <string_view>
#include <vector>

#include "cgroups/manager.hpp"
#include "sys/error.hpp"

namespace hako::cgroups {

namespace {

std::vector<std::string_view> components(std::string_view path) {
    std::vector<std::string_view> parts;
    std::size_t pos = 0;
    while (pos < path.size()) {
        std::size_t start = path.find_first_not_of('/', pos);
        if (start == std::string_view::npos) break;
        std::size_t end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        parts.push_back(path.substr(start, end - start));
        pos = end;
    }
    return parts;
}

bool has_dotdot(std::string_view path) {
    auto parts = components(path);
    return std::find(parts.begin(), parts.end(), "..") != parts.end();
}

// runc's systemd driver takes "slice:prefix:name"; a cgroupfs path never looks like that.
bool looks_like_systemd(std::string_view path) {
    return std::count(path.begin(), path.end(), ':') == 2 &&
           path.find('/') == std::string_view::npos;
}

// "/" + components, without "." or repeated and trailing slashes.
std::string clean(std::string_view path) {
    std::string out;
    for (std::string_view part : components(path)) {
        if (part == ".") continue;
        out += '/';
        out += part;
    }
    return out.empty() ? "/" : out;
}

}  // namespace

std::string resolve_cgroups_path(const std::string& cgroups_path, const std::string& id,
                                 const std::string& own_path) {
    if (looks_like_systemd(cgroups_path)) {
        fail(
            "linux.cgroupsPath \"{}\": systemd cgroup paths (slice:prefix:name) need "
            "--systemd-cgroup, which hako does not support yet",
            cgroups_path);
    }
    std::string joined;
    if (cgroups_path.starts_with('/')) {
        joined = cgroups_path;
    } else {
        joined = own_path + "/" + (cgroups_path.empty() ? id : cgroups_path);
    }
    // Checked on the joined path too: an id or own path must not climb out either.
    if (has_dotdot(cgroups_path) || has_dotdot(joined)) {
        fail("linux.cgroupsPath \"{}\": must not contain \"..\"", cgroups_path);
    }
    std::string resolved = clean(joined);
    // The root cgroup holds the whole host: destroy() would kill every process on it.
    if (resolved == "/")
        fail("linux.cgroupsPath \"{}\": resolves to the root cgroup", cgroups_path);
    return resolved;
}

}  // namespace hako::cgroups
