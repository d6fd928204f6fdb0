/* The kernel's floor for one container: what a minimal program pays for the same work a
 * runtime does for `run` of /bin/true with the default config. It clones with five namespaces
 * (pid, net, ipc, uts, mount), makes a cgroup directory in every hierarchy and moves the child
 * there, mounts what the default spec mounts, pivots into the rootfs, execs /bin/true, reaps
 * it and removes the cgroups. No parsing, no state, no checks: hako's distance from this is
 * its own overhead. It joins the cgroups the cheapest way the kernel offers, as hako does:
 * born into the cgroup2 directory (clone3 CLONE_INTO_CGROUP), and into each v1 hierarchy by
 * writing "0" to its tasks file from the single-threaded child, which skips the global lock
 * (and the RCU grace period) a cgroup.procs write takes. Usage: floor ROOTFS */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <stdint.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_HIERARCHIES 32

static char hierarchies[MAX_HIERARCHIES][256];
static int unified[MAX_HIERARCHIES]; /* 1 for the cgroup2 mount */
static int tasks_fds[MAX_HIERARCHIES]; /* v1: the group's tasks file, -1 for cgroup2 */
static int hierarchy_count;
static const char *rootfs;
static int go_pipe[2];

static void die(const char *what) {
    perror(what);
    exit(1);
}

/* Every cgroup and cgroup2 mount point, from /proc/self/mountinfo. */
static void find_hierarchies(void) {
    FILE *file = fopen("/proc/self/mountinfo", "r");
    char line[4096];
    if (!file) die("mountinfo");
    while (fgets(line, sizeof line, file) && hierarchy_count < MAX_HIERARCHIES) {
        char mount_point[256], *dash = strstr(line, " - ");
        if (!dash || (strncmp(dash + 3, "cgroup ", 7) && strncmp(dash + 3, "cgroup2 ", 8))) continue;
        if (sscanf(line, "%*s %*s %*s %*s %255s", mount_point) == 1) {
            unified[hierarchy_count] = strncmp(dash + 3, "cgroup2 ", 8) == 0;
            strcpy(hierarchies[hierarchy_count++], mount_point);
        }
    }
    fclose(file);
}

static void mount_at(const char *source, const char *target, const char *type, unsigned long flags,
                     const char *data) {
    mkdir(target, 0755);
    if (mount(source, target, type, flags, data) < 0) die(target);
}

/* A v1 cpuset group starts with no cpus and mems and takes no task until they are set. */
static void copy_cpuset(const char *hierarchy, const char *group, const char *file) {
    char path[1024], value[256];
    snprintf(path, sizeof path, "%.255s/%s", hierarchy, file);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    ssize_t length = read(fd, value, sizeof value);
    close(fd);
    snprintf(path, sizeof path, "%.511s/%s", group, file);
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || length <= 0 || write(fd, value, (size_t)length) != length) die(path);
    close(fd);
}

static int child_main(void) {
    char byte;
    for (int i = 0; i < hierarchy_count; ++i)
        if (tasks_fds[i] >= 0 && write(tasks_fds[i], "0", 1) != 1) die("join v1 cgroup");
    close(go_pipe[1]); /* so the read ends if the parent dies */
    if (read(go_pipe[0], &byte, 1) != 1) _exit(1);
    if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) die("rslave");
    if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0) die("bind rootfs");
    if (chdir(rootfs) < 0) die("chdir");
    mount_at("proc", "proc", "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL);
    mount_at("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
    mount_at("devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
             "newinstance,ptmxmode=0666,mode=0620");
    mount_at("shm", "dev/shm", "tmpfs", MS_NOSUID | MS_NOEXEC | MS_NODEV, "mode=1777,size=65536k");
    mount_at("mqueue", "dev/mqueue", "mqueue", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL);
    mount_at("sysfs", "sys", "sysfs", MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY, NULL);
    if (syscall(SYS_pivot_root, ".", ".") < 0) die("pivot_root");
    if (umount2(".", MNT_DETACH) < 0) die("umount old root");
    if (chdir("/") < 0) die("chdir /");
    char *argv[] = {"/bin/true", NULL};
    char *envp[] = {"PATH=/bin", NULL};
    execve(argv[0], argv, envp);
    die("execve");
    return 1;
}

int main(int argc, char **argv) {
    char path[1024];
    int status = 0, cgroup2_fd = -1;
    if (argc != 2) {
        fprintf(stderr, "usage: %s ROOTFS\n", argv[0]);
        return 2;
    }
    rootfs = argv[1];
    find_hierarchies();
    if (pipe2(go_pipe, O_CLOEXEC) < 0) die("pipe");
    for (int i = 0; i < hierarchy_count; ++i) {
        snprintf(path, sizeof path, "%.255s/hako-floor-%d", hierarchies[i], getpid());
        if (mkdir(path, 0755) < 0) die(path);
        tasks_fds[i] = -1;
        if (unified[i]) {
            cgroup2_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (cgroup2_fd < 0) die(path);
            continue;
        }
        copy_cpuset(hierarchies[i], path, "cpuset.cpus");
        copy_cpuset(hierarchies[i], path, "cpuset.mems");
        strcat(path, "/tasks");
        if ((tasks_fds[i] = open(path, O_WRONLY | O_CLOEXEC)) < 0) die(path);
    }
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS;
    args.exit_signal = SIGCHLD;
    if (cgroup2_fd >= 0) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = (uint64_t)cgroup2_fd;
    }
    pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
    if (pid < 0) die("clone3");
    if (pid == 0) _exit(child_main());
    if (write(go_pipe[1], "g", 1) != 1) die("go");
    if (waitpid(pid, &status, 0) < 0) die("waitpid");
    for (int i = 0; i < hierarchy_count; ++i) {
        snprintf(path, sizeof path, "%.255s/hako-floor-%d", hierarchies[i], getpid());
        while (rmdir(path) < 0) {
            if (errno != EBUSY) die(path);
            usleep(100);
        }
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
