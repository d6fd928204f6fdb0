#pragma once
// CVE-2019-5736: a container process that reaches the runtime's own binary through
// /proc/PID/exe (an entrypoint "#!/proc/self/exe", /bin/sh -> /proc/self/exe, an O_PATH fd to
// /proc/<hako>/exe kept until hako exits) can overwrite the host's hako. Most containers are
// served by the exec trampoline (security/exec_trampoline.hpp); for the others (an LSM exec
// label, a seccomp profile that would refuse the trampoline's calls) create, run and exec
// re-execute hako from a file nobody can write before the container is made:
// - preferably (as runc 1.2) the binary itself, opened through a detached read-only overlayfs
//   of its directory: nothing is copied and the pages are the shared page cache;
// - where the kernel refuses that overlay (no overlayfs, no CAP_SYS_ADMIN, a lower filesystem
//   overlayfs cannot stack on), a sealed in-memory copy: a memfd nobody can write, shrink or
//   grow.
// A binary on a read-only filesystem cannot be overwritten and is run as is.
//
// For the memfd copy, only the part of the ELF file the loader maps (up to the end of the last segment) is copied,
// with the section header table dropped: a RelWithDebInfo build is ~40 MiB of debug info over
// ~1 MiB of code, and each created container keeps its copy in memory until it starts.
namespace hako::security {

// What ensure_sealed_exe found (returned only when it did not re-execute).
enum class ExeSealState {
    sealed,         // /proc/self/exe is a sealed memfd or on a read-only overlay (re-executed)
    read_only_fs,   // the binary lies on a read-only filesystem: sealing is unnecessary
};

// True when /proc/self/exe is a memfd sealed with F_SEAL_SEAL|SHRINK|GROW|WRITE or a file of
// a read-only overlayfs. This is how the re-executed process recognises itself, so it never
// loops.
bool running_from_sealed_exe();

// Unless already sealed (or on a read-only filesystem): opens /proc/self/exe through a
// read-only overlay, or else copies it into a memfd (MFD_CLOEXEC|MFD_ALLOW_SEALING) and seals
// it, and fexecve()s that with argv and envp unchanged.
// Does not return on that path. Throws hako::Error when a step fails, so that no container is
// ever started from a writable binary. Also makes the process non-dumpable, so that no
// container process can open its /proc/PID files (fds, exe, mem) while it works.
ExeSealState ensure_sealed_exe(char** argv, char** envp);

}  // namespace hako::security
