#include <signal.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <string_view>

#include "command.hpp"
#include "sys/error.hpp"

namespace hako::cli {
namespace {

struct SignalName {
    std::string_view name;
    int number;
};

// Sorted by name for a binary search.
constexpr std::array<SignalName, 31> kSignals{{
    {"ABRT", SIGABRT}, {"ALRM", SIGALRM}, {"BUS", SIGBUS},       {"CHLD", SIGCHLD},
    {"CONT", SIGCONT}, {"FPE", SIGFPE},   {"HUP", SIGHUP},       {"ILL", SIGILL},
    {"INT", SIGINT},   {"IO", SIGIO},     {"IOT", SIGIOT},       {"KILL", SIGKILL},
    {"PIPE", SIGPIPE}, {"PROF", SIGPROF}, {"PWR", SIGPWR},       {"QUIT", SIGQUIT},
    {"SEGV", SIGSEGV}, {"STKFLT", SIGSTKFLT}, {"STOP", SIGSTOP}, {"SYS", SIGSYS},
    {"TERM", SIGTERM}, {"TRAP", SIGTRAP}, {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN},
    {"TTOU", SIGTTOU}, {"URG", SIGURG},   {"USR1", SIGUSR1},     {"USR2", SIGUSR2},
    {"VTALRM", SIGVTALRM}, {"WINCH", SIGWINCH}, {"XCPU", SIGXCPU},
}};
static_assert(std::is_sorted(kSignals.begin(), kSignals.end(),
                             [](const SignalName& a, const SignalName& b) { return a.name < b.name; }));

}  // namespace

int parse_signal(const std::string& text) {
    int number = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (error == std::errc() && end == text.data() + text.size()) {
        if (number <= 0 || number >= NSIG) fail("invalid signal number {}", text);
        return number;
    }
    std::string upper;
    for (char c : text) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    std::string_view name = upper;
    if (name.rfind("SIG", 0) == 0) name.remove_prefix(3);
    const auto it = std::lower_bound(kSignals.begin(), kSignals.end(), name,
                                     [](const SignalName& s, std::string_view n) { return s.name < n; });
    if (it == kSignals.end() || it->name != name) fail("unknown signal \"{}\"", text);
    return it->number;
}

}  // namespace hako::cli
