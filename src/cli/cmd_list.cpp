#include <algorithm>
#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "container/lifecycle.hpp"

namespace hako::cli {
namespace {

// Columns as runc's tabwriter lays them out: at least 12 wide, one space of padding. Widths
// come from the entries themselves, so the table is written once, without a copy of every
// cell (a thousand containers).
void print_table(const std::vector<container::ListEntry>& entries) {
    constexpr std::array<std::string_view, 6> kHeader{"ID",      "PID",     "STATUS",
                                                      "BUNDLE",  "CREATED", "OWNER"};
    auto cells = [](const container::ListEntry& entry, const std::string& pid) {
        const std::string& owner = entry.owner;
        return std::array<std::string_view, 6>{
            entry.id, pid, state::status_name(entry.status), entry.bundle,
            entry.created, owner.empty() ? std::string_view("root") : owner};
    };
    auto pid_of = [](const container::ListEntry& entry) {
        return std::to_string(entry.status == state::Status::stopped ? 0 : entry.pid);
    };
    std::array<std::size_t, 6> widths{};
    auto widen = [&widths](const std::array<std::string_view, 6>& row) {
        for (std::size_t i = 0; i < row.size(); ++i)
            widths[i] = std::max({widths[i], row[i].size() + 1, std::size_t{12}});
    };
    widen(kHeader);
    for (const auto& entry : entries) widen(cells(entry, pid_of(entry)));
    std::string line;  // one row at a time through stdio's buffer
    auto print_row = [&line, &widths](const std::array<std::string_view, 6>& row) {
        line.clear();
        for (std::size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size()) line.append(widths[i] - row[i].size(), ' ');
        }
        line += '\n';
        std::fwrite(line.data(), 1, line.size(), stdout);
    };
    print_row(kHeader);
    for (const auto& entry : entries) print_row(cells(entry, pid_of(entry)));
}

}  // namespace

void add_list_command(CLI::App& app, CommandContext& context) {
    struct Args {
        std::string format = "table";
        bool quiet = false;
    };
    auto args = std::make_shared<Args>();
    auto* command = app.add_subcommand("list", "list the containers under --root");
    command->alias("ls");
    command->add_option("-f,--format", args->format, "table or json")
        ->check(CLI::IsMember({"table", "json"}));
    command->add_flag("-q,--quiet", args->quiet, "print only the ids");
    command->callback([&context, args] {
        context.action = [args](CommandContext& ctx) {
            state::StateStore store(ctx.globals.root);
            const auto entries = container::list(store);
            if (args->quiet) {
                for (const auto& entry : entries) std::printf("%s\n", entry.id.c_str());
            } else if (args->format == "json") {
                nlohmann::ordered_json array = nlohmann::ordered_json::array();
                for (const auto& entry : entries)
                    array.push_back(
                        nlohmann::ordered_json::parse(entry.oci_json()));
                std::printf("%s\n", array.dump().c_str());
            } else {
                print_table(entries);
            }
            return 0;
        };
    });
}

}  // namespace hako::cli
