// hako: the command line. Global flags come before the command, as with runc; each command
// lives in its own cmd_<name>.cpp.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <seccomp.h>

#include "command.hpp"
#include "sys/error.hpp"

namespace {

void print_version() {
    const scmp_version* seccomp = seccomp_version();
    std::printf("hako version %s\nspec: 1.3.0\nlibseccomp: %u.%u.%u\n", HAKO_VERSION,
                seccomp->major, seccomp->minor, seccomp->micro);
}

}  // namespace

int main(int argc, char** argv) {
    using hako::cli::CommandContext;
    CommandContext context;
    auto& globals = context.globals;

    CLI::App app{"hako: an OCI container runtime", "hako"};
    app.require_subcommand(0, 1);
    bool version = false;
    app.add_flag("-v,--version", version, "print the version");
    app.add_option("--root", globals.root, "root directory for container state")
        ->capture_default_str();
    app.add_option("--log", globals.log_path, "log file (default: stderr)");
    app.add_option("--log-format", globals.log_format, "log format: text or json")
        ->check(CLI::IsMember({"text", "json"}));
    app.add_flag("--debug", globals.debug, "log debug messages");
    app.add_flag("--systemd-cgroup", globals.systemd_cgroup, "use the systemd cgroup driver");
    app.add_option("--rootless", globals.rootless, "rootless mode: auto, true or false")
        ->check(CLI::IsMember({"auto", "true", "false"}));

    hako::cli::add_create_command(app, context);
    hako::cli::add_start_command(app, context);
    hako::cli::add_run_command(app, context);
    hako::cli::add_state_command(app, context);
    hako::cli::add_kill_command(app, context);
    hako::cli::add_delete_command(app, context);
    hako::cli::add_list_command(app, context);
    hako::cli::add_spec_command(app, context);
    hako::cli::add_features_command(app, context);

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        // One line, like every other error of hako.
        std::fprintf(stderr, "hako: %s\n", e.what());
        return 1;
    }
    if (version) {
        print_version();
        return 0;
    }
    context.logger = hako::cli::Logger(
        globals.log_path,
        globals.log_format == "json" ? hako::cli::LogFormat::json : hako::cli::LogFormat::text,
        globals.debug);
    if (!context.action) {
        std::fputs(app.help().c_str(), stderr);
        return 1;
    }
    try {
        if (globals.systemd_cgroup)
            hako::fail("--systemd-cgroup: the systemd cgroup driver is not supported yet "
                       "(this host has no systemd); use the cgroupfs driver");
        return context.action(context);
    } catch (const std::exception& e) {
        context.logger.error(e.what());
        return 1;
    }
}
