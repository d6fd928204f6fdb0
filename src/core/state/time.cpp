#include <fmt/format.h>

#include <ctime>

#include "state/state_store.hpp"
#include "sys/error.hpp"

namespace hako::state {

std::string rfc3339_now() {
    timespec now{};
    check_sys(::clock_gettime(CLOCK_REALTIME, &now), "clock_gettime");
    std::tm utc{};
    if (::gmtime_r(&now.tv_sec, &utc) == nullptr) throw_sys_error("gmtime_r");
    // Always nine fraction digits so the strings sort and compare as text.
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", utc.tm_year + 1900,
                       utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                       now.tv_nsec);
}

}  // namespace hako::state
