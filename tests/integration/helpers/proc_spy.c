/* CVE-2016-9962 attacker: a process that must not be able to look into hako's setup
 * processes. Drops CAP_SYS_PTRACE (from every set, bounding included) unless told "keep",
 * then for SECONDS (at least one pass) scans /proc: for each pid other than itself (only PID
 * with "only=PID") it tries PTRACE_SEIZE and lists /proc/PID/fd. Every success is one line of
 * the report, with the process's comm read after the success (comm only changes at execve,
 * so "comm=hako" proves the access happened while hako ran):
 *   "seize pid=N comm=C" or "fd pid=N comm=C fd=M -> target".
 * The last line is "done scanned=<number of pids probed>". */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void read_comm(int pid, char* comm, size_t size) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/comm", pid);
    snprintf(comm, size, "?");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    ssize_t n = read(fd, comm, size - 1);
    close(fd);
    if (n <= 0) return;
    comm[n] = 0;
    for (char* c = comm; *c; ++c)
        if (*c == '\n' || *c == ' ') *c = 0;
}

static int drop_ptrace_cap(void) {
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    if (syscall(SYS_capget, &header, data) < 0) return -1;
    unsigned bit = CAP_SYS_PTRACE;
    data[bit / 32].effective &= ~(1u << (bit % 32));
    data[bit / 32].permitted &= ~(1u << (bit % 32));
    data[bit / 32].inheritable &= ~(1u << (bit % 32));
    if (prctl(PR_CAPBSET_DROP, CAP_SYS_PTRACE, 0, 0, 0) < 0 && errno != EINVAL && errno != EPERM)
        return -1;
    return (int)syscall(SYS_capset, &header, data);
}

int main(int argc, char** argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s SECONDS REPORT [keep] [only=PID]\n", argv[0]);
        return 2;
    }
    int keep = 0, only = 0;
    for (int i = 3; i < argc; ++i) {
        if (strcmp(argv[i], "keep") == 0) keep = 1;
        if (strncmp(argv[i], "only=", 5) == 0) only = atoi(argv[i] + 5);
    }
    if (!keep && drop_ptrace_cap() < 0) {
        perror("drop CAP_SYS_PTRACE");
        return 3;
    }
    FILE* out = fopen(argv[2], "w");
    if (!out) return 4;
    setvbuf(out, NULL, _IOLBF, 0);
    double deadline = now() + atof(argv[1]);
    int self = getpid();
    long scanned = 0;
    int first = 1;
    while (first || now() < deadline) {
        first = 0;
        DIR* proc = opendir("/proc");
        if (!proc) return 5;
        struct dirent* entry;
        while ((entry = readdir(proc)) != NULL) {
            int pid = atoi(entry->d_name);
            if (pid <= 0 || pid == self || (only && pid != only)) continue;
            ++scanned;
            char comm[64];
            if (ptrace(PTRACE_SEIZE, pid, 0, 0) == 0) {
                read_comm(pid, comm, sizeof comm);
                fprintf(out, "seize pid=%d comm=%s\n", pid, comm);
                /* A running tracee cannot be detached: stop it first, or it stays traced and
                 * stops at its next signal until this spy exits. */
                if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) == 0) {
                    int status;
                    waitpid(pid, &status, __WALL);
                }
                ptrace(PTRACE_DETACH, pid, 0, 0);
            }
            char dir[64];
            snprintf(dir, sizeof dir, "/proc/%d/fd", pid);
            DIR* fds = opendir(dir);
            if (!fds) continue;
            struct dirent* fd;
            while ((fd = readdir(fds)) != NULL) {
                if (fd->d_name[0] == '.') continue;
                char path[384], target[512];
                snprintf(path, sizeof path, "%s/%s", dir, fd->d_name);
                ssize_t n = readlink(path, target, sizeof target - 1);
                if (n < 0) continue;
                target[n] = 0;
                read_comm(pid, comm, sizeof comm);
                fprintf(out, "fd pid=%d comm=%s fd=%s -> %s\n", pid, comm, fd->d_name, target);
            }
            closedir(fds);
        }
        closedir(proc);
    }
    fprintf(out, "done scanned=%ld\n", scanned);
    fclose(out);
    return 0;
}
