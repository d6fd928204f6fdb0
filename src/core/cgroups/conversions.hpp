#pragma once
// The value conversions runc applies between the runtime-spec (written for cgroup v1) and the
// cgroup files, kept in one place so both hierarchies and the tests agree on them.
#include <cstdint>
#include <string>
#include <string_view>

namespace hako::cgroups {

// cpu.shares [2, 262144] -> cpu.weight [1, 10000]; 0 stays 0 ("unset"). The formula of
// opencontainers/cgroups ConvertCPUSharesToCgroupV2Value since cgroups PR #20 (runc 1.3.2 and
// 1.4, runc PR #4785): weight = ceil(10^((l^2 + 125 l) / 612 - 7/34)) with l = log2(shares),
// a quadratic in log space that maps 2 -> 1, 1024 (the v1 default) -> 100 (the v2 default)
// and 262144 -> 10000. Out-of-range shares clamp to the ends.
std::uint64_t cpu_shares_to_weight(std::uint64_t shares);

// blkio.weight [10, 1000] -> io.weight [1, 10000], linearly: 1 + (weight - 10) * 9999 / 990
// (ConvertBlkIOToIOWeightValue); 0 stays 0. Weights outside [10, 1000] clamp to the ends
// (runc's unsigned arithmetic would wrap below 10).
std::uint64_t blkio_weight_to_io_weight(std::uint64_t weight);

// The runtime-spec's memory.swap is memory + swap (cgroup v1 memsw); cgroup v2's
// memory.swap.max is swap alone. As ConvertMemorySwapToCgroupV2Value: -1 and 0 ("unset") pass
// through, an unlimited memory with unset swap means unlimited swap, an unlimited memory
// takes swap as it is, and otherwise the result is swap - memory. Throws (naming `where`)
// when there is no memory limit to subtract or swap < memory.
std::int64_t memory_swap_to_v2(std::int64_t swap, std::int64_t memory, std::string_view where);

// The text of a cgroup v2 limit file (memory.max, memory.low, ...): -1 is "max", 0 is ""
// (unset: nothing is written), anything else the number (fs2 numToStr).
std::string v2_limit_value(std::int64_t value);

// pids.max for a pids.limit, as runc 1.4 (runtime-spec 1.3 guidance, runc PR #4949/#5004 and
// opencontainers/cgroups PR #48): a negative limit is "max", 0 is written as "1" (pids.max 0
// and 1 behave the same, and systemd cannot express 0), and anything else the number.
std::string pids_max_value(std::int64_t limit);

// "hugetlb.2MB.limit_in_bytes" (v1) or "hugetlb.2MB.max" (v2); rsvd: the reservation file
// ("hugetlb.2MB.rsvd.limit_in_bytes", "hugetlb.2MB.rsvd.max").
std::string hugetlb_limit_file(std::string_view page_size, bool v2, bool rsvd = false);

// A memory size as `runc update` reads it (docker/go-units RAMInBytes): a number with an
// optional binary unit, "512", "64k", "1.5g", "2GiB", "100 MB" (k/m/g/t/p are powers of 1024),
// or "-1" (unlimited). Throws naming `option` when the text is not such a size.
std::int64_t parse_ram_in_bytes(std::string_view text, std::string_view option);

}  // namespace hako::cgroups
