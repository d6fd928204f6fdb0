#include <cstdio>

#include "command.hpp"
#include "spec/spec.hpp"

namespace hako::cli {

void add_features_command(CLI::App& app, CommandContext& context) {
    auto* command = app.add_subcommand("features", "print the runtime-spec features document");
    command->callback([&context] {
        context.action = [](CommandContext&) {
            const std::string json = spec::features_json();
            std::fwrite(json.data(), 1, json.size(), stdout);
            std::fputc('\n', stdout);
            return 0;
        };
    });
}

}  // namespace hako::cli
