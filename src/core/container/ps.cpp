// ps: the container's processes, as pids (json) or as the host's `ps` output reduced to the
// container's rows (table), as runc does it.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>

#include "cgroups/manager.hpp"
#include "container/lifecycle.hpp"
#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace hako::container {
namespace {

std::vector<std::string_view> fields_of(std::string_view line) {
    std::vector<std::string_view> fields;
    std::size_t pos = 0;
    while ((pos = line.find_first_not_of(" \t", pos)) != std::string_view::npos) {
        const std::size_t end = std::min(line.find_first_of(" \t", pos), line.size());
        fields.push_back(line.substr(pos, end - pos));
        pos = end;
    }
    return fields;
}

std::vector<std::string_view> lines_of(std::string_view text) {
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        const std::size_t end = std::min(text.find('\n'), text.size());
        lines.push_back(text.substr(0, end));
        text.remove_prefix(std::min(end + 1, text.size()));
    }
    return lines;
}

struct SpawnActions {
    posix_spawn_file_actions_t actions{};
    SpawnActions() { ::posix_spawn_file_actions_init(&actions); }
    ~SpawnActions() { ::posix_spawn_file_actions_destroy(&actions); }
    SpawnActions(const SpawnActions&) = delete;
    SpawnActions& operator=(const SpawnActions&) = delete;
};

// Runs `ps args...` with stdin from /dev/null; returns its stdout and stderr together.
std::string run_ps(const std::vector<std::string>& args) {
    int pipe_fds[2];
    check_sys(::pipe2(pipe_fds, O_CLOEXEC), "pipe2", "for ps");
    sys::UniqueFd read_end(pipe_fds[0]);
    sys::UniqueFd write_end(pipe_fds[1]);

    std::vector<std::string> argv_storage{"ps"};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& arg : argv_storage) argv.push_back(arg.data());
    argv.push_back(nullptr);

    SpawnActions spawn;
    ::posix_spawn_file_actions_addopen(&spawn.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    ::posix_spawn_file_actions_adddup2(&spawn.actions, write_end.get(), STDOUT_FILENO);
    ::posix_spawn_file_actions_adddup2(&spawn.actions, write_end.get(), STDERR_FILENO);
    pid_t child = 0;
    if (int err = ::posix_spawnp(&child, "ps", &spawn.actions, nullptr, argv.data(), environ);
        err != 0) {
        throw_sys_error("exec", "ps", err);
    }
    write_end.reset();

    std::string output;
    char buffer[8192];
    for (;;) {
        const ssize_t n = ::read(read_end.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        output.append(buffer, static_cast<std::size_t>(n));
    }
    int status = 0;
    while (::waitpid(child, &status, 0) < 0) {
        if (errno != EINTR) throw_sys_error("waitpid", "ps");
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        // One line: ps's own complaint, joined.
        std::string message;
        for (std::string_view line : lines_of(output)) {
            if (line.empty()) continue;
            if (!message.empty()) message += "; ";
            message += line;
        }
        fail("ps {}: exit status {}: {}", fmt::join(args, " "),
             WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), message);
    }
    return output;
}

}  // namespace

std::vector<pid_t> processes(state::StateStore& store, const std::string& id) {
    state::ContainerState state;
    {
        const state::ContainerDir dir = store.open(id);
        state = dir.load();
    }
    if (state.cgroup_paths.empty()) return {};
    return state::cgroup_manager(state)->pids();
}

std::string ps_table(state::StateStore& store, const std::string& id,
                     const std::vector<std::string>& ps_args) {
    const std::vector<pid_t> pids = processes(store, id);
    const std::string output = run_ps(ps_args.empty() ? std::vector<std::string>{"-ef"} : ps_args);
    const std::vector<std::string_view> lines = lines_of(output);
    const std::vector<std::string_view> header =
        lines.empty() ? std::vector<std::string_view>{} : fields_of(lines.front());
    const auto pid_column = std::find(header.begin(), header.end(), "PID");
    if (pid_column == header.end()) fail("ps {}: no PID column in its output", fmt::join(ps_args, " "));
    const auto column = static_cast<std::size_t>(pid_column - header.begin());

    std::string table(lines.front());
    table += '\n';
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const auto fields = fields_of(lines[i]);
        if (fields.size() <= column) continue;
        pid_t pid = 0;
        const std::string_view text = fields[column];
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
        if (ec != std::errc{} || end != text.data() + text.size()) continue;
        if (!std::binary_search(pids.begin(), pids.end(), pid)) continue;
        table += lines[i];
        table += '\n';
    }
    return table;
}

}  // namespace hako::container
