#pragma once
#include <string_view>

namespace hako::state {

// Throws hako::Error when id is not a valid container id: empty, longer than 1024 bytes,
// ".", "..", or containing anything but [A-Za-z0-9_.+-] (which excludes '/').
void validate_container_id(std::string_view id);

}  // namespace hako::state
