// hako update: runc's flags (or a LinuxResources document with -r, as containerd and Podman
// send it) become a Resources change for container::update.
#include <unistd.h>

#include <charconv>
#include <limits>

#include "cgroups/conversions.hpp"
#include "command.hpp"
#include "container/lifecycle.hpp"
#include "sys/error.hpp"
#include "sys/file_io.hpp"

namespace hako::cli {
namespace {

constexpr const char* kWhere = "resources";

template <typename T>
T parse_number(const std::string& text, const std::string& option) {
    T value{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) {
        fail("invalid value for --{}: \"{}\" is not {}", option, text,
             std::numeric_limits<T>::is_signed ? "an integer" : "an unsigned integer");
    }
    return value;
}

std::string read_resources(const std::string& source) {
    if (source == "-") return sys::read_all(STDIN_FILENO, "standard input");
    return sys::read_file(source);
}

// The value flags, by runc's names; each is only used when given.
struct Flags {
    std::string resources;
    std::map<std::string, std::string> values;
};

constexpr const char* kValueFlags[] = {
    "blkio-weight", "cpu-period", "cpu-quota", "cpu-burst", "cpu-share", "cpu-rt-period",
    "cpu-rt-runtime", "cpuset-cpus", "cpuset-mems", "kernel-memory", "kernel-memory-tcp",
    "memory", "cpu-idle", "memory-reservation", "memory-swap", "pids-limit",
    "l3-cache-schema", "mem-bw-schema",
};

cgroups::Resources from_flags(const std::map<std::string, std::string>& values, Logger& logger) {
    cgroups::Resources r;
    const auto get = [&](const char* name) -> const std::string* {
        const auto it = values.find(name);
        return it == values.end() ? nullptr : &it->second;
    };
    auto& cpu = r.cpu.emplace();
    auto& memory = r.memory.emplace();
    if (const auto* v = get("blkio-weight")) {
        const auto weight = parse_number<std::uint16_t>(*v, "blkio-weight");
        if (weight != 0) r.block_io.emplace().weight = weight;
    }
    if (const auto* v = get("cpuset-cpus"); v && !v->empty()) cpu.cpus = *v;
    if (const auto* v = get("cpuset-mems"); v && !v->empty()) cpu.mems = *v;
    if (const auto* v = get("cpu-idle")) cpu.idle = parse_number<std::int64_t>(*v, "cpu-idle");
    if (const auto* v = get("cpu-burst")) cpu.burst = parse_number<std::uint64_t>(*v, "cpu-burst");
    if (const auto* v = get("cpu-period")) cpu.period = parse_number<std::uint64_t>(*v, "cpu-period");
    if (const auto* v = get("cpu-rt-period")) {
        cpu.realtime_period = parse_number<std::uint64_t>(*v, "cpu-rt-period");
    }
    if (const auto* v = get("cpu-share")) cpu.shares = parse_number<std::uint64_t>(*v, "cpu-share");
    if (const auto* v = get("cpu-quota")) cpu.quota = parse_number<std::int64_t>(*v, "cpu-quota");
    if (const auto* v = get("cpu-rt-runtime")) {
        cpu.realtime_runtime = parse_number<std::int64_t>(*v, "cpu-rt-runtime");
    }
    if (const auto* v = get("memory")) memory.limit = cgroups::parse_ram_in_bytes(*v, "--memory");
    if (const auto* v = get("memory-swap")) {
        memory.swap = cgroups::parse_ram_in_bytes(*v, "--memory-swap");
    }
    if (const auto* v = get("memory-reservation")) {
        memory.reservation = cgroups::parse_ram_in_bytes(*v, "--memory-reservation");
    }
    for (const char* ignored : {"kernel-memory", "kernel-memory-tcp"}) {
        if (get(ignored) != nullptr) logger.warning(fmt::format("Setting --{} is ignored", ignored));
    }
    if (const auto* v = get("pids-limit")) {
        r.pids.emplace().limit = parse_number<std::int64_t>(*v, "pids-limit");
    }
    for (const char* rdt : {"l3-cache-schema", "mem-bw-schema"}) {
        if (get(rdt) != nullptr) fail("--{}: Intel RDT is not supported by hako", rdt);
    }
    if (cpu == cgroups::CpuResources{}) r.cpu.reset();
    if (memory == cgroups::MemoryResources{}) r.memory.reset();
    return r;
}

}  // namespace

void add_update_command(CLI::App& app, CommandContext& context) {
    struct Args {
        std::string id;
        Flags flags;
        std::map<std::string, CLI::Option*> options;  // valid while parsing only
        std::map<std::string, std::string> given;     // the flags on the command line
    };
    auto args = std::make_shared<Args>();
    auto* command = app.add_subcommand("update", "update container resource constraints");
    command->add_option("-r,--resources", args->flags.resources,
                        "file with the LinuxResources to update ('-' for stdin); all other "
                        "options are then ignored");
    const std::map<std::string, std::string> help = {
        {"blkio-weight", "per-cgroup block IO weight, 10 to 1000"},
        {"cpu-period", "CPU CFS period (microseconds)"},
        {"cpu-quota", "CPU CFS quota (microseconds per period)"},
        {"cpu-burst", "CPU CFS burst (microseconds)"},
        {"cpu-share", "CPU shares (relative weight)"},
        {"cpu-rt-period", "CPU realtime period (microseconds)"},
        {"cpu-rt-runtime", "CPU realtime runtime (microseconds per period)"},
        {"cpuset-cpus", "CPUs to run on"},
        {"cpuset-mems", "memory nodes to use"},
        {"kernel-memory", "(obsolete, ignored)"},
        {"kernel-memory-tcp", "(obsolete, ignored)"},
        {"memory", "memory limit (bytes, or 64k, 512m, 1g...; -1 for none)"},
        {"cpu-idle", "1: SCHED_IDLE for the cgroup, 0: normal"},
        {"memory-reservation", "memory soft limit"},
        {"memory-swap", "memory + swap limit; -1 for unlimited swap"},
        {"pids-limit", "maximum number of pids (-1: no limit)"},
        {"l3-cache-schema", "Intel RDT L3 cache schema (unsupported)"},
        {"mem-bw-schema", "Intel RDT memory bandwidth schema (unsupported)"},
    };
    for (const char* name : kValueFlags) {
        // Docker's spelling of runc's --cpu-share is accepted too.
        const std::string names = std::string_view(name) == "cpu-share"
                                      ? "--cpu-share,--cpu-shares"
                                      : fmt::format("--{}", name);
        args->options[name] =
            command->add_option(names, args->flags.values[name], help.at(name));
    }
    command->add_option("id", args->id, "container id")->required();
    command->callback([&context, args] {
        // Which flags were given is asked of the parser now: main() lets the parser go before
        // the command runs.
        for (const auto& [name, option] : args->options) {
            if (option->count() > 0) args->given[name] = args->flags.values.at(name);
        }
        args->options.clear();
        context.action = [args](CommandContext& ctx) {
            cgroups::Resources changes;
            if (!args->flags.resources.empty()) {
                changes = cgroups::parse_resources(read_resources(args->flags.resources), kWhere);
            } else {
                changes = from_flags(args->given, ctx.logger);
            }
            state::StateStore store(ctx.globals.root);
            for (const std::string& warning : container::update(store, args->id, changes, kWhere)) {
                ctx.logger.warning(warning);
            }
            return 0;
        };
    });
}

}  // namespace hako::cli
