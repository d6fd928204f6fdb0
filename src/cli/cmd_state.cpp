#include <cstdio>

#include "command.hpp"
#include "container/lifecycle.hpp"

namespace hako::cli {

void add_state_command(CLI::App& app, CommandContext& context) {
    auto id = std::make_shared<std::string>();
    auto* command = app.add_subcommand("state", "print the state of a container as JSON");
    command->add_option("id", *id, "container id")->required();
    command->callback([&context, id] {
        context.action = [id](CommandContext& ctx) {
            state::StateStore store(ctx.globals.root);
            const std::string json = container::state_json(store, *id);
            std::fwrite(json.data(), 1, json.size(), stdout);
            std::fputc('\n', stdout);
            return 0;
        };
    });
}

}  // namespace hako::cli
