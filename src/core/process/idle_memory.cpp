#include "process/idle_memory.hpp"

#include <link.h>
#include <malloc.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>

namespace hako::process {
namespace {

struct Range {
    std::uintptr_t start = 0;
    std::uintptr_t length = 0;
};

struct ReadOnlySegments {
    std::array<Range, 8> ranges{};
    int count = 0;
};

// dl_iterate_phdr works in the static binary too; the first object it reports is the
// program itself. Only segments without PF_W are dropped: their pages are never written, so
// MADV_DONTNEED just unmaps them and the next access maps the same file page again. The
// writable segments (.data, .bss, the RELRO part) hold state and are left alone.
int collect_read_only_segments(dl_phdr_info* info, std::size_t /*size*/, void* data) {
    auto& segments = *static_cast<ReadOnlySegments*>(data);
    const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    for (int i = 0; i < info->dlpi_phnum; ++i) {
        const ElfW(Phdr)& segment = info->dlpi_phdr[i];
        if (segment.p_type != PT_LOAD || (segment.p_flags & PF_W) != 0) continue;
        if (segments.count == static_cast<int>(segments.ranges.size())) break;
        const std::uintptr_t start = (info->dlpi_addr + segment.p_vaddr) & ~(page - 1);
        const std::uintptr_t end =
            (info->dlpi_addr + segment.p_vaddr + segment.p_memsz + page - 1) & ~(page - 1);
        segments.ranges[static_cast<std::size_t>(segments.count++)] = {start, end - start};
    }
    return 1;  // the program only, not the vDSO
}

// The stack below the current frame holds only what deeper calls left behind (hako's parent
// filled it before the clone). Up to 256 KiB of it is dropped, leaving a page of margin; what
// lies beyond the stack's mapping there is the kernel's stack guard gap, where nothing may be
// mapped, so madvise only reports ENOMEM for it.
[[gnu::noinline]] void drop_stack_below_current_frame() {
    const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    constexpr std::uintptr_t kReach = 256 * 1024;
    volatile char marker = 0;
    const std::uintptr_t frame = reinterpret_cast<std::uintptr_t>(&marker) & ~(page - 1);
    const std::uintptr_t end = frame - page;
    if (end <= kReach) return;
    ::madvise(reinterpret_cast<void*>(end - kReach), kReach, MADV_DONTNEED);
}

#if defined(__x86_64__)
[[gnu::always_inline]] inline long raw_syscall3(long number, long a, long b, long c) {
    long result = 0;
    asm volatile("syscall"
                 : "=a"(result)
                 : "a"(number), "D"(a), "S"(b), "d"(c)
                 : "rcx", "r11", "memory");
    return result;
}

// Aligned so that its few hundred bytes never straddle two pages: the wait costs one code
// page (and its fault-around neighbourhood) instead of every function on the way.
[[gnu::noinline, gnu::aligned(512)]] void drop_code_and_poll(const ReadOnlySegments* segments,
                                                           pollfd* wanted) {
    for (int i = 0; i < segments->count; ++i) {
        const Range& range = segments->ranges[static_cast<std::size_t>(i)];
        raw_syscall3(SYS_madvise, static_cast<long>(range.start), static_cast<long>(range.length),
                     MADV_DONTNEED);
    }
    while (raw_syscall3(SYS_poll, reinterpret_cast<long>(wanted), 1, -1) == -EINTR) {
    }
}
#else
void drop_code_and_poll(const ReadOnlySegments* segments, pollfd* wanted) {
    for (int i = 0; i < segments->count; ++i) {
        const Range& range = segments->ranges[static_cast<std::size_t>(i)];
        ::madvise(reinterpret_cast<void*>(range.start), range.length, MADV_DONTNEED);
    }
    while (::poll(wanted, 1, -1) < 0 && errno == EINTR) {
    }
}
#endif

}  // namespace

void release_idle_memory_until_readable(int listen_fd) noexcept {
    ReadOnlySegments segments;
    ::dl_iterate_phdr(collect_read_only_segments, &segments);
    ::malloc_trim(0);
    drop_stack_below_current_frame();
    pollfd wanted{listen_fd, POLLIN, 0};
    drop_code_and_poll(&segments, &wanted);
}

}  // namespace hako::process
