#pragma once
// Compiled seccomp programs, kept on disk under the state root and keyed by the profile.
//
// Compiling a Docker-sized profile with libseccomp costs ~10 ms of CPU, paid by every
// `create`, `run` and `exec` (health checks exec every few seconds), while engines reuse a
// handful of profiles. The cache stores the final program (ENOSYS stub included) and its
// flags. Its key is the profile's JSON text plus what the compilation depends on beyond it:
// the hako binary (its inode and mtime; a rebuilt hako may compile differently) and the kernel
// (libseccomp's API level and the flags it may use follow the kernel). A lookup compares the
// whole key stored in the file, so a hash collision can only miss, never load a wrong
// filter. The directory lives under the state root, which only root can write.
#include <optional>
#include <string>
#include <string_view>

#include "security/seccomp_filter.hpp"

namespace hako::security {

class SeccompCache {
public:
    // dir: <state root>/.seccomp-cache, made (0700) on the first store.
    explicit SeccompCache(std::string dir);

    // The program stored for this profile text, or nullopt (missing, stale or unreadable).
    [[nodiscard]] std::optional<SeccompProgram> find(std::string_view profile_json) const;
    // Best effort: a full disk or a read-only root only costs the next compile.
    void store(std::string_view profile_json, const SeccompProgram& program) const noexcept;
    // find, else parse, compile (throws naming the JSON path) and store; the key is made once.
    [[nodiscard]] SeccompProgram compile(std::string_view profile_json) const;

    [[nodiscard]] const std::string& dir() const { return dir_; }

private:
    // The binary and kernel identity followed by the profile; empty when the identity cannot
    // be read (then nothing is cached).
    [[nodiscard]] std::string key_for(std::string_view profile_json) const;
    [[nodiscard]] std::string file_for(const std::string& key) const;
    [[nodiscard]] std::optional<SeccompProgram> lookup(const std::string& key) const;
    void save(const std::string& key, const SeccompProgram& program) const noexcept;

    std::string dir_;
};

// The program for a profile: from the cache when it has it, else parsed, compiled (throws
// naming the JSON path) and stored. cache may be null (no caching).
SeccompProgram compile_seccomp_cached(std::string_view profile_json, const SeccompCache* cache);

}  // namespace hako::security
