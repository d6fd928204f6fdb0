#include "command.hpp"
#include "container/lifecycle.hpp"

namespace hako::cli {

void add_start_command(CLI::App& app, CommandContext& context) {
    auto id = std::make_shared<std::string>();
    auto* command = app.add_subcommand("start", "start the user process of a created container");
    command->add_option("id", *id, "container id")->required();
    command->callback([&context, id] {
        context.action = [id](CommandContext& ctx) {
            state::StateStore store(ctx.globals.root);
            container::start(store, *id, ctx.logger.warning_sink());
            return 0;
        };
    });
}

}  // namespace hako::cli
