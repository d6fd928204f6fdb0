#pragma once
// The container's init waits, between `create` and `start`, for as long as the engine likes
// (Podman and containerd create many containers ahead of starting them). What it holds
// meanwhile is mostly hako's own code, mapped in while setting the container up; it can be
// given back and faulted in again, at the cost of a few page faults, when `start` arrives.
namespace hako::process {

// Drops this process's page-table entries for the read-only segments of hako's binary (its
// pages stay in the page cache, or the sealed memfd) and returns free heap memory to the
// kernel. Best effort: never fails, changes no state the init needs later.
void release_idle_memory() noexcept;

}  // namespace hako::process
