// libFuzzer target: arbitrary bytes as config.json, through hako::spec::parse_spec and, when
// that accepts them, the linux.seccomp profile parser. Rejecting input with hako::Error is the
// expected outcome; any other exception, a crash, a hang, a leak or undefined behaviour is a
// finding. See docs/SECURITY.md, "Fuzzing".
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "security/seccomp_profile.hpp"
#include "spec/spec.hpp"
#include "sys/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const hako::spec::Spec spec = hako::spec::parse_spec(text);
        if (!spec.linux_config.seccomp_json.empty())
            (void)hako::security::parse_seccomp_profile(spec.linux_config.seccomp_json);
    } catch (const hako::Error&) {
        // A one-line message naming the JSON path: what bad input must produce.
    }
    return 0;
}
