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
#include "sys/error.hpp"
#include "sys/file_io.hpp"
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

}  // namespace

SeccompCache::SeccompCache(std::string dir) : dir_(std::move(dir)) {}

std::string SeccompCache::key_for(std::string_view profile_json) const {
    // Derived here, not in the constructor: create and exec make a cache object whether or
    // not the container has a profile, and only a profile needs the stat and uname.
    std::string key = binary_and_kernel_identity();
    if (key.empty()) return key;
    key += profile_json;
    return key;
}

std::string SeccompCache::file_for(const std::string& key) const {
    return fmt::format("{}/{:016x}", dir_, std::hash<std::string>{}(key));
}

std::optional<SeccompProgram> SeccompCache::find(std::string_view profile_json) const {
    return lookup(key_for(profile_json));
}

void SeccompCache::store(std::string_view profile_json, const SeccompProgram& program) const
    noexcept {
    try {
        save(key_for(profile_json), program);
    } catch (...) {
        // Out of memory while building the key: the cache is only an optimisation.
    }
}

SeccompProgram SeccompCache::compile(std::string_view profile_json) const {
    const std::string key = key_for(profile_json);
    if (std::optional<SeccompProgram> cached = lookup(key)) return *cached;
    SeccompProgram program = compile_seccomp(parse_seccomp_profile(profile_json));
    save(key, program);
    return program;
}

std::optional<SeccompProgram> SeccompCache::lookup(const std::string& key) const {
    if (key.empty()) return std::nullopt;
    const std::string path = file_for(key);
    const sys::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return std::nullopt;
    std::string data;
    try {
        data = sys::read_all(fd.get(), path);
    } catch (const Error&) {
        return std::nullopt;
    }
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

void SeccompCache::save(const std::string& key, const SeccompProgram& program) const noexcept {
    try {
        if (key.empty()) return;
        if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST) return;
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
            if (!sys::write_all(fd.get(), data)) {
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
    if (cache != nullptr) return cache->compile(profile_json);
    return compile_seccomp(parse_seccomp_profile(profile_json));
}

}  // namespace hako::security
