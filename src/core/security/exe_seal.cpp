#include "security/exe_seal.hpp"

#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace hako::security {
namespace {

constexpr const char* kSelfExe = "/proc/self/exe";
// MFD_EXEC (Linux 6.3) keeps the copy executable when vm.memfd_noexec asks for noexec memfds
// by default; glibc 2.36 does not define it, and older kernels refuse it with EINVAL.
constexpr unsigned kMfdExec = 0x0010U;
constexpr int kRequiredSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
constexpr long kOverlayfsMagic = 0x794c7630;  // OVERLAYFS_SUPER_MAGIC

bool on_read_only_overlay(int fd) {
    struct statfs fs {};
    return ::fstatfs(fd, &fs) == 0 && fs.f_type == kOverlayfsMagic &&
           (fs.f_flags & ST_RDONLY) != 0;
}

// A detached filesystem mount (never attached anywhere), or an invalid fd when the kernel
// refuses; the caller then falls back to the memfd copy.
sys::UniqueFd detached_mount(const char* type, const std::string& lowerdir) {
    const sys::UniqueFd context(::fsopen(type, FSOPEN_CLOEXEC));
    if (!context) return {};
    if (!lowerdir.empty() &&
        ::fsconfig(context.get(), FSCONFIG_SET_STRING, "lowerdir", lowerdir.c_str(), 0) != 0)
        return {};
    if (::fsconfig(context.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) return {};
    return sys::UniqueFd(::fsmount(context.get(), FSMOUNT_CLOEXEC,
                                   MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV));
}

// The sealing runc 1.2 prefers: the binary opened through a read-only overlayfs of its own
// directory. The overlay is detached, so it exists only as long as something holds a file
// of it (the re-executed hako and, later, the waiting init). Opening /proc/PID/exe for
// writing then fails with EROFS, and as an overlay without an upper layer has nowhere to write,
// remounting it read-write would not help either. Nothing is copied: the pages are the host
// file's page cache, shared by every hako process, where the memfd copy cost ~5 ms and 4 MB
// per waiting container. Overlayfs needs two lower layers without an upper one; the second is
// an empty detached tmpfs. Returns nullopt where the kernel refuses (no overlayfs, no
// CAP_SYS_ADMIN, a lower filesystem overlayfs cannot stack on).
std::optional<sys::UniqueFd> open_through_read_only_overlay(int exe_fd) {
    std::string path(4096, '\0');
    const ssize_t length = ::readlink(kSelfExe, path.data(), path.size());
    if (length <= 0 || static_cast<std::size_t>(length) >= path.size()) return std::nullopt;
    path.resize(static_cast<std::size_t>(length));
    const std::size_t slash = path.rfind('/');
    if (path.front() != '/' || slash == std::string::npos || slash + 1 == path.size())
        return std::nullopt;
    const std::string name = path.substr(slash + 1);
    const sys::UniqueFd directory(
        ::open(slash == 0 ? "/" : path.substr(0, slash).c_str(),
               O_PATH | O_DIRECTORY | O_CLOEXEC));
    const sys::UniqueFd empty = detached_mount("tmpfs", "");
    if (!directory || !empty) return std::nullopt;
    // The layers are named through /proc/self/fd, so no path string (which could hold the
    // ':' or ',' overlayfs splits on) is parsed and nothing can be swapped in between.
    const sys::UniqueFd overlay = detached_mount(
        "overlay",
        fmt::format("/proc/self/fd/{}:/proc/self/fd/{}", directory.get(), empty.get()));
    if (!overlay) return std::nullopt;
    sys::UniqueFd file(::openat(overlay.get(), name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!file) return std::nullopt;
    // The same inode we are running, not a file renamed into place since.
    struct stat running {}, opened {};
    if (::fstat(exe_fd, &running) != 0 || ::fstat(file.get(), &opened) != 0 ||
        running.st_ino != opened.st_ino || running.st_size != opened.st_size ||
        !on_read_only_overlay(file.get()))
        return std::nullopt;
    return file;
}

bool has_required_seals(int fd) {
    const int seals = ::fcntl(fd, F_GET_SEALS);  // EINVAL on anything but a memfd
    return seals >= 0 && (seals & kRequiredSeals) == kRequiredSeals;
}

sys::UniqueFd open_self_exe() {
    return sys::UniqueFd(check_sys(::open(kSelfExe, O_RDONLY | O_CLOEXEC), "open", kSelfExe));
}

bool read_exact(int fd, void* buffer, std::size_t size, off_t offset) {
    auto* bytes = static_cast<char*>(buffer);
    std::size_t done = 0;
    while (done < size) {
        const ssize_t n = ::pread(fd, bytes + done, size - done,
                                  offset + static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

// How many leading bytes of the ELF file the kernel and ld.so need: the end of the furthest
// program header's file contents. Debug sections, .symtab and the section headers come after
// it. Anything unexpected (not a 64-bit ELF, odd header sizes) means: copy the whole file.
struct CopyPlan {
    off_t size = 0;
    bool drop_section_headers = false;
};

CopyPlan plan_copy(int fd, off_t file_size) {
    CopyPlan whole{file_size, false};
    Elf64_Ehdr header{};
    if (!read_exact(fd, &header, sizeof header, 0)) return whole;
    if (std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 ||
        header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_phentsize != sizeof(Elf64_Phdr) ||
        header.e_phnum == 0 || header.e_phnum == PN_XNUM)
        return whole;
    std::vector<Elf64_Phdr> program_headers(header.e_phnum);
    if (!read_exact(fd, program_headers.data(), program_headers.size() * sizeof(Elf64_Phdr),
                    static_cast<off_t>(header.e_phoff)))
        return whole;
    std::uint64_t end = header.e_phoff + program_headers.size() * sizeof(Elf64_Phdr);
    for (const auto& program_header : program_headers)
        end = std::max(end, program_header.p_offset + program_header.p_filesz);
    if (end >= static_cast<std::uint64_t>(file_size)) return whole;
    return CopyPlan{static_cast<off_t>(end), true};
}

void copy_bytes(int from, int to, off_t size) {
    off_t offset = 0;
    while (offset < size) {
        const ssize_t n = ::sendfile(to, from, &offset, static_cast<std::size_t>(size - offset));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_sys_error("copy hako binary into memfd", kSelfExe);
        if (n == 0) fail("copy hako binary into memfd: {} shrank while being copied", kSelfExe);
    }
}

// The copy no longer holds the section headers; pointing at them would send tools reading
// the copy (gdb on /proc/PID/exe) past its end.
void clear_section_headers(int memfd) {
    Elf64_Ehdr header{};
    if (!read_exact(memfd, &header, sizeof header, 0))
        fail("copy hako binary into memfd: cannot read back the ELF header");
    header.e_shoff = 0;
    header.e_shnum = 0;
    header.e_shstrndx = SHN_UNDEF;
    check_sys(::pwrite(memfd, &header, sizeof header, 0), "write ELF header of the memfd copy");
}

sys::UniqueFd make_memfd() {
    int fd = ::memfd_create("hako", MFD_CLOEXEC | MFD_ALLOW_SEALING | kMfdExec);
    if (fd < 0 && errno == EINVAL) fd = ::memfd_create("hako", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    return sys::UniqueFd(check_sys(fd, "memfd_create for the sealed hako copy"));
}

sys::UniqueFd sealed_copy(int exe_fd) {
    struct stat st {};
    check_sys(::fstat(exe_fd, &st), "stat", kSelfExe);
    const CopyPlan plan = plan_copy(exe_fd, st.st_size);
    sys::UniqueFd memfd = make_memfd();
    copy_bytes(exe_fd, memfd.get(), plan.size);
    if (plan.drop_section_headers) clear_section_headers(memfd.get());
    check_sys(::fchmod(memfd.get(), 0555), "chmod the sealed hako copy");
    check_sys(::fcntl(memfd.get(), F_ADD_SEALS, kRequiredSeals), "seal the hako copy (F_ADD_SEALS)");
    return memfd;
}

}  // namespace

bool running_from_sealed_exe() {
    const sys::UniqueFd exe(::open(kSelfExe, O_RDONLY | O_CLOEXEC));
    return exe && (has_required_seals(exe.get()) || on_read_only_overlay(exe.get()));
}

ExeSealState ensure_sealed_exe(char** argv, char** envp) {
    // Before anything else: nothing that shares a pid namespace with us may open our
    // /proc/PID/{exe,fd,mem} (CVE-2016-9962); the container's own execve makes it dumpable.
    check_sys(::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "prctl PR_SET_DUMPABLE");
    const sys::UniqueFd exe = open_self_exe();
    if (has_required_seals(exe.get()) || on_read_only_overlay(exe.get()))
        return ExeSealState::sealed;
    struct statvfs vfs {};
    check_sys(::fstatvfs(exe.get(), &vfs), "statvfs", kSelfExe);
    if ((vfs.f_flag & ST_RDONLY) != 0) return ExeSealState::read_only_fs;

    if (std::optional<sys::UniqueFd> overlay_file = open_through_read_only_overlay(exe.get())) {
        ::fexecve(overlay_file->get(), argv, envp);
        throw_sys_error("re-execute hako through its read-only overlay (fexecve)", kSelfExe);
    }
    const sys::UniqueFd memfd = sealed_copy(exe.get());
    ::fexecve(memfd.get(), argv, envp);
    throw_sys_error("re-execute hako from its sealed copy (fexecve)", kSelfExe);
}

}  // namespace hako::security
