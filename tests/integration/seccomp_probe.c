/* Makes raw system calls and prints the errno each one got, for test_seccomp.py. Built
 * statically at test time (busybox cannot make a raw syscall).
 *
 *   seccomp_probe NAME[,ARG0[,ARG1...]] ...
 *
 * prints one line per argument: "NAME[,ARGS] ERRNO", ERRNO 0 when the call succeeded. NAME is
 * one of the table below or a number. It uses write(2) only, so a strict profile needs little
 * beyond execve, write and exit_group. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const struct {
    const char *name;
    long nr;
} syscalls[] = {
    {"getppid", SYS_getppid}, {"getpid", SYS_getpid},   {"getuid", SYS_getuid},
    {"getgid", SYS_getgid},   {"geteuid", SYS_geteuid}, {"getegid", SYS_getegid},
    {"getpgrp", SYS_getpgrp}, {"clone3", SYS_clone3},   {"getcpu", SYS_getcpu},
    {"io_uring_setup", SYS_io_uring_setup},             {"personality", SYS_personality},
    {"mkdirat", SYS_mkdirat}, {"gettid", SYS_gettid},   {"getsid", SYS_getsid},
};

static void put(const char *text) {
    size_t length = strlen(text);
    while (length > 0) {
        ssize_t n = write(1, text, length);
        if (n <= 0) _exit(3);
        text += n;
        length -= (size_t)n;
    }
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; ++i) {
        char spec[256];
        strncpy(spec, argv[i], sizeof(spec) - 1);
        spec[sizeof(spec) - 1] = '\0';
        long args[6] = {0};
        char *save = NULL;
        const char *name = strtok_r(spec, ",", &save);
        for (int a = 0; a < 6; ++a) {
            const char *value = strtok_r(NULL, ",", &save);
            if (value == NULL) break;
            args[a] = (long)strtoull(value, NULL, 0);
        }
        long nr = -1;
        for (size_t s = 0; s < sizeof(syscalls) / sizeof(syscalls[0]); ++s)
            if (strcmp(syscalls[s].name, name) == 0) nr = syscalls[s].nr;
        if (nr < 0) nr = strtol(name, NULL, 0);
        errno = 0;
        long rc = syscall(nr, args[0], args[1], args[2], args[3], args[4], args[5]);
        char line[320];
        char number[24];
        int err = rc < 0 ? errno : 0;
        int p = (int)sizeof(number) - 1;
        number[p] = '\0';
        do {
            number[--p] = (char)('0' + err % 10);
            err /= 10;
        } while (err > 0);
        strcpy(line, argv[i]);
        strcat(line, " ");
        strcat(line, number + p);
        strcat(line, "\n");
        put(line);
    }
    return 0;
}
