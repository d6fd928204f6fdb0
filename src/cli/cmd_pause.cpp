#include "command.hpp"
#include "container/lifecycle.hpp"

namespace hako::cli {

void add_pause_command(CLI::App& app, CommandContext& context) {
    auto id = std::make_shared<std::string>();
    auto* command = app.add_subcommand("pause", "suspend every process of a container");
    command->add_option("id", *id, "container id")->required();
    command->callback([&context, id] {
        context.action = [id](CommandContext& ctx) {
            state::StateStore store(ctx.globals.root);
            container::pause(store, *id);
            return 0;
        };
    });
}

}  // namespace hako::cli
