#pragma once
// Where hako's messages go: --log FILE (default: stderr) in --log-format text or json, as
// runc writes them:
//   json: one object a line, {"level","msg","time"} with an RFC 3339 time. containerd keeps
//         the last "error" line; Podman reads a failed run's whole file as one object, so at
//         the default level a failure writes exactly one line.
//   text: logrus's `time="..." level=error msg="..."` in a file; `hako: msg` on stderr.
// An error is also printed on stderr when the log is a file (conmon forwards stderr).
#include <functional>
#include <string>
#include <string_view>

#include "sys/unique_fd.hpp"

namespace hako::cli {

enum class LogFormat { text, json };

class Logger {
  public:
    Logger() = default;
    // Opens path (appending, created 0644) now, so a bad --log fails before any work;
    // throws hako::Error naming it. An empty path logs to stderr.
    Logger(std::string path, LogFormat format, bool debug);

    void error(std::string_view message) const;
    void warning(std::string_view message) const;
    // Only with --debug.
    void debug(std::string_view message) const;

    // warning() as a callback for libhako's operations (container::WarningSink). The logger
    // must outlive it.
    [[nodiscard]] std::function<void(const std::string&)> warning_sink() const;

    // True when the log is a file, so errors must also be printed on stderr.
    [[nodiscard]] bool logs_to_file() const { return !path_.empty(); }

  private:
    // One log line, without its newline.
    static std::string format_line(LogFormat format, bool to_file, std::string_view level,
                                   std::string_view message, std::string_view time);
    void write(std::string_view level, std::string_view message) const;

    std::string path_;
    sys::UniqueFd file_;
    LogFormat format_ = LogFormat::text;
    bool debug_ = false;
};

}  // namespace hako::cli
