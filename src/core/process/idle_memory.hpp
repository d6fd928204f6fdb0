#pragma once
// The container's init waits, between `create` and `start`, for as long as the engine likes
// (Podman and containerd create many containers ahead of starting them). What it holds
// meanwhile is mostly hako's own code, mapped in while setting the container up; it can be
// given back and faulted in again, at the cost of a few page faults, when `start` arrives.
namespace hako::process {

// Returns free heap memory to the kernel, drops the unused stack and this process's
// page-table entries for the read-only segments of hako's binary (the pages stay in the page
// cache, or the sealed memfd), then blocks until listen_fd is readable (a `start` connecting).
// The drop and the wait are one function with raw system calls (on x86-64): every code page
// touched after the drop maps its cached 64 KiB neighbourhood back in (the kernel's
// fault-around), so library code in between would undo most of it. Best effort: never fails,
// changes no state the init needs later; returns early on a poll error, leaving the accept to
// report it.
void release_idle_memory_until_readable(int listen_fd) noexcept;

}  // namespace hako::process
