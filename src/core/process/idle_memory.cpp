#include "process/idle_memory.hpp"

#include <fcntl.h>
#include <link.h>
#include <malloc.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>

#include "sys/unique_fd.hpp"

namespace hako::process {
namespace {

using Range = IdleMemoryPlan::Range;

void add_range(IdleMemoryPlan& plan, std::uintptr_t start, std::uintptr_t length) {
    if (length == 0 || plan.count == static_cast<int>(plan.ranges.size())) return;
    plan.ranges[static_cast<std::size_t>(plan.count++)] = {start, length};
}

// The pages of [start, end) that are present and still the file's (pagemap bit 61, "file
// page or shared anonymous"), merged into ranges. A page copied on write (bit 61 clear) is
// skipped: dropping it would bring back the file's unrelocated bytes.
void add_file_pages(IdleMemoryPlan& plan, std::uintptr_t start, std::uintptr_t end) {
    const std::uintptr_t page = plan.page;
    const sys::UniqueFd pagemap(::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC));
    if (!pagemap) return;
    std::array<std::uint64_t, 64> entries{};
    const std::size_t pages = std::min<std::size_t>((end - start) / page, entries.size());
    const auto bytes = static_cast<ssize_t>(pages * sizeof(std::uint64_t));
    if (::pread(pagemap.get(), entries.data(), static_cast<std::size_t>(bytes),
                static_cast<off_t>(start / page * sizeof(std::uint64_t))) != bytes)
        return;
    constexpr std::uint64_t kPresent = 1ULL << 63;
    constexpr std::uint64_t kFilePage = 1ULL << 61;
    std::uintptr_t run_start = 0;
    std::uintptr_t run_length = 0;
    for (std::size_t i = 0; i < pages; ++i) {
        const std::uintptr_t address = start + i * page;
        if ((entries[i] & (kPresent | kFilePage)) == (kPresent | kFilePage)) {
            if (run_length == 0) run_start = address;
            run_length += page;
            continue;
        }
        add_range(plan, run_start, run_length);
        run_length = 0;
    }
    add_range(plan, run_start, run_length);
}

// dl_iterate_phdr works in the static binary too; the first object it reports is the
// program itself. Segments without PF_W are never written, so MADV_DONTNEED just unmaps them
// and the next access maps the same file page again. The writable segment holds state and
// is left alone, but for the part of it that is RELRO (read-only once started).
int collect_segments(dl_phdr_info* info, std::size_t /*size*/, void* data) {
    auto& plan = *static_cast<IdleMemoryPlan*>(data);
    const std::uintptr_t page = plan.page;
    for (int i = 0; i < info->dlpi_phnum; ++i) {
        const ElfW(Phdr)& segment = info->dlpi_phdr[i];
        const std::uintptr_t first = info->dlpi_addr + segment.p_vaddr;
        const std::uintptr_t start = first & ~(page - 1);
        if (segment.p_type == PT_LOAD && (segment.p_flags & PF_W) == 0) {
            const std::uintptr_t end = (first + segment.p_memsz + page - 1) & ~(page - 1);
            add_range(plan, start, end - start);
        } else if (segment.p_type == PT_GNU_RELRO) {
            // Only whole pages: the kernel protects RELRO rounded down at its end.
            const std::uintptr_t end = (first + segment.p_memsz) & ~(page - 1);
            if (end > start) add_file_pages(plan, start, end);
        }
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
// page instead of every function on the way. The kernel's fault-around would map that page's
// cached 64 KiB neighbourhood back in with it (60 KiB of the init's 200 KiB budget), but it
// stays inside the faulting mapping: marking this one page MADV_DONTFORK gives it a mapping
// of its own for the wait, and MADV_DOFORK merges it back before anything could fork.
[[gnu::noinline, gnu::aligned(512)]] void drop_code_and_poll(const IdleMemoryPlan* plan,
                                                             pollfd* wanted) {
    const auto page = static_cast<long>(plan->page);
    const long own_page = reinterpret_cast<long>(&drop_code_and_poll) & -page;
    const bool isolated = raw_syscall3(SYS_madvise, own_page, page, MADV_DONTFORK) == 0;
    for (int i = 0; i < plan->count; ++i) {
        const Range& range = plan->ranges[static_cast<std::size_t>(i)];
        raw_syscall3(SYS_madvise, static_cast<long>(range.start), static_cast<long>(range.length),
                     MADV_DONTNEED);
    }
    while (raw_syscall3(SYS_poll, reinterpret_cast<long>(wanted), 1, -1) == -EINTR) {
    }
    if (isolated) raw_syscall3(SYS_madvise, own_page, page, MADV_DOFORK);
}
#else
void drop_code_and_poll(const IdleMemoryPlan* plan, pollfd* wanted) {
    for (int i = 0; i < plan->count; ++i) {
        const Range& range = plan->ranges[static_cast<std::size_t>(i)];
        ::madvise(reinterpret_cast<void*>(range.start), range.length, MADV_DONTNEED);
    }
    while (::poll(wanted, 1, -1) < 0 && errno == EINTR) {
    }
}
#endif

}  // namespace

IdleMemoryPlan plan_idle_memory() noexcept {
    IdleMemoryPlan plan;
    plan.page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    ::dl_iterate_phdr(collect_segments, &plan);
    return plan;
}

void release_idle_memory_until_readable(const IdleMemoryPlan& plan, int listen_fd) noexcept {
    ::malloc_trim(0);
    drop_stack_below_current_frame();
    pollfd wanted{listen_fd, POLLIN, 0};
    drop_code_and_poll(&plan, &wanted);
}

}  // namespace hako::process
