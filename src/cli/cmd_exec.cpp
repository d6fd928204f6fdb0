#include "command.hpp"
#include "container/lifecycle.hpp"

namespace hako::cli {

void add_exec_command(CLI::App& app, CommandContext& context) {
    auto options = std::make_shared<container::ExecOptions>();
    auto* command = app.add_subcommand(
        "exec", "run a new process inside a container: exec [OPTIONS] ID COMMAND [ARGS...]");
    // As with runc, option parsing stops at the container id: what follows is the command
    // and its own options ("exec ID sh -c 'ls -l'").
    command->prefix_command();
    command->add_option("-p,--process", options->process_file, "path to a process.json");
    command->add_flag("-d,--detach", options->detach, "return once the process runs");
    command->add_option("--pid-file", options->pid_file, "file to write the process id to");
    command->add_flag("-t,--tty", options->tty, "allocate a pseudo-TTY");
    command->add_option("--console-socket", options->console_socket,
                        "unix socket that receives the pty master (with -t and -d)");
    command->add_option("--cwd", options->cwd, "working directory in the container");
    command->add_option("-e,--env", options->env, "set an environment variable KEY=VALUE")
        ->allow_extra_args(false);
    command->add_option("-u,--user", options->user, "UID[:GID], numeric only");
    command->add_option("-g,--additional-gids", options->additional_gids,
                        "an additional gid (repeatable)")
        ->allow_extra_args(false);
    command->add_option("-c,--cap", options->caps, "add a capability, e.g. CAP_NET_ADMIN")
        ->allow_extra_args(false);
    command->add_flag("--no-new-privs", options->no_new_privs, "set no_new_privs");
    command->add_option("--apparmor", options->apparmor, "AppArmor profile for the process");
    command->add_option("--process-label", options->process_label, "SELinux label");
    command->add_option("--preserve-fds", options->preserve_fds,
                        "pass this many fds after stdio to the process")
        ->check(CLI::NonNegativeNumber);
    command->add_option("--cgroup", options->cgroups,
                        "run in an existing sub-cgroup: [controller[,controller]:]path")
        ->allow_extra_args(false);
    command->add_flag("--ignore-paused", options->ignore_paused, "allow exec in a paused container");
    auto no_subreaper = std::make_shared<bool>(false);
    command->add_flag("--no-subreaper", *no_subreaper,
                      "accepted for runc compatibility; hako never subreaps");
    command->callback([&context, options, command, no_subreaper] {
        std::vector<std::string> rest = command->remaining();
        if (rest.empty()) throw CLI::ValidationError("exec", "a container id is required");
        options->id = rest.front();
        // "exec ID -- CMD": runc would run "--"; no program has that name, so it is skipped.
        const auto first = rest.size() > 1 && rest[1] == "--" ? rest.begin() + 2 : rest.begin() + 1;
        options->args.assign(first, rest.end());
        context.action = [options](CommandContext& ctx) {
            options->on_warning = [&ctx](const std::string& warning) {
                ctx.logger.warning(warning);
            };
            try {
                state::StateStore store(ctx.globals.root);
                options->seal_binary = sealed_reexecution(ctx);
                return container::exec(store, *options);
            } catch (const std::exception& error) {
                // runc exits 255 when exec itself fails, apart from any exit code of the process.
                ctx.logger.error(error.what());
                return 255;
            }
        };
    });
}

}  // namespace hako::cli
