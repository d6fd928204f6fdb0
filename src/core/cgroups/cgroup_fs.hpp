#pragma once
// File and directory primitives shared by the cgroup drivers (private to src/core/cgroups).
// Every failure throws hako::Error naming the file or directory.
#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

namespace hako::cgroups::detail {

// Whole content of a (small, pseudo-)file.
std::string read_file(const std::string& path);

// Writes text with one write(2), as cgroupfs expects one value per write. Failures to open
// are reported as "write <path>" too: to the caller both mean the value did not land.
void write_file(const std::string& path, std::string_view text);

// Like write_file, but returns the errno instead of throwing (0 on success).
int try_write_file(const std::string& path, std::string_view text) noexcept;

// Whitespace-separated words of a cgroupfs list file (cgroup.controllers, ...).
std::vector<std::string> split_words(std::string_view text);

// Creates every missing directory of mount_point + rel (rel starts with "/"), mode 0755, and
// returns the ones it made, outermost first, so a failure can undo exactly those.
std::vector<std::string> make_dirs(const std::string& mount_point, const std::string& rel);

// rmdir of each directory, innermost first, ignoring errors: undoes make_dirs after a failure.
void undo_make_dirs(const std::vector<std::string>& created) noexcept;

// Removes dir and any sub-cgroups below it, deepest first. EBUSY is retried for a while
// because killed processes take a moment to leave; a missing directory is not an error.
void remove_tree(const std::string& dir);

// Pids in cgroup.procs of dir and of every sub-cgroup below it, appended to out. A missing
// directory contributes nothing.
void collect_pids(const std::string& dir, std::vector<pid_t>& out);

// Sorted, unique pids of every dir tree in dirs.
std::vector<pid_t> pids_of(const std::vector<std::string>& dirs);

// kill(pid, signal) for each pid; ESRCH (already gone) is ignored.
void signal_pids(const std::vector<pid_t>& pids, int signal);

// SIGKILLs every process in the dir trees until they are empty, bounded to about two
// seconds; returns whether they emptied (remove_tree reports what is left behind).
bool kill_until_empty(const std::vector<std::string>& dirs);

}  // namespace hako::cgroups::detail
