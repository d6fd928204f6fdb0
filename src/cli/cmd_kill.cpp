#include "command.hpp"
#include "container/lifecycle.hpp"

namespace hako::cli {

void add_kill_command(CLI::App& app, CommandContext& context) {
    struct Args {
        std::string id;
        std::string signal = "SIGTERM";
        bool all = false;
    };
    auto args = std::make_shared<Args>();
    auto* command = app.add_subcommand("kill", "send a signal to a container's init");
    command->add_flag("-a,--all", args->all, "signal every process of the container");
    command->add_option("id", args->id, "container id")->required();
    command->add_option("signal", args->signal, "signal name or number (default SIGTERM)");
    command->callback([&context, args] {
        context.action = [args](CommandContext& ctx) {
            const int signal = parse_signal(args->signal);
            state::StateStore store(ctx.globals.root);
            container::kill(store, args->id, signal, args->all);
            return 0;
        };
    });
}

}  // namespace hako::cli
