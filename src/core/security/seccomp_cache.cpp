#include "security/seccomp_cache.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>

#include <fmt/format.h>

#include "security/seccomp_profile.hpp"
#include "sys/unique_fd.hpp"

namespace hako::security {
namespace {

constexpr std::string_view kMagic = "hako-seccomp-cache 1\n";

// The fixed-size part of an entry, after the magic line and before the key and instructions.
struct EntryHeader {
    std::uint64_t key_size = 0;
    std::uint64_t stub_length = 0;
    std::uint64_t instruction_count = 0;
    std::uint32_t flags = 0;
    std::uint32_t reserved = 0;
};

std::string binary_and_kernel_identity() {
    struct stat exe {};
    if (::stat("/proc/self/exe", &exe) != 0) return {};
    struct utsname kernel {};
    if (::uname(&kernel) != 0) return {};
    return fmt::format("hako {} ino {} mtime {}.{}\nkernel {} {} {}\n", HAKO_VERSION,
                       exe.st_ino, exe.st_mtim.tv_sec, exe.st_mtim.tv_nsec, kernel.release,
                       kernel.version, kernel.machine);
}

bool read_whole(int fd, std::string& out) {
    struct stat st {};
    if (::fstat(fd, &st) != 0 || st.st_size <= 0 || st.st_size > (16 << 20)) return false;
    out.resize(static_cast<std::size_t>(st.st_size));
    std::size_t done = 0;
    while (done < out.size()) {
        const ssize_t n = ::read(fd, out.data() + done, out.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

bool write_whole(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

}  // namespace

SeccompCache::SeccompCache(std::string dir)
    : dir_(std::move(dir)), identity_(binary_and_kernel_identity()) {}

std::string SeccompCache::key_for(std::string_view profile_json) const {
    std::string key = identity_;
    key += profile_json;
    return key;
}

std::string SeccompCache::file_for(const std::string& key) const {
    return fmt::format("{}/{:016x}", dir_, std::hash<std::string>{}(key));
}

std::optional<SeccompProgram> SeccompCache::find(std::string_view profile_json) const {
    if (identity_.empty()) return std::nullopt;
    const std::string key = key_for(profile_json);
    const sys::UniqueFd fd(::open(file_for(key).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    std::string data;
    if (!fd || !read_whole(fd.get(), data)) return std::nullopt;
    if (!data.starts_with(kMagic) || data.size() < kMagic.size() + sizeof(EntryHeader))
        return std::nullopt;
    EntryHeader header;
    std::memcpy(&header, data.data() + kMagic.size(), sizeof header);
    const std::size_t key_at = kMagic.size() + sizeof header;
    if (header.key_size != key.size() || header.stub_length > header.instruction_count ||
        data.size() != key_at + key.size() + header.instruction_count * sizeof(sock_filter) ||
        std::string_view(data).substr(key_at, key.size()) != key)
        return std::nullopt;
    SeccompProgram program;
    program.instructions.resize(header.instruction_count);
    std::memcpy(program.instructions.data(), data.data() + key_at + key.size(),
                header.instruction_count * sizeof(sock_filter));
    program.stub_length = header.stub_length;
    program.flags = header.flags;
    return program;
}

void SeccompCache::store(std::string_view profile_json, const SeccompProgram& program) const
    noexcept {
    try {
        if (identity_.empty()) return;
        if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST) return;
        const std::string key = key_for(profile_json);
        EntryHeader header;
        header.key_size = key.size();
        header.stub_length = program.stub_length;
        header.instruction_count = program.instructions.size();
        header.flags = program.flags;
        std::string data(kMagic);
        data.append(reinterpret_cast<const char*>(&header), sizeof header);
        data += key;
        data.append(reinterpret_cast<const char*>(program.instructions.data()),
                    program.instructions.size() * sizeof(sock_filter));
        // Written aside and renamed, so a concurrent reader sees a whole entry or none.
        const std::string path = file_for(key);
        const std::string temporary = fmt::format("{}.{}.tmp", path, ::getpid());
        {
            const sys::UniqueFd fd(::open(temporary.c_str(),
                                          O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                          0600));
            if (!fd) return;
            if (!write_whole(fd.get(), data)) {
                ::unlink(temporary.c_str());
                return;
            }
        }
        if (::rename(temporary.c_str(), path.c_str()) != 0) ::unlink(temporary.c_str());
    } catch (...) {
        // Out of memory while building the entry: the cache is only an optimisation.
    }
}

SeccompProgram compile_seccomp_cached(std::string_view profile_json, const SeccompCache* cache) {
    if (cache != nullptr) {
        if (std::optional<SeccompProgram> cached = cache->find(profile_json)) return *cached;
    }
    SeccompProgram program = compile_seccomp(parse_seccomp_profile(profile_json));
    if (cache != nullptr) cache->store(profile_json, program);
    return program;
}

}  // namespace hako::security
