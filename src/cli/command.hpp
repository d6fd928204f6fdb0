#pragma once
// What every command file shares: the global options and the one action the parsed command
// line selected. Each cmd_<name>.cpp registers its subcommand and sets the action.
#include "cli11.hpp"

#include <functional>
#include <string>

#include "logger.hpp"

namespace hako::cli {

struct GlobalOptions {
    std::string root = "/run/hako";
    std::string log_path;
    std::string log_format = "text";
    bool debug = false;
    bool systemd_cgroup = false;
    std::string rootless = "auto";
};

struct CommandContext {
    GlobalOptions globals;
    Logger logger;
    // Runs the selected command; returns the process exit code.
    std::function<int(CommandContext&)> action;
    // main's argv, for re-executing hako from a sealed binary (security/exe_seal.hpp).
    char** argv = nullptr;
};

// security::ensure_sealed_exe with main's argv and environment, for CreateOptions and
// ExecOptions::seal_binary.
std::function<void()> sealed_reexecution(const CommandContext& context);

void add_create_command(CLI::App& app, CommandContext& context);
void add_start_command(CLI::App& app, CommandContext& context);
void add_run_command(CLI::App& app, CommandContext& context);
void add_state_command(CLI::App& app, CommandContext& context);
void add_kill_command(CLI::App& app, CommandContext& context);
void add_delete_command(CLI::App& app, CommandContext& context);
void add_list_command(CLI::App& app, CommandContext& context);
void add_spec_command(CLI::App& app, CommandContext& context);
void add_features_command(CLI::App& app, CommandContext& context);
void add_update_command(CLI::App& app, CommandContext& context);
void add_exec_command(CLI::App& app, CommandContext& context);
void add_pause_command(CLI::App& app, CommandContext& context);
void add_resume_command(CLI::App& app, CommandContext& context);
void add_ps_command(CLI::App& app, CommandContext& context);
void add_events_command(CLI::App& app, CommandContext& context);

// Parses "9", "KILL" or "SIGKILL" (any case); throws naming the value.
int parse_signal(const std::string& text);

}  // namespace hako::cli
