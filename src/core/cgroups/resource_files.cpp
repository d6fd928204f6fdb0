// CgroupFiles: reading and writing the control files of one cgroup directory.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cgroups/cgroup_fs.hpp"
#include "cgroups/resource_writers.hpp"
#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace hako::cgroups::detail {

int CgroupFiles::try_write(std::string_view file, std::string_view value) {
    // O_TRUNC is a no-op on cgroupfs (a shell's ">" does the same) and makes a regular file
    // hold the last value, so writers can be tested on a plain directory tree. No O_CREAT: a
    // missing control file is ENOENT.
    const std::string path = dir_ + "/" + std::string(file);
    const sys::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
    if (!fd) return errno;
    ssize_t n = 0;
    do {
        n = ::write(fd.get(), value.data(), value.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) return errno;
    return 0;
}

void CgroupFiles::write(std::string_view file, std::string_view value, std::string_view hint) {
    if (const int err = try_write(file, value); err != 0) throw_write_error(file, value, err, hint);
}

void CgroupFiles::throw_write_error(std::string_view file, std::string_view value, int err,
                                    std::string_view hint) const {
    std::string message =
        fmt::format("write {}/{} \"{}\": {}", dir_, file, value, std::strerror(err));
    if (!hint.empty()) message += fmt::format(" ({})", hint);
    throw Error(message, err);
}

std::optional<std::string> CgroupFiles::read(std::string_view file) const {
    try {
        std::string text = read_file(dir_ + "/" + std::string(file));
        while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
        return text;
    } catch (const Error&) {
        return std::nullopt;
    }
}

bool CgroupFiles::exists(std::string_view file) const {
    return ::access((dir_ + "/" + std::string(file)).c_str(), F_OK) == 0;
}

}  // namespace hako::cgroups::detail
