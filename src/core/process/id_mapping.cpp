#include "process/id_mapping.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace hako::process {
namespace {

void write_proc_file(pid_t pid, const char* name, const std::string& content) {
    const std::string path = fmt::format("/proc/{}/{}", pid, name);
    const sys::UniqueFd fd(check_sys(::open(path.c_str(), O_WRONLY | O_CLOEXEC), "open", path));
    // The kernel takes a map in exactly one write.
    if (::write(fd.get(), content.data(), content.size()) != static_cast<ssize_t>(content.size()))
        throw_sys_error("write", path);
}

}  // namespace

std::string format_id_map(const std::vector<spec::IdMapping>& mappings) {
    std::string text;
    for (const auto& m : mappings) text += fmt::format("{} {} {}\n", m.container_id, m.host_id, m.size);
    return text;
}

void write_id_maps(pid_t pid, const std::vector<spec::IdMapping>& uid_mappings,
                   const std::vector<spec::IdMapping>& gid_mappings) {
    if (::geteuid() != 0) write_proc_file(pid, "setgroups", "deny");
    if (!uid_mappings.empty()) write_proc_file(pid, "uid_map", format_id_map(uid_mappings));
    if (!gid_mappings.empty()) write_proc_file(pid, "gid_map", format_id_map(gid_mappings));
}

}  // namespace hako::process
