#include <fcntl.h>
#include <unistd.h>

#include "command.hpp"
#include "spec/spec.hpp"
#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace hako::cli {

void add_spec_command(CLI::App& app, CommandContext& context) {
    struct Args {
        std::string bundle = ".";
        bool rootless = false;
    };
    auto args = std::make_shared<Args>();
    auto* command = app.add_subcommand("spec", "write a default config.json into the bundle");
    command->add_option("-b,--bundle", args->bundle, "bundle directory");
    command->add_flag("--rootless", args->rootless, "a config for a rootless container");
    command->callback([&context, args] {
        context.action = [args](CommandContext&) {
            const std::string path = args->bundle + "/config.json";
            const sys::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
            if (!fd) {
                if (errno == EEXIST) fail("{} exists; remove it first", path);
                throw_sys_error("create", path);
            }
            const std::string json = spec::default_spec_json(args->rootless);
            if (::write(fd.get(), json.data(), json.size()) != static_cast<ssize_t>(json.size()))
                throw_sys_error("write", path);
            return 0;
        };
    });
}

}  // namespace hako::cli
