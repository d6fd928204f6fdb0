/* The kernel's floor for one container: what a minimal program pays for the same work a
 * runtime does for `run` of /bin/true with the default config. It clones with five namespaces
 * (pid, net, ipc, uts, mount), makes a cgroup directory in every hierarchy and moves the child
 * there, mounts what the default spec mounts, pivots into the rootfs, execs /bin/true, reaps
 * it and removes the cgroups. No parsing, no state, no checks: hako's distance from this is
 * its own overhead. Usage: floor ROOTFS */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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
        if (sscanf(line, "%*s %*s %*s %*s %255s", mount_point) == 1)
            strcpy(hierarchies[hierarchy_count++], mount_point);
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

static int child_main(void *arg) {
    char byte;
    (void)arg;
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
    static char stack[64 * 1024] __attribute__((aligned(16)));
    char path[1024];
    int status = 0;
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
        copy_cpuset(hierarchies[i], path, "cpuset.cpus");
        copy_cpuset(hierarchies[i], path, "cpuset.mems");
    }
    pid_t pid = clone(child_main, stack + sizeof stack,
                      CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS |
                          SIGCHLD,
                      NULL);
    if (pid < 0) die("clone");
    for (int i = 0; i < hierarchy_count; ++i) {
        char text[32];
        snprintf(path, sizeof path, "%.255s/hako-floor-%d/cgroup.procs", hierarchies[i], getpid());
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        int length = snprintf(text, sizeof text, "%d", pid);
        if (fd < 0 || write(fd, text, (size_t)length) != length) die(path);
        close(fd);
    }
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
