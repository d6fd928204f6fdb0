#include "command.hpp"
#include "container/lifecycle.hpp"

namespace hako::cli {

void add_delete_command(CLI::App& app, CommandContext& context) {
    struct Args {
        std::string id;
        bool force = false;
    };
    auto args = std::make_shared<Args>();
    auto* command = app.add_subcommand("delete", "delete a container and everything it holds");
    command->add_flag("-f,--force", args->force, "kill a running container first");
    command->add_option("id", args->id, "container id")->required();
    command->callback([&context, args] {
        context.action = [args](CommandContext& ctx) {
            state::StateStore store(ctx.globals.root);
            container::remove(store, args->id, args->force, ctx.logger.warning_sink());
            return 0;
        };
    });
}

}  // namespace hako::cli
