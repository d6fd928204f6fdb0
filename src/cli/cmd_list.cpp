#include <algorithm>
#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "command.hpp"
#include "container/lifecycle.hpp"

namespace hako::cli {
namespace {

constexpr std::size_t kColumns = 6;
using Cells = std::array<std::string_view, kColumns>;

// Columns as runc's tabwriter lays them out: at least 12 wide, one space of padding. The
// widths are known only once every container is read, so each row is kept meanwhile as one
// string, its cells separated by NUL (which neither an id nor a path can hold): a thousand
// containers cost a thousand small strings, not a thousand listings.
class Table {
public:
    Table() { add(kHeader); }

    void add(const container::ListEntry& entry) {
        const std::string pid =
            std::to_string(entry.status == state::Status::stopped ? 0 : entry.pid);
        add({entry.id, pid, state::status_name(entry.status), entry.bundle, entry.created,
             entry.owner.empty() ? std::string_view("root") : std::string_view(entry.owner)});
    }

    void print() const {
        std::string line;  // one row at a time through stdio's buffer
        for (const auto& row : rows_) {
            line.clear();
            std::size_t column = 0;
            for (std::size_t start = 0;; ++column) {
                const std::size_t end = std::min(row.find('\0', start), row.size());
                line.append(row, start, end - start);
                if (end == row.size()) break;
                line.append(widths_[column] - (end - start), ' ');
                start = end + 1;
            }
            line += '\n';
            std::fwrite(line.data(), 1, line.size(), stdout);
        }
    }

private:
    static constexpr Cells kHeader{"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"};

    void add(const Cells& cells) {
        std::string row;
        for (std::size_t i = 0; i < kColumns; ++i) {
            widths_[i] = std::max({widths_[i], cells[i].size() + 1, std::size_t{12}});
            if (i > 0) row += '\0';
            row += cells[i];
        }
        rows_.push_back(std::move(row));
    }

    std::vector<std::string> rows_;
    std::array<std::size_t, kColumns> widths_{};
};

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
            if (args->quiet) {
                container::list(store, [](const container::ListEntry& entry) {
                    std::printf("%s\n", entry.id.c_str());
                });
            } else if (args->format == "json") {
                // One compact array, written as the containers are read.
                const char* separator = "[";
                container::list(store, [&separator](const container::ListEntry& entry) {
                    const std::string json =
                        nlohmann::ordered_json::parse(entry.oci_json()).dump();
                    std::printf("%s%s", separator, json.c_str());
                    separator = ",";
                });
                std::printf("%s]\n", *separator == '[' ? "[" : "");
            } else {
                Table table;
                container::list(store,
                                [&table](const container::ListEntry& entry) { table.add(entry); });
                table.print();
            }
            return 0;
        };
    });
}

}  // namespace hako::cli
