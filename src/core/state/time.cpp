#include <fmt/format.h>

#include <chrono>
#include <ctime>

#include "state/state_store.hpp"
#include "sys/error.hpp"

namespace hako::state {

std::string rfc3339_now() {
    timespec now{};
    check_sys(::clock_gettime(CLOCK_REALTIME, &now), "clock_gettime");
    // The calendar by arithmetic: glibc's gmtime_r would first read /etc/localtime (seven
    // system calls on every create) although UTC needs no time zone.
    using namespace std::chrono;
    const sys_seconds seconds{std::chrono::seconds{now.tv_sec}};
    const sys_days day = floor<days>(seconds);
    const year_month_day date{day};
    const hh_mm_ss<std::chrono::seconds> time{seconds - day};
    // Always nine fraction digits so the strings sort and compare as text.
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", static_cast<int>(date.year()),
                       static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                       time.hours().count(), time.minutes().count(), time.seconds().count(),
                       now.tv_nsec);
}

}  // namespace hako::state
