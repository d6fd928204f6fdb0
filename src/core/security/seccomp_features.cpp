#include "security/seccomp_features.hpp"

#include "security/seccomp_filter.hpp"
#include "security/seccomp_profile.hpp"

namespace hako::security {
namespace {

template <typename T, std::size_t N>
nlohmann::ordered_json names_of(const std::array<SeccompName<T>, N>& table) {
    nlohmann::ordered_json names = nlohmann::ordered_json::array();
    for (const auto& entry : table) names.push_back(entry.name);
    return names;
}

}  // namespace

nlohmann::ordered_json seccomp_features() {
    nlohmann::ordered_json supported = nlohmann::ordered_json::array();
    for (const auto& entry : kSeccompFlags)
        if (seccomp_flag_supported(entry.value)) supported.push_back(entry.name);
    return {
        {"enabled", true},
        {"actions", names_of(kSeccompActions)},
        {"operators", names_of(kSeccompOperators)},
        {"archs", names_of(kSeccompArchitectures)},
        {"knownFlags", names_of(kSeccompFlags)},
        {"supportedFlags", std::move(supported)},
    };
}

}  // namespace hako::security
