#pragma once
// The stats document as runc prints it in `runc events`.
#include <nlohmann/json.hpp>

#include "cgroups/stats.hpp"

namespace hako::cgroups {

// runc's JSON for the stats, field for field (names, order, and which zero values are left
// out), with the parts hako does not measure (intel_rdt, network_interfaces) empty as in runc.
nlohmann::ordered_json to_runc_json(const Stats& stats);

}  // namespace hako::cgroups
