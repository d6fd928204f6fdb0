#include <algorithm>
#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "container/lifecycle.hpp"

namespace hako::cli {
namespace {

void print_table(const std::vector<container::ListEntry>& entries) {
    using Row = std::array<std::string, 6>;
    std::vector<Row> rows{{"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"}};
    for (const auto& entry : entries) {
        const bool stopped = entry.status == state::Status::stopped;
        rows.push_back({entry.state.id, std::to_string(stopped ? 0 : entry.state.pid),
                        std::string(state::status_name(entry.status)), entry.state.bundle,
                        entry.state.created, entry.state.owner.empty() ? "root" : entry.state.owner});
    }
    // Columns as runc's tabwriter lays them out: at least 12 wide, one space of padding.
    std::array<std::size_t, 6> widths{};
    for (const auto& row : rows)
        for (std::size_t i = 0; i < row.size(); ++i)
            widths[i] = std::max({widths[i], row[i].size() + 1, std::size_t{12}});
    std::string out;
    for (const auto& row : rows) {
        for (std::size_t i = 0; i < row.size(); ++i) {
            out += row[i];
            if (i + 1 < row.size()) out.append(widths[i] - row[i].size(), ' ');
        }
        out += '\n';
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
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
                for (const auto& entry : entries) std::printf("%s\n", entry.state.id.c_str());
            } else if (args->format == "json") {
                nlohmann::ordered_json array = nlohmann::ordered_json::array();
                for (const auto& entry : entries)
                    array.push_back(
                        nlohmann::ordered_json::parse(state::to_oci_json(entry.state, entry.status)));
                std::printf("%s\n", array.dump().c_str());
            } else {
                print_table(entries);
            }
            return 0;
        };
    });
}

}  // namespace hako::cli
