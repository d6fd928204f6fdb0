#pragma once
// Parsers for the cgroup files the stats readers use (private to src/core/cgroups). Each takes
// the file's path for its error message.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cgroups/stats.hpp"

namespace hako::cgroups::detail {

// The whole file, or nullopt when the kernel does not offer it here (ENOENT, ENODEV,
// EOPNOTSUPP): a controller that is not enabled, or a feature this kernel lacks.
std::optional<std::string> read_stat_file(const std::string& path);

// One unsigned number; "max" is UINT64_MAX, and a negative number (v1's "-1") is 0, as runc.
std::uint64_t parse_uint(std::string_view text, const std::string& path);
std::int64_t parse_int(std::string_view text, const std::string& path);

// "key value" lines (memory.stat, cpu.stat, memory.events, ...).
std::map<std::string, std::uint64_t> parse_flat_keyed(std::string_view text,
                                                      const std::string& path);

// Whitespace-separated numbers (cpuacct.usage_percpu).
std::vector<std::uint64_t> parse_uint_list(std::string_view text, const std::string& path);

// "0-3,8,10-11" -> 0 1 2 3 8 10 11 (cpuset.cpus, cpuset.mems).
std::vector<std::uint16_t> parse_cpu_list(std::string_view text, const std::string& path);

// v1 blkio lines "MAJ:MIN Op value" or "MAJ:MIN value"; the "Total N" line is skipped.
std::vector<BlkioEntry> parse_blkio_v1(std::string_view text, const std::string& path);

// v2 io.stat lines "MAJ:MIN rbytes=N wbytes=N rios=N wios=N ..." into bytes and ios.
void parse_io_stat(std::string_view text, const std::string& path, BlkioStats& out);

// Convenience: the parsed number in a file, or fallback when the file is absent.
std::uint64_t read_uint(const std::string& path, std::uint64_t fallback = 0);

}  // namespace hako::cgroups::detail
