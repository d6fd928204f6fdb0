#include "sys/cpu_placement.hpp"

namespace hako::sys {

bool other_cpus(cpu_set_t& others) {
    if (::sched_getaffinity(0, sizeof others, &others) != 0) return false;
    const int here = ::sched_getcpu();
    if (here >= 0) CPU_CLR(here, &others);
    return CPU_COUNT(&others) > 0;
}

OnAnotherCpu::OnAnotherCpu() {
    if (::sched_getaffinity(0, sizeof original_, &original_) != 0) return;
    cpu_set_t others;
    moved_ = other_cpus(others) && ::sched_setaffinity(0, sizeof others, &others) == 0;
}

OnAnotherCpu::~OnAnotherCpu() {
    if (moved_) ::sched_setaffinity(0, sizeof original_, &original_);
}

}  // namespace hako::sys
