#pragma once
// The linux.seccomp section of the runtime-spec features document (`hako features`).
#include <nlohmann/json.hpp>

namespace hako::security {

// {"enabled": true, "actions", "operators", "archs", "knownFlags", "supportedFlags"}: every
// name the profile parser accepts, and the flags this kernel lets hako apply.
nlohmann::ordered_json seccomp_features();

}  // namespace hako::security
