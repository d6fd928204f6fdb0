#include <cstdio>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "container/lifecycle.hpp"
#include "sys/error.hpp"

namespace hako::cli {

void add_ps_command(CLI::App& app, CommandContext& context) {
    struct Args {
        std::string id;
        std::string format = "table";
        std::vector<std::string> ps_args;
    };
    auto args = std::make_shared<Args>();
    auto* command = app.add_subcommand(
        "ps", "list a container's processes: `ps [--format table|json] ID [ps options]`");
    command->add_option("-f,--format", args->format, "table (the host's ps, filtered) or json (pids)");
    command->add_option("id", args->id, "container id")->required();
    // Everything after the id goes to ps verbatim and in order, as with runc: `hako ps ID -o
    // pid,comm` and `hako ps ID -- -o pid,comm`. CLI11 keeps order only in remaining(), so
    // this positional takes nothing (its validator refuses all) and exists so that "--" stays
    // with this command; prefix_command() then passes the rest on as it comes.
    command->add_option("ps-options", args->ps_args, "options for ps (default -ef)")
        ->check(CLI::Validator([](const std::string&) { return std::string("for ps"); }, ""));
    command->validate_positionals();
    command->prefix_command();
    command->callback([&context, args, command] {
        args->ps_args = command->remaining();
        if (!args->ps_args.empty() && args->ps_args.front() == "--") {
            args->ps_args.erase(args->ps_args.begin());
        }
        context.action = [args](CommandContext& ctx) {
            state::StateStore store(ctx.globals.root);
            std::string out;
            if (args->format == "json") {
                // containerd decodes this as a JSON array of pids.
                out = nlohmann::json(container::processes(store, args->id)).dump() + "\n";
            } else if (args->format == "table") {
                out = container::ps_table(store, args->id, args->ps_args);
            } else {
                fail("invalid format option \"{}\" (table or json)", args->format);
            }
            std::fwrite(out.data(), 1, out.size(), stdout);
            return 0;
        };
    });
}

}  // namespace hako::cli
