/* Which of a static program's instructions one command runs, in the order first run: the
 * input of scripts/hot-code/order.py, which turns them into the link order of hako's hot code.
 *
 * usage: trace_code OUT TEXT_START TEXT_END PROGRAM ARGS...
 *
 * Runs PROGRAM under ptrace, single-stepping it and every process and thread it clones, and
 * writes to OUT (appending) each address in [TEXT_START, TEXT_END) the first time any of them
 * runs it, one hex address per line. A process that execs another program (hako's exec
 * trampoline, the container's own process, a hook) is let go at that exec, and one still
 * there when PROGRAM has exited (the init `create` leaves waiting) is stopped, let go and
 * continues where it was. Single-stepping
 * is slow (a few seconds per command) but exact, and needs nothing from the CPU: this VM
 * exposes no PMU, so perf cannot sample or trace branches here.
 *
 * Exit status: PROGRAM's own, or 125 when tracing failed. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

enum { MAX_TRACEES = 4096 };

struct tracees {
    pid_t ids[MAX_TRACEES];
    int count;
};

static int known(const struct tracees* set, pid_t tid) {
    for (int i = 0; i < set->count; ++i)
        if (set->ids[i] == tid) return 1;
    return 0;
}

static void add(struct tracees* set, pid_t tid) {
    if (!known(set, tid) && set->count < MAX_TRACEES) set->ids[set->count++] = tid;
}

static void drop(struct tracees* set, pid_t tid) {
    for (int i = 0; i < set->count; ++i)
        if (set->ids[i] == tid) set->ids[i] = set->ids[--set->count];
}

/* The program a process runs now, to tell whether an exec left the traced binary. */
static int runs_program(pid_t tid, const char* program) {
    char link[64];
    char target[PATH_MAX];
    snprintf(link, sizeof link, "/proc/%d/exe", tid);
    const ssize_t length = readlink(link, target, sizeof target - 1);
    if (length < 0) return 0;
    target[length] = '\0';
    return strcmp(target, program) == 0;
}

int main(int argc, char** argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: trace_code OUT TEXT_START TEXT_END PROGRAM ARGS...\n");
        return 125;
    }
    FILE* out = fopen(argv[1], "a");
    const uintptr_t text_start = strtoull(argv[2], NULL, 16);
    const uintptr_t text_end = strtoull(argv[3], NULL, 16);
    char program[PATH_MAX];
    if (out == NULL || text_end <= text_start || realpath(argv[4], program) == NULL) {
        fprintf(stderr, "trace_code: bad output file, text range or program\n");
        return 125;
    }
    /* One bit per byte of text: was this address run before. */
    unsigned char* seen = calloc((text_end - text_start) / 8 + 1, 1);
    const pid_t child = fork();
    if (child == 0) {
        ptrace(PTRACE_TRACEME, 0, NULL, NULL);
        raise(SIGSTOP);
        execv(argv[4], argv + 4);
        _exit(127);
    }
    int status = 0;
    if (waitpid(child, &status, 0) != child || !WIFSTOPPED(status)) return 125;
    const long options = PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
                         PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL;
    if (ptrace(PTRACE_SETOPTIONS, child, NULL, (void*)options) != 0) return 125;
    struct tracees started = {.count = 0};
    add(&started, child);
    int exec_seen = 0;
    int finishing = 0;
    int exit_status = 125;
    ptrace(PTRACE_SINGLESTEP, child, NULL, NULL);
    for (;;) {
        const pid_t tid = waitpid(-1, &status, __WALL);
        if (tid < 0) {
            if (errno == EINTR) continue;
            break; /* ECHILD: all gone */
        }
        if (WIFEXITED(status) || WIFSIGNALED(status)) {
            drop(&started, tid);
            if (tid == child) {
                exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                /* What PROGRAM left running is let go at its next signal-delivery stop. */
                finishing = 1;
                for (int i = 0; i < started.count; ++i) syscall(SYS_tkill, started.ids[i], SIGSTOP);
            }
            continue;
        }
        if (!WIFSTOPPED(status)) continue;
        const int signal = WSTOPSIG(status);
        const int event = status >> 16;
        if (event == PTRACE_EVENT_EXEC) {
            /* The first exec is the child becoming PROGRAM; any later one leaves it. */
            if (tid == child && !exec_seen && runs_program(tid, program)) {
                exec_seen = 1;
            } else {
                drop(&started, tid);
                ptrace(PTRACE_DETACH, tid, NULL, NULL);
                continue;
            }
        } else if (finishing && event == 0 && signal == SIGSTOP && known(&started, tid)) {
            drop(&started, tid);
            ptrace(PTRACE_DETACH, tid, NULL, NULL); /* the stop is ours: not delivered */
            continue;
        } else if (event == 0 && signal == SIGTRAP) {
            struct user_regs_struct registers;
            if (ptrace(PTRACE_GETREGS, tid, NULL, &registers) == 0) {
                const uintptr_t ip = registers.rip;
                if (ip >= text_start && ip < text_end) {
                    const uintptr_t offset = ip - text_start;
                    if (!(seen[offset / 8] & (1u << (offset % 8)))) {
                        seen[offset / 8] |= (unsigned char)(1u << (offset % 8));
                        fprintf(out, "%lx\n", (unsigned long)ip);
                    }
                }
            }
        } else if (event == 0 && signal == SIGSTOP && !known(&started, tid)) {
            add(&started, tid); /* a new clone's first stop: not a signal to pass on */
        } else if (event == 0) {
            ptrace(PTRACE_SINGLESTEP, tid, NULL, (void*)(long)signal);
            continue;
        }
        ptrace(PTRACE_SINGLESTEP, tid, NULL, NULL);
    }
    fclose(out);
    return exit_status;
}
