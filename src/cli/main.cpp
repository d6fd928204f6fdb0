// hako: the command line. Global flags come before the command, as with runc; each command
// lives in its own cmd_<name>.cpp.
#include "cli11.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <memory>
#include <string_view>
#include <seccomp.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "command.hpp"
#include "security/exe_seal.hpp"
#include "sys/error.hpp"

namespace {

// The commands that create a container's cgroups.
bool makes_cgroups(const CLI::App& app) {
    for (const CLI::App* command : app.get_subcommands()) {
        const std::string& name = command->get_name();
        if (name == "create" || name == "run") return true;
    }
    return false;
}

#ifndef HAKO_COMMIT
#define HAKO_COMMIT "unknown"
#endif

// runc's shape (go-runc parses the first line's "<name> version X"; engines only display it).
void print_version() {
    const scmp_version* seccomp = seccomp_version();
    std::printf("hako version %s\ncommit: %s\nspec: 1.3.0\nlibseccomp: %u.%u.%u\n",
                HAKO_VERSION, HAKO_COMMIT, seccomp->major, seccomp->minor, seccomp->micro);
}

hako::cli::Logger make_logger(const hako::cli::GlobalOptions& globals) {
    return hako::cli::Logger(
        globals.log_path,
        globals.log_format == "json" ? hako::cli::LogFormat::json : hako::cli::LogFormat::text,
        globals.debug);
}

// An error from before the command ran: to the log when --log was parsed and opens (so an
// engine reading the log finds it), else on stderr. Returns the exit code.
int report_early_error(const hako::cli::GlobalOptions& globals, const std::string& message) {
    try {
        make_logger(globals).error(message);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "hako: %s\n", e.what());
        std::fprintf(stderr, "hako: %s\n", message.c_str());
    }
    return 1;
}

using AddCommand = void (*)(CLI::App&, hako::cli::CommandContext&);

struct CommandEntry {
    std::string_view name;
    AddCommand add;
};

constexpr std::array kCommands{
    CommandEntry{"create", hako::cli::add_create_command},
    CommandEntry{"start", hako::cli::add_start_command},
    CommandEntry{"run", hako::cli::add_run_command},
    CommandEntry{"state", hako::cli::add_state_command},
    CommandEntry{"kill", hako::cli::add_kill_command},
    CommandEntry{"delete", hako::cli::add_delete_command},
    CommandEntry{"list", hako::cli::add_list_command},
    CommandEntry{"ls", hako::cli::add_list_command},  // list's alias
    CommandEntry{"spec", hako::cli::add_spec_command},
    CommandEntry{"features", hako::cli::add_features_command},
    CommandEntry{"update", hako::cli::add_update_command},
    CommandEntry{"exec", hako::cli::add_exec_command},
    CommandEntry{"pause", hako::cli::add_pause_command},
    CommandEntry{"resume", hako::cli::add_resume_command},
    CommandEntry{"ps", hako::cli::add_ps_command},
    CommandEntry{"events", hako::cli::add_events_command},
};

// The global options that take a value; needed to find the command word in argv.
constexpr std::array<std::string_view, 4> kValuedGlobals{"--root", "--log", "--log-format",
                                                          "--rootless"};

// The command word of argv (the first argument that is neither a global option nor its
// value), or empty. CLI11 still parses the whole command line; this only decides what to
// register.
std::string_view command_named_in(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg.empty() || arg.front() != '-') return arg;
        if (arg == "--") return {};
        if (std::find(kValuedGlobals.begin(), kValuedGlobals.end(), arg) != kValuedGlobals.end())
            ++i;
    }
    return {};
}

// Building a subcommand's options is a large share of a short command's cost (callgrind:
// about a quarter of `hako state`), so when argv names a known command only that one is
// registered. Otherwise (help, an unknown command, none) all are, so that help lists them
// and errors read as before.
void register_commands(CLI::App& app, hako::cli::CommandContext& context,
                       std::string_view requested) {
    for (const CommandEntry& command : kCommands) {
        if (command.name == requested) {
            command.add(app, context);
            return;
        }
    }
    for (const CommandEntry& command : kCommands)
        if (command.name != "ls") command.add(app, context);
}

}  // namespace

std::function<void()> hako::cli::sealed_reexecution(const CommandContext& context) {
    return [argv = context.argv] {
        hako::security::ensure_sealed_exe(argv, environ);
    };
}

int main(int argc, char** argv) {
    using hako::cli::CommandContext;
    const std::string_view requested = command_named_in(argc, argv);
    // Nothing that shares a pid namespace with a hako process about to enter a container may
    // open its /proc/PID/{exe,fd,mem} (CVE-2016-9962); its children inherit this, and the
    // container process's own execve makes it dumpable again.
    if (requested == "create" || requested == "run" || requested == "exec")
        ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    CommandContext context;
    context.argv = argv;
    auto& globals = context.globals;

    // Owned through a pointer so it can go before the command runs: its memory is then free
    // for the command, and a container's init (a copy of this process) gives it back.
    auto owned_app = std::make_unique<CLI::App>("hako: an OCI container runtime", "hako");
    CLI::App& app = *owned_app;
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

    register_commands(app, context, requested);

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        const std::ios_base::Init standard_streams;  // CLI11 prints help to std::cout (cli11.hpp)
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        // One line, like every other error of hako (an unknown command lands here too).
        return report_early_error(globals, e.what());
    }
    if (version) {
        print_version();
        return 0;
    }
    try {
        context.logger = make_logger(globals);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "hako: %s\n", e.what());
        return 1;
    }
    if (!context.action) {
        std::fputs(app.help().c_str(), stderr);
        return 1;
    }
    const bool makes = makes_cgroups(app);
    owned_app.reset();
    try {
        if (globals.debug) {
            std::string command_line = "hako";
            for (int i = 1; i < argc; ++i) command_line += std::string(" ") + argv[i];
            context.logger.debug(fmt::format("hako {} (commit {}), pid {}: {}", HAKO_VERSION,
                                             HAKO_COMMIT, ::getpid(), command_line));
        }
        // Engines pass --systemd-cgroup on every call; as with runc, only the commands that
        // make cgroups need the driver, and they fail before anything is made.
        if (globals.systemd_cgroup && makes)
            hako::fail("--systemd-cgroup: hako has no systemd cgroup manager; run without "
                       "--systemd-cgroup to use cgroupfs");
        return context.action(context);
    } catch (const std::exception& e) {
        context.logger.error(e.what());
        return 1;
    }
}
