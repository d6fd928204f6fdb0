#include "cgroups/stats_parse.hpp"

#include <cerrno>
#include <charconv>
#include <limits>

#include "cgroups/cgroup_fs.hpp"
#include "sys/error.hpp"

namespace hako::cgroups::detail {
namespace {

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\n'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\n'))
        text.remove_suffix(1);
    return text;
}

// Calls each(line) for every non-empty line.
template <typename Each>
void for_each_line(std::string_view text, Each&& each) {
    while (!text.empty()) {
        const std::size_t end = std::min(text.find('\n'), text.size());
        const std::string_view line = trim(text.substr(0, end));
        if (!line.empty()) each(line);
        text.remove_prefix(std::min(end + 1, text.size()));
    }
}

std::vector<std::string_view> fields_of(std::string_view line) {
    std::vector<std::string_view> fields;
    std::size_t pos = 0;
    while (pos < line.size()) {
        const std::size_t start = line.find_first_not_of(" \t", pos);
        if (start == std::string_view::npos) break;
        const std::size_t end = std::min(line.find_first_of(" \t", start), line.size());
        fields.push_back(line.substr(start, end - start));
        pos = end;
    }
    return fields;
}

template <typename Number>
bool parse_exact(std::string_view text, Number& out) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc{} && end == text.data() + text.size();
}

// "8:16" -> {8, 16}.
bool parse_device(std::string_view text, std::uint64_t& major, std::uint64_t& minor) {
    const std::size_t colon = text.find(':');
    return colon != std::string_view::npos && parse_exact(text.substr(0, colon), major) &&
           parse_exact(text.substr(colon + 1), minor);
}

[[noreturn]] void malformed(const std::string& path, std::string_view what) {
    fail("read {}: unexpected content \"{}\"", path, what);
}

}  // namespace

std::optional<std::string> read_stat_file(const std::string& path) {
    try {
        return read_file(path);
    } catch (const Error& e) {
        const int err = e.errno_value();
        if (err == ENOENT || err == ENODEV || err == EOPNOTSUPP) return std::nullopt;
        throw;
    }
}

std::uint64_t parse_uint(std::string_view text, const std::string& path) {
    text = trim(text);
    if (text == "max") return std::numeric_limits<std::uint64_t>::max();
    std::uint64_t value = 0;
    if (parse_exact(text, value)) return value;
    std::int64_t negative = 0;
    if (parse_exact(text, negative) && negative < 0) return 0;
    malformed(path, text);
}

std::int64_t parse_int(std::string_view text, const std::string& path) {
    text = trim(text);
    std::int64_t value = 0;
    if (!parse_exact(text, value)) malformed(path, text);
    return value;
}

std::map<std::string, std::uint64_t> parse_flat_keyed(std::string_view text,
                                                      const std::string& path) {
    std::map<std::string, std::uint64_t> out;
    for_each_line(text, [&](std::string_view line) {
        const auto fields = fields_of(line);
        if (fields.size() != 2) malformed(path, line);
        out[std::string(fields[0])] = parse_uint(fields[1], path);
    });
    return out;
}

std::vector<std::uint64_t> parse_uint_list(std::string_view text, const std::string& path) {
    std::vector<std::uint64_t> out;
    for_each_line(text, [&](std::string_view line) {
        for (std::string_view field : fields_of(line)) out.push_back(parse_uint(field, path));
    });
    return out;
}

std::vector<std::uint16_t> parse_cpu_list(std::string_view text, const std::string& path) {
    std::vector<std::uint16_t> out;
    text = trim(text);
    while (!text.empty()) {
        const std::size_t comma = std::min(text.find(','), text.size());
        const std::string_view range = trim(text.substr(0, comma));
        text.remove_prefix(std::min(comma + 1, text.size()));
        if (range.empty()) continue;
        const std::size_t dash = range.find('-');
        std::uint16_t first = 0;
        std::uint16_t last = 0;
        if (dash == std::string_view::npos) {
            if (!parse_exact(range, first)) malformed(path, range);
            last = first;
        } else if (!parse_exact(range.substr(0, dash), first) ||
                   !parse_exact(range.substr(dash + 1), last) || last < first) {
            malformed(path, range);
        }
        for (unsigned cpu = first; cpu <= last; ++cpu) out.push_back(static_cast<std::uint16_t>(cpu));
    }
    return out;
}

std::vector<BlkioEntry> parse_blkio_v1(std::string_view text, const std::string& path) {
    std::vector<BlkioEntry> out;
    for_each_line(text, [&](std::string_view line) {
        const auto fields = fields_of(line);
        if (fields.size() == 2 && fields[0] == "Total") return;
        BlkioEntry entry;
        if (fields.size() < 2 || fields.size() > 3 ||
            !parse_device(fields[0], entry.major, entry.minor)) {
            malformed(path, line);
        }
        if (fields.size() == 3) entry.op = std::string(fields[1]);
        entry.value = parse_uint(fields.back(), path);
        out.push_back(std::move(entry));
    });
    return out;
}

void parse_io_stat(std::string_view text, const std::string& path, BlkioStats& out) {
    for_each_line(text, [&](std::string_view line) {
        const auto fields = fields_of(line);
        std::uint64_t major = 0;
        std::uint64_t minor = 0;
        if (fields.empty() || !parse_device(fields[0], major, minor)) malformed(path, line);
        for (std::size_t i = 1; i < fields.size(); ++i) {
            const std::size_t eq = fields[i].find('=');
            if (eq == std::string_view::npos) malformed(path, fields[i]);
            const std::string_view key = fields[i].substr(0, eq);
            std::vector<BlkioEntry>* list = nullptr;
            const char* op = nullptr;
            if (key == "rbytes") {
                list = &out.io_service_bytes_recursive;
                op = "Read";
            } else if (key == "wbytes") {
                list = &out.io_service_bytes_recursive;
                op = "Write";
            } else if (key == "rios") {
                list = &out.io_serviced_recursive;
                op = "Read";
            } else if (key == "wios") {
                list = &out.io_serviced_recursive;
                op = "Write";
            } else {
                continue;  // dbytes, dios and whatever later kernels add
            }
            list->push_back({major, minor, op, parse_uint(fields[i].substr(eq + 1), path)});
        }
    });
}

std::uint64_t read_uint(const std::string& path, std::uint64_t fallback) {
    const auto text = read_stat_file(path);
    return text ? parse_uint(*text, path) : fallback;
}

}  // namespace hako::cgroups::detail
