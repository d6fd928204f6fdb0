#include "process/idle_memory.hpp"

#include <link.h>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

namespace hako::process {
namespace {

// dl_iterate_phdr works in the static binary too; the first object it reports is the
// program itself. Only segments without PF_W are dropped: their pages are never written, so
// MADV_DONTNEED just unmaps them and the next access maps the same file page again. The
// writable segments (.data, .bss, the RELRO part) hold state and are left alone.
int drop_read_only_segments(dl_phdr_info* info, std::size_t /*size*/, void* /*data*/) {
    const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    for (int i = 0; i < info->dlpi_phnum; ++i) {
        const ElfW(Phdr)& segment = info->dlpi_phdr[i];
        if (segment.p_type != PT_LOAD || (segment.p_flags & PF_W) != 0) continue;
        const std::uintptr_t start = (info->dlpi_addr + segment.p_vaddr) & ~(page - 1);
        const std::uintptr_t end =
            (info->dlpi_addr + segment.p_vaddr + segment.p_memsz + page - 1) & ~(page - 1);
        ::madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED);
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

}  // namespace

void release_idle_memory() noexcept {
    ::malloc_trim(0);
    drop_stack_below_current_frame();
    ::dl_iterate_phdr(drop_read_only_segments, nullptr);
}

}  // namespace hako::process
