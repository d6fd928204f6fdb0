#include "logger.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "state/state_store.hpp"
#include "sys/error.hpp"

namespace hako::cli {
namespace {

void write_all(int fd, const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // nowhere left to report a failing log
        done += static_cast<std::size_t>(n);
    }
}

// Go's %q, as logrus quotes a text field: \" \\ \n \t \r and \xNN for other control bytes.
std::string quoted(std::string_view text) {
    std::string out = "\"";
    for (const char c : text) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\r':
                out += "\\r";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
                    out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
                else
                    out += c;
        }
    }
    return out + "\"";
}

}  // namespace

Logger::Logger(std::string path, LogFormat format, bool debug)
    : path_(std::move(path)), format_(format), debug_(debug) {
    if (path_.empty()) return;
    file_.reset(::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
    if (!file_) throw_sys_error("open log file", path_);
}

std::string Logger::format_line(LogFormat format, bool to_file, std::string_view level,
                                std::string_view message, std::string_view time) {
    if (format == LogFormat::json) {
        nlohmann::ordered_json entry;
        entry["level"] = level;
        entry["msg"] = message;
        entry["time"] = time;
        // A message with bytes that are not UTF-8 still makes one parseable line.
        return entry.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    }
    if (!to_file)
        return fmt::format("hako: {}{}", level == "error" ? "" : std::string(level) + ": ",
                           message);
    return fmt::format("time=\"{}\" level={} msg={}", time, level, quoted(message));
}

void Logger::error(std::string_view message) const {
    write("error", message);
    // runc prints fatal errors on stderr as well when the log is a file; callers such as conmon
    // forward stderr to the user.
    if (logs_to_file()) write_all(STDERR_FILENO, "hako: " + std::string(message) + "\n");
}

void Logger::warning(std::string_view message) const {
    write("warning", message);
}

void Logger::debug(std::string_view message) const {
    if (debug_) write("debug", message);
}

std::function<void(const std::string&)> Logger::warning_sink() const {
    return [this](const std::string& message) { warning(message); };
}

void Logger::write(std::string_view level, std::string_view message) const {
    const std::string line =
        format_line(format_, logs_to_file(), level, message, state::rfc3339_now()) + "\n";
    write_all(file_ ? file_.get() : STDERR_FILENO, line);
}

}  // namespace hako::cli
