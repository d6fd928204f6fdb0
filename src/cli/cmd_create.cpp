#include "command.hpp"
#include "container/lifecycle.hpp"

namespace hako::cli {

// Options that create and run share, registered on either subcommand.
void add_create_options(CLI::App& command, container::CreateOptions& options) {
    command.add_option("-b,--bundle", options.bundle, "path to the bundle directory");
    command.add_option("--pid-file", options.pid_file, "file to write the init's pid to");
    command.add_flag("--no-pivot", options.no_pivot, "use MS_MOVE and chroot, not pivot_root");
    command.add_flag("--no-new-keyring", options.no_new_keyring,
                     "keep the caller's session keyring");
    command.add_option("--preserve-fds", options.preserve_fds,
                       "pass this many fds after stdio to the container")
        ->check(CLI::NonNegativeNumber);
    command.add_option("--console-socket", options.console_socket,
                       "unix socket that receives the pty master (process.terminal)");
    command.add_option("id", options.id, "container id")->required();
}

void add_create_command(CLI::App& app, CommandContext& context) {
    auto options = std::make_shared<container::CreateOptions>();
    auto* command = app.add_subcommand("create", "create a container");
    add_create_options(*command, *options);
    command->callback([&context, options] {
        context.action = [options](CommandContext& ctx) {
            state::StateStore store(ctx.globals.root);
            options->seal_binary = sealed_reexecution(ctx);
            const auto created = container::create(store, *options);
            for (const auto& warning : created.warnings) ctx.logger.warning(warning);
            return 0;
        };
    });
}

}  // namespace hako::cli
