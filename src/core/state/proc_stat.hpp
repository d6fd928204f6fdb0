#pragma once
// What /proc/PID/stat says about a process. Liveness is decided from the state letter and the
// start time (field 22), never from kill(pid, 0): a zombie that pid 1 has not reaped yet is
// dead, and a recycled pid has a different start time.
#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace hako::state {

struct ProcStat {
    char state = '?';             // R, S, D, Z, X, T, t, ...
    std::uint64_t start_time = 0;  // clock ticks after boot, field 22
    pid_t ppid = 0;
};

// nullopt when /proc/PID/stat does not exist.
std::optional<ProcStat> read_proc_stat(pid_t pid);

// True when pid exists, is neither a zombie nor dead, and (when expected_start_time != 0)
// started at expected_start_time.
bool process_alive(pid_t pid, std::uint64_t expected_start_time);

}  // namespace hako::state
