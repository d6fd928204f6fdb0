#include "state/proc_stat.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <string>
#include <string_view>

#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace hako::state {
namespace {

// Fields after the comm, counted from field 3 (state): ppid is field 4, starttime field 22.
constexpr std::size_t kPpidIndex = 4 - 3;
constexpr std::size_t kStartTimeIndex = 22 - 3;

template <typename T>
T parse_number(std::string_view text, const std::string& path, std::string_view field) {
    T value{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) {
        fail("{}: malformed {} field \"{}\"", path, field, text);
    }
    return value;
}

}  // namespace

std::optional<ProcStat> read_proc_stat(pid_t pid) {
    if (pid <= 0) return std::nullopt;
    const std::string path = "/proc/" + std::to_string(pid) + "/stat";
    const sys::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        // ESRCH: the process exited between lookup and open.
        if (errno == ENOENT || errno == ESRCH) return std::nullopt;
        throw_sys_error("open", path);
    }

    std::string text;
    std::array<char, 1024> buffer{};
    for (;;) {
        const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == ESRCH) return std::nullopt;  // reaped while reading
            throw_sys_error("read", path);
        }
        text.append(buffer.data(), static_cast<std::size_t>(n));
        // The kernel formats the whole line at once: a shorter read is all of it.
        if (static_cast<std::size_t>(n) < buffer.size()) break;
    }

    // comm is "(name)" and the name may itself hold spaces and ')': only the last ')' ends it.
    const auto close = text.rfind(')');
    if (close == std::string::npos) fail("{}: malformed: no ')' after the command name", path);

    std::string_view rest(text);
    rest.remove_prefix(close + 1);
    std::array<std::string_view, kStartTimeIndex + 1> fields{};
    std::size_t count = 0;
    while (count < fields.size()) {
        const auto start = rest.find_first_not_of(" \n");
        if (start == std::string_view::npos) break;
        rest.remove_prefix(start);
        const auto end = rest.find_first_of(" \n");
        fields[count++] = rest.substr(0, end);
        if (end == std::string_view::npos) break;
        rest.remove_prefix(end);
    }
    if (count < fields.size()) fail("{}: malformed: only {} fields after the command name", path, count);
    if (fields[0].size() != 1) fail("{}: malformed state field \"{}\"", path, fields[0]);

    ProcStat stat;
    stat.state = fields[0][0];
    stat.ppid = parse_number<pid_t>(fields[kPpidIndex], path, "ppid");
    stat.start_time = parse_number<std::uint64_t>(fields[kStartTimeIndex], path, "starttime");
    return stat;
}

bool process_alive(pid_t pid, std::uint64_t expected_start_time) {
    const auto stat = read_proc_stat(pid);
    if (!stat) return false;
    if (stat->state == 'Z' || stat->state == 'X' || stat->state == 'x') return false;
    // A different start time means the pid was recycled by an unrelated process.
    return expected_start_time == 0 || stat->start_time == expected_start_time;
}

}  // namespace hako::state
