#pragma once
// A short-lived helper thread for kernel work hako can overlap with its own: it starts on
// another CPU (the scheduler would put it on its creator's, where it would only run once hako
// blocks) with a small stack, and is joined when this object goes.
//
// The body must keep to raw system calls: no allocation, no lock, no exception. hako clones
// container processes with raw clone3, which copies no other thread and does not take
// glibc's fork locks, so a helper caught inside malloc would leave the child a locked heap.
// It must also be joined before such a clone: glibc's copy in the child would still list the
// thread, and glibc's setresuid, setresgid and setgroups signal every listed thread and wait
// for each to answer. (Tried: an init cloned while the helper still made the network
// namespace hung in the container's user switch, and gained ~1.5% when it did not.)
#include <pthread.h>

namespace hako::sys {

class HelperThread {
public:
    using Body = void (*)(void* argument) noexcept;

    HelperThread() = default;
    ~HelperThread() { join(); }
    HelperThread(const HelperThread&) = delete;
    HelperThread& operator=(const HelperThread&) = delete;

    // Runs body(argument) on the helper; false when no thread could be started (the caller
    // then does the work itself, or does without).
    bool start(Body body, void* argument) noexcept;
    // Waits for the body to end; nothing when it never started or was joined already.
    void join() noexcept;

private:
    static void* run(void* self) noexcept;

    pthread_t thread_{};
    Body body_ = nullptr;
    void* argument_ = nullptr;
    bool running_ = false;
};

}  // namespace hako::sys
