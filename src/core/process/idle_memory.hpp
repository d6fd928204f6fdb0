#pragma once
// The container's init waits, between `create` and `start`, for as long as the engine likes
// (Podman and containerd create many containers ahead of starting them). What it holds
// meanwhile is mostly hako's own code, mapped in while setting the container up; it can be
// given back and faulted in again, at the cost of a few page faults, when `start` arrives.
#include <array>
#include <cstdint>

namespace hako::process {

// The page ranges of hako's binary the init can drop from its page tables while it waits:
// the read-only segments, and the pages of the RELRO region (read-only after start-up) that
// still are the file's own. RELRO pages written during start-up (the GOT's resolved
// addresses) are private copies and must stay; which ones those are is read from
// /proc/self/pagemap, so the plan is made by the parent on the host's /proc, never by the
// init inside the container (a copy of the parent: its pages are the parent's).
struct IdleMemoryPlan {
    struct Range {
        std::uintptr_t start = 0;
        std::uintptr_t length = 0;
    };
    std::array<Range, 32> ranges{};
    int count = 0;
    std::uintptr_t page = 4096;  // the system's page size
};

// Best effort: a plan with fewer ranges when something cannot be read.
IdleMemoryPlan plan_idle_memory() noexcept;

// Returns free heap memory to the kernel, drops the unused stack and the plan's ranges (the
// pages stay in the page cache, or the sealed memfd), then blocks until listen_fd is
// readable (a `start` connecting). The drop and the wait are one function with raw system
// calls (on x86-64): every code page touched after the drop maps its cached 64 KiB
// neighbourhood back in (the kernel's fault-around), so library code in between would undo
// most of it. Never fails and changes no state the init needs later; returns early on a poll
// error, leaving the accept to report it.
void release_idle_memory_until_readable(const IdleMemoryPlan& plan, int listen_fd) noexcept;

}  // namespace hako::process
