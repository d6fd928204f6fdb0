#pragma once
// Keeping hako off the CPU a process it wakes will use. A wakeup over a unix socket or pipe
// is "synchronous": the kernel places the woken task on the waker's CPU, expecting the waker
// to sleep next. When both go on working (hako with the cgroups while the init mounts; hako
// saving state while the init execs), they take turns on one CPU while another idles, and a
// new thread likewise starts on its creator's CPU.
#include <sched.h>

namespace hako::sys {

// Every CPU this thread may use but the one it runs on; false when there is no other.
bool other_cpus(cpu_set_t& others);

// Moves the calling thread to another allowed CPU for this object's lifetime, then lets it
// use all of them again. Does nothing on a single CPU.
class OnAnotherCpu {
public:
    OnAnotherCpu();
    ~OnAnotherCpu();
    OnAnotherCpu(const OnAnotherCpu&) = delete;
    OnAnotherCpu& operator=(const OnAnotherCpu&) = delete;

private:
    cpu_set_t original_{};
    bool moved_ = false;
};

}  // namespace hako::sys
