#pragma once
// Where hako's messages go: --log FILE (default: stderr) in --log-format text or json. JSON is
// one object a line, {"level","msg","time"} with an RFC 3339 time, as runc writes it:
// containerd keeps the last error line, Podman reads a failing run's file as one object.
#include <string>
#include <string_view>

namespace hako::cli {

enum class LogFormat { text, json };

class Logger {
public:
    Logger() = default;
    Logger(std::string path, LogFormat format, bool debug);

    void error(std::string_view message) const;
    void warning(std::string_view message) const;
    void debug(std::string_view message) const;

    // True when the log is a file, so errors must also be printed on stderr.
    [[nodiscard]] bool logs_to_file() const { return !path_.empty(); }

private:
    void write(std::string_view level, std::string_view message) const;

    std::string path_;
    LogFormat format_ = LogFormat::text;
    bool debug_ = false;
};

}  // namespace hako::cli
