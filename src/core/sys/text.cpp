#include "sys/text.hpp"

namespace hako::sys {

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    for (;;) {
        const std::size_t end = text.find(separator, start);
        parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
        if (end == std::string_view::npos) return parts;
        start = end + 1;
    }
}

std::vector<std::string_view> words(std::string_view text) {
    constexpr std::string_view kBlanks = " \t\n";
    std::vector<std::string_view> result;
    for (std::size_t start = text.find_first_not_of(kBlanks); start != std::string_view::npos;
         start = text.find_first_not_of(kBlanks, start)) {
        std::size_t end = text.find_first_of(kBlanks, start);
        if (end == std::string_view::npos) end = text.size();
        result.push_back(text.substr(start, end - start));
        start = end;
    }
    return result;
}

}  // namespace hako::sys
