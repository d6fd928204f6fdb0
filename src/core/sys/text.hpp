#pragma once
// Splitting text from the kernel and from the container's files, as views into it (no copy).
#include <string_view>
#include <vector>

namespace hako::sys {

// Every part of text between separators, empty ones included: "a,,b" gives a, "", b.
std::vector<std::string_view> split(std::string_view text, char separator);

// The words of text: runs of characters other than spaces, tabs and newlines.
std::vector<std::string_view> words(std::string_view text);

}  // namespace hako::sys
