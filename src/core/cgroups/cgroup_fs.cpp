#include "cgroups/cgroup_fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <memory>
#include <thread>

#include "sys/error.hpp"
#include "sys/text.hpp"
#include "sys/unique_fd.hpp"

namespace hako::cgroups::detail {

namespace {

using namespace std::chrono_literals;

// Reads path into out; returns 0 or the errno, and which step failed through step.
int try_read_file(const std::string& path, std::string& out, const char*& step) noexcept {
    step = "open";
    sys::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return errno;
    step = "read";
    out.clear();
    char buffer[4096];
    for (;;) {
        ssize_t n = ::read(fd.get(), buffer, sizeof(buffer));
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        if (n == 0) return 0;
        out.append(buffer, static_cast<std::size_t>(n));
    }
}

struct DirCloser {
    void operator()(DIR* dir) const noexcept { ::closedir(dir); }
};
using DirPtr = std::unique_ptr<DIR, DirCloser>;

// Sub-cgroups (subdirectories) of dir; empty when dir no longer exists.
std::vector<std::string> subdirs(const std::string& dir) {
    std::vector<std::string> result;
    sys::UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT) return result;
        throw_sys_error("open", dir);
    }
    DirPtr stream(::fdopendir(fd.get()));
    if (!stream) throw_sys_error("opendir", dir);
    (void)fd.release();  // the DIR stream owns the fd now
    for (;;) {
        errno = 0;
        const dirent* entry = ::readdir(stream.get());
        if (entry == nullptr) {
            if (errno != 0) throw_sys_error("readdir", dir);
            break;
        }
        std::string_view name = entry->d_name;
        if (entry->d_type != DT_DIR || name == "." || name == "..") continue;
        result.push_back(dir + "/" + std::string(name));
    }
    return result;
}

}  // namespace

std::string read_file(const std::string& path) {
    std::string text;
    const char* step = nullptr;
    if (int err = try_read_file(path, text, step); err != 0) throw_sys_error(step, path, err);
    return text;
}

int try_write_file(const std::string& path, std::string_view text) noexcept {
    sys::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) return errno;
    ssize_t n;
    do {
        n = ::write(fd.get(), text.data(), text.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) return errno;
    return 0;
}

void write_file(const std::string& path, std::string_view text) {
    if (int err = try_write_file(path, text); err != 0) throw_sys_error("write", path, err);
}

std::vector<std::string> split_words(std::string_view text) {
    const std::vector<std::string_view> views = sys::words(text);
    return {views.begin(), views.end()};
}

std::vector<std::string> make_dirs(const std::string& mount_point, const std::string& rel) {
    std::vector<std::string> created;
    std::string path = mount_point;
    std::size_t pos = 0;
    while (pos < rel.size()) {
        std::size_t start = rel.find_first_not_of('/', pos);
        if (start == std::string::npos) break;
        std::size_t end = rel.find('/', start);
        if (end == std::string::npos) end = rel.size();
        path += '/';
        path.append(rel, start, end - start);
        pos = end;
        if (::mkdir(path.c_str(), 0755) == 0) {
            created.push_back(path);
        } else if (errno != EEXIST) {
            int err = errno;
            undo_make_dirs(created);
            throw_sys_error("mkdir", path, err);
        }
    }
    return created;
}

void undo_make_dirs(const std::vector<std::string>& created) noexcept {
    for (auto it = created.rbegin(); it != created.rend(); ++it) ::rmdir(it->c_str());
}

void remove_tree(const std::string& dir) {
    for (const std::string& sub : subdirs(dir)) remove_tree(sub);
    // A process that was just killed stays in its cgroup until it has finished exiting.
    constexpr int kAttempts = 50;
    for (int attempt = 1;; ++attempt) {
        if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return;
        if (errno != EBUSY || attempt == kAttempts) throw_sys_error("rmdir", dir);
        std::this_thread::sleep_for(20ms);
    }
}

void collect_pids(const std::string& dir, std::vector<pid_t>& out) {
    std::string path = dir + "/cgroup.procs";
    std::string text;
    const char* step = nullptr;
    if (int err = try_read_file(path, text, step); err != 0) {
        if (err == ENOENT) return;  // the cgroup is gone: nothing lives in it
        throw_sys_error(step, path, err);
    }
    for (const std::string& word : split_words(text)) {
        pid_t pid = 0;
        auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), pid);
        if (ec != std::errc{} || end != word.data() + word.size() || pid <= 0) {
            fail("read {}: unexpected pid \"{}\"", path, word);
        }
        out.push_back(pid);
    }
    for (const std::string& sub : subdirs(dir)) collect_pids(sub, out);
}

std::vector<pid_t> pids_of(const std::vector<std::string>& dirs) {
    std::vector<pid_t> pids;
    for (const std::string& dir : dirs) collect_pids(dir, pids);
    std::sort(pids.begin(), pids.end());
    pids.erase(std::unique(pids.begin(), pids.end()), pids.end());
    return pids;
}

void signal_pids(const std::vector<pid_t>& pids, int signal) {
    for (pid_t pid : pids) {
        if (::kill(pid, signal) < 0 && errno != ESRCH) {
            throw_sys_error("kill", fmt::format("{} (signal {})", pid, signal));
        }
    }
}

bool kill_until_empty(const std::vector<std::string>& dirs) {
    const auto deadline = std::chrono::steady_clock::now() + 2s;
    auto delay = 1ms;
    for (;;) {
        std::vector<pid_t> pids = pids_of(dirs);
        if (pids.empty()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        // Repeated because a process may fork between reading cgroup.procs and the kill.
        signal_pids(pids, SIGKILL);
        std::this_thread::sleep_for(delay);
        delay = std::min<std::chrono::milliseconds>(delay * 2, 50ms);
    }
}

}  // namespace hako::cgroups::detail
