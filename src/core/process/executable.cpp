#include "process/executable.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <string_view>

#include "sys/error.hpp"

namespace hako::process {
namespace {

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// 0 when path is an executable regular file for us, else the errno execve would give.
int check_executable(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) < 0) return errno;
    if (S_ISDIR(st.st_mode)) return EACCES;
    if (::access(path.c_str(), X_OK) < 0) return errno;
    return 0;
}

}  // namespace

std::string exec_error_text(int err) {
    std::string text = std::strerror(err);
    if (!text.empty() && text[0] >= 'A' && text[0] <= 'Z')
        text[0] = static_cast<char>(text[0] - 'A' + 'a');
    return text;
}

const char* find_env(const std::vector<std::string>& env, const std::string& key) {
    for (const auto& entry : env) {
        if (entry.size() > key.size() && entry.compare(0, key.size(), key) == 0 &&
            entry[key.size()] == '=')
            return entry.c_str() + key.size() + 1;
    }
    return nullptr;
}

std::string find_executable(const std::string& name, const std::vector<std::string>& env) {
    if (name.find('/') != std::string::npos) {
        const int err = check_executable(name);
        if (err == 0) return name;
        // runc's (Go's exec.LookPath) wording: the stat error, or "permission denied".
        struct stat st {};
        if (::stat(name.c_str(), &st) < 0)
            throw Error(
                fmt::format("exec: \"{}\": stat {}: {}", name, name, exec_error_text(err)), err);
        throw Error(fmt::format("exec: \"{}\": {}", name, exec_error_text(err)), err);
    }
    const char* path_value = find_env(env, "PATH");
    std::string_view search = path_value != nullptr ? path_value : kDefaultPath;
    int first_error = ENOENT;
    while (true) {
        const auto colon = search.find(':');
        const std::string_view dir = search.substr(0, colon);
        const std::string candidate = fmt::format("{}/{}", dir.empty() ? "." : dir, name);
        const int err = check_executable(candidate);
        if (err == 0) return candidate;
        if (err == EACCES && first_error == ENOENT) first_error = EACCES;
        if (colon == std::string_view::npos) break;
        search.remove_prefix(colon + 1);
    }
    if (first_error == EACCES)
        throw Error(fmt::format("exec: \"{}\": permission denied", name), EACCES);
    throw Error(fmt::format("exec: \"{}\": executable file not found in $PATH", name), ENOENT);
}

}  // namespace hako::process
