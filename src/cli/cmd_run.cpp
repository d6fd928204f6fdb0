#include "command.hpp"
#include "container/lifecycle.hpp"

namespace hako::cli {

void add_create_options(CLI::App& command, container::CreateOptions& options);

void add_run_command(CLI::App& app, CommandContext& context) {
    auto options = std::make_shared<container::CreateOptions>();
    auto detach = std::make_shared<bool>(false);
    auto keep = std::make_shared<bool>(false);
    auto* command = app.add_subcommand("run", "create and start a container");
    add_create_options(*command, *options);
    command->add_flag("-d,--detach", *detach, "return once started, leaving it running");
    command->add_flag("-t,--tty", options->tty, "give the process a terminal (process.terminal)");
    command->add_flag("--keep", *keep, "accepted for runc compatibility; state is not kept");
    command->callback([&context, options, detach, keep] {
        context.action = [options, detach](CommandContext& ctx) {
            state::StateStore store(ctx.globals.root);
            options->seal_binary = sealed_reexecution(ctx);
            return container::run(store, *options, *detach, ctx.logger.warning_sink());
        };
    });
}

}  // namespace hako::cli
