#include "cgroups/conversions.hpp"

#include <cctype>
#include <cmath>
#include <limits>

#include "sys/error.hpp"

namespace hako::cgroups {

std::uint64_t cpu_shares_to_weight(std::uint64_t shares) {
    if (shares == 0) return 0;
    if (shares <= 2) return 1;
    if (shares >= 262144) return 10000;
    const double l = std::log2(static_cast<double>(shares));
    const double exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
    return static_cast<std::uint64_t>(std::ceil(std::pow(10.0, exponent)));
}

std::uint64_t blkio_weight_to_io_weight(std::uint64_t weight) {
    if (weight == 0) return 0;
    if (weight < 10) weight = 10;
    if (weight > 1000) weight = 1000;
    return 1 + (weight - 10) * 9999 / 990;
}

std::int64_t memory_swap_to_v2(std::int64_t swap, std::int64_t memory, std::string_view where) {
    if (memory == -1 && swap == 0) return -1;
    if (swap == -1 || swap == 0) return swap;
    if (memory == -1) return swap;
    if (memory == 0) fail("{}.memory.swap: a swap limit needs a memory limit (memory.limit)", where);
    if (memory < 0) fail("{}.memory.limit: invalid memory value {}", where, memory);
    if (swap < memory) {
        fail("{}.memory.swap: {} is below memory.limit {} (swap counts memory + swap)", where,
             swap, memory);
    }
    return swap - memory;
}

std::string v2_limit_value(std::int64_t value) {
    if (value == 0) return "";
    if (value == -1) return "max";
    return std::to_string(value);
}

std::string pids_max_value(std::int64_t limit) {
    if (limit < 0) return "max";
    if (limit == 0) return "1";
    return std::to_string(limit);
}

std::string hugetlb_limit_file(std::string_view page_size, bool v2, bool rsvd) {
    return fmt::format("hugetlb.{}{}.{}", page_size, rsvd ? ".rsvd" : "",
                       v2 ? "max" : "limit_in_bytes");
}

std::int64_t parse_ram_in_bytes(std::string_view text, std::string_view option) {
    if (text == "-1") return -1;
    const auto bad = [&]() -> std::int64_t {
        fail("invalid value for {}: \"{}\" is not a size like 512, 64k, 1.5g or 2GiB", option,
             text);
    };
    std::size_t pos = 0;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) ++pos;
    if (pos == 0) return bad();
    std::size_t number_end = pos;
    if (pos < text.size() && text[pos] == '.') {
        ++pos;
        const std::size_t fraction = pos;
        while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) ++pos;
        if (pos == fraction) return bad();
        number_end = pos;
    }
    const double number = std::stod(std::string(text.substr(0, number_end)));
    if (pos < text.size() && text[pos] == ' ') ++pos;
    double multiplier = 1;
    if (pos < text.size()) {
        constexpr std::string_view kUnits = "kmgtp";
        const auto unit = kUnits.find(static_cast<char>(std::tolower(static_cast<unsigned char>(text[pos]))));
        if (unit != std::string_view::npos) {
            multiplier = std::pow(1024.0, static_cast<double>(unit + 1));
            ++pos;
        }
    }
    // An optional "i" and "b" after the unit: "k", "kb", "kib", "b".
    if (pos < text.size() && (text[pos] == 'i' || text[pos] == 'I') && multiplier > 1) ++pos;
    if (pos < text.size() && (text[pos] == 'b' || text[pos] == 'B')) ++pos;
    if (pos != text.size()) return bad();
    const double bytes = number * multiplier;
    if (bytes >= static_cast<double>(std::numeric_limits<std::int64_t>::max())) {
        fail("invalid value for {}: \"{}\" is too large", option, text);
    }
    return static_cast<std::int64_t>(bytes);
}

}  // namespace hako::cgroups
