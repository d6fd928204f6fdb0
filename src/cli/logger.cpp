#include "logger.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "state/state_store.hpp"
#include "sys/unique_fd.hpp"

namespace hako::cli {

Logger::Logger(std::string path, LogFormat format, bool debug)
    : path_(std::move(path)), format_(format), debug_(debug) {}

void Logger::error(std::string_view message) const {
    write("error", message);
    // runc prints fatal errors on stderr as well when the log is a file; callers such as conmon
    // forward stderr to the user.
    if (logs_to_file()) {
        const std::string line = "hako: " + std::string(message) + "\n";
        [[maybe_unused]] auto written = ::write(STDERR_FILENO, line.data(), line.size());
    }
}

void Logger::warning(std::string_view message) const { write("warning", message); }

void Logger::debug(std::string_view message) const {
    if (debug_) write("debug", message);
}

void Logger::write(std::string_view level, std::string_view message) const {
    std::string line;
    if (format_ == LogFormat::json) {
        nlohmann::ordered_json entry;
        entry["level"] = level;
        entry["msg"] = message;
        entry["time"] = state::rfc3339_now();
        line = entry.dump() + "\n";
    } else if (path_.empty()) {
        line = fmt::format("hako: {}{}\n", level == "error" ? "" : std::string(level) + ": ", message);
    } else {
        line = fmt::format("time=\"{}\" level={} msg=\"{}\"\n", state::rfc3339_now(), level, message);
    }
    if (path_.empty()) {
        [[maybe_unused]] auto written = ::write(STDERR_FILENO, line.data(), line.size());
        return;
    }
    const sys::UniqueFd fd(::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
    if (fd) {
        [[maybe_unused]] auto written = ::write(fd.get(), line.data(), line.size());
    }
}

}  // namespace hako::cli
