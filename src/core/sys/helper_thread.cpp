#include "sys/helper_thread.hpp"

#include <sched.h>

#include <cstddef>

#include "sys/cpu_placement.hpp"

namespace hako::sys {
namespace {

// Enough for a few system calls; glibc adds its guard page and TLS.
constexpr std::size_t kStackSize = 64 * 1024;

}  // namespace

bool HelperThread::start(Body body, void* argument) noexcept {
    join();
    body_ = body;
    argument_ = argument;
    pthread_attr_t attributes;
    if (::pthread_attr_init(&attributes) != 0) return false;
    ::pthread_attr_setstacksize(&attributes, kStackSize);
    cpu_set_t others;
    if (other_cpus(others)) ::pthread_attr_setaffinity_np(&attributes, sizeof others, &others);
    running_ = ::pthread_create(&thread_, &attributes, run, this) == 0;
    ::pthread_attr_destroy(&attributes);
    return running_;
}

void HelperThread::join() noexcept {
    if (running_) ::pthread_join(thread_, nullptr);
    running_ = false;
}

void* HelperThread::run(void* self) noexcept {
    auto& helper = *static_cast<HelperThread*>(self);
    helper.body_(helper.argument_);
    return nullptr;
}

}  // namespace hako::sys
