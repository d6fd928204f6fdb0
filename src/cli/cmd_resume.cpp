#include "command.hpp"
#include "container/lifecycle.hpp"

namespace hako::cli {

void add_resume_command(CLI::App& app, CommandContext& context) {
    auto id = std::make_shared<std::string>();
    auto* command = app.add_subcommand("resume", "resume every process of a paused container");
    command->add_option("id", *id, "container id")->required();
    command->callback([&context, id] {
        context.action = [id](CommandContext& ctx) {
            state::StateStore store(ctx.globals.root);
            container::resume(store, *id);
            return 0;
        };
    });
}

}  // namespace hako::cli
