#include <cmath>
#include <cstdio>
#include <string_view>

#include "command.hpp"
#include "container/lifecycle.hpp"
#include "sys/error.hpp"

namespace hako::cli {
namespace {

// A Go duration as runc's --interval takes it: "5s", "500ms", "1m30s", "1.5h", "0".
std::chrono::nanoseconds parse_duration(const std::string& text) {
    struct Unit {
        std::string_view name;
        double nanoseconds;
    };
    static constexpr Unit kUnits[] = {{"ns", 1},   {"us", 1e3},      {"µs", 1e3},
                                      {"ms", 1e6}, {"s", 1e9},       {"m", 60e9},
                                      {"h", 3600e9}};
    std::string_view rest = text;
    bool negative = false;
    if (!rest.empty() && (rest.front() == '-' || rest.front() == '+')) {
        negative = rest.front() == '-';
        rest.remove_prefix(1);
    }
    if (rest == "0") return std::chrono::nanoseconds::zero();
    if (rest.empty()) fail("invalid duration \"{}\"", text);
    double total = 0;
    while (!rest.empty()) {
        std::size_t digits = 0;
        while (digits < rest.size() &&
               ((rest[digits] >= '0' && rest[digits] <= '9') || rest[digits] == '.')) {
            ++digits;
        }
        if (digits == 0) fail("invalid duration \"{}\"", text);
        const std::string number(rest.substr(0, digits));
        rest.remove_prefix(digits);
        char* end = nullptr;
        const double value = std::strtod(number.c_str(), &end);
        if (end != number.c_str() + number.size()) fail("invalid duration \"{}\"", text);
        const Unit* unit = nullptr;
        for (const Unit& candidate : kUnits) {
            // Longest match first matters only for "ms" against "m"; the table lists "ms" first.
            if (rest.starts_with(candidate.name)) {
                unit = &candidate;
                break;
            }
        }
        if (unit == nullptr) fail("invalid duration \"{}\": missing or unknown unit", text);
        rest.remove_prefix(unit->name.size());
        total += value * unit->nanoseconds;
    }
    if (total > 9.2e18) fail("invalid duration \"{}\": too long", text);
    return std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(negative ? -total : total)));
}

}  // namespace

void add_events_command(CLI::App& app, CommandContext& context) {
    struct Args {
        std::string id;
        std::string interval = "5s";
        bool stats = false;
    };
    auto args = std::make_shared<Args>();
    auto* command = app.add_subcommand(
        "events", "stream a container's stats and OOM events as JSON lines until it stops");
    command->add_option("--interval", args->interval, "time between stats (default 5s)");
    command->add_flag("--stats", args->stats, "print one stats document and exit");
    command->add_option("id", args->id, "container id")->required();
    command->callback([&context, args] {
        context.action = [args](CommandContext& ctx) {
            container::EventsOptions options;
            options.interval = parse_duration(args->interval);
            options.stats_once = args->stats;
            state::StateStore store(ctx.globals.root);
            container::events(store, args->id, options, [](const std::string& line) {
                std::fwrite(line.data(), 1, line.size(), stdout);
                std::fputc('\n', stdout);
                std::fflush(stdout);  // a consumer reads the stream as it comes
            });
            return 0;
        };
    });
}

}  // namespace hako::cli
