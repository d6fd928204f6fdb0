/* hako's exec trampoline: the one program a container process runs before its own.
 *
 * Why it exists (CVE-2019-5736): the init and the exec child are copies of the hako process,
 * so until their final execve /proc/self/exe is the host's hako binary. An entrypoint that
 * resolves to /proc/self/exe (a symlink to it, "#!/proc/self/exe") would make the kernel run
 * that binary as the container's process, and the container could then reopen it for
 * writing. Re-executing all of hako from a sealed file before every create and exec closes
 * that hole but costs a whole second start-up of the static binary (~0.7 ms). Instead hako
 * execs this program, a page of code held in a sealed memfd (security/exec_trampoline.cpp),
 * which execs the container's program: whatever /proc/self/exe resolves to from then on is
 * this sealed copy, never a file on the host. Until that first execve the hako process is
 * non-dumpable, so nothing in the container can open its /proc/PID/exe either.
 *
 * It is freestanding (no libc, raw system calls) so that running it costs one small execve.
 *
 * argv: "hako-exec" MODE FD PREFIX PATH ARG0 ARGS..., envp: the process's environment.
 * It execs PATH with ARG0 ARGS... and envp. FD is where a failure goes, and it is made
 * close-on-exec first, so that on success the reader sees end-of-file: MODE "text" writes
 * PREFIX followed by the error text (the init's exec gate); MODE "frame" writes one
 * kError frame of the sync channel (process/sync_channel.cpp: u32 type 4, i32 errno,
 * u32 text length, text) for the exec child's parent. The exit status is then 127 for
 * ENOENT and 126 otherwise, as hako's own exec failures. Run any other way (e.g. by a
 * container through /proc/self/exe) it says so on stderr and exits 127. */

#define NR_WRITE 1
#define NR_FCNTL 72
#define NR_EXECVE 59
#define NR_EXIT_GROUP 231
#define F_SETFD 2
#define FD_CLOEXEC 1
#define ENOENT 2
#define SYNC_ERROR 4
#define MAX_TEXT 4096

typedef unsigned long size_t;

static long syscall3(long number, long a, long b, long c) {
    long result;
    __asm__ volatile("syscall"
                     : "=a"(result)
                     : "a"(number), "D"(a), "S"(b), "d"(c)
                     : "rcx", "r11", "memory");
    return result;
}

static int equal(const char* a, const char* b) {
    while (*a != '\0' && *a == *b) ++a, ++b;
    return *a == *b;
}

/* Go's (and so runc's) wording of the errnos execve gives; engines map "no such file or
 * directory" to 127 and "permission denied" to 126. */
static const char* error_text(long error) {
    switch (error) {
        case 1:
            return "operation not permitted";
        case 2:
            return "no such file or directory";
        case 5:
            return "input/output error";
        case 7:
            return "argument list too long";
        case 8:
            return "exec format error";
        case 12:
            return "cannot allocate memory";
        case 13:
            return "permission denied";
        case 14:
            return "bad address";
        case 20:
            return "not a directory";
        case 21:
            return "is a directory";
        case 22:
            return "invalid argument";
        case 23:
            return "too many open files in system";
        case 24:
            return "too many open files";
        case 26:
            return "text file busy";
        case 36:
            return "file name too long";
        case 40:
            return "too many levels of symbolic links";
        case 80:
            return "accessing a corrupted shared library";
        default:
            return "exec failed";
    }
}

static size_t append(char* buffer, size_t used, const char* text) {
    while (*text != '\0' && used < MAX_TEXT) buffer[used++] = *text++;
    return used;
}

static long parse_fd(const char* text) {
    long value = 0;
    if (*text == '\0') return -1;
    for (; *text != '\0'; ++text) {
        if (*text < '0' || *text > '9' || value > 1000000) return -1;
        value = value * 10 + (*text - '0');
    }
    return value;
}

static void report(int frame, long fd, const char* prefix, long error) {
    /* [header | text], built in one buffer so that a SOCK_SEQPACKET gets one message. */
    static char message[12 + MAX_TEXT];
    char* text = message + (frame ? 12 : 0);
    size_t used = append(text, 0, prefix);
    used = append(text, used, error_text(error));
    if (frame) {
        const unsigned header[3] = {SYNC_ERROR, (unsigned)error, (unsigned)used};
        const char* bytes = (const char*)header;
        for (int i = 0; i < 12; ++i) message[i] = bytes[i];
        used += 12;
    }
    syscall3(NR_WRITE, fd, (long)message, (long)used);
}

__attribute__((noreturn)) static void exit_with(long status) {
    for (;;) syscall3(NR_EXIT_GROUP, status, 0, 0);
}

__attribute__((noreturn, used)) void trampoline_main(long* stack) {
    const long argc = stack[0];
    char** argv = (char**)(stack + 1);
    char** envp = argv + argc + 1;
    static const char misuse[] =
        "hako-exec: hako's exec trampoline runs only as the last step of hako's own setup\n";
    long fd = -1;
    int frame = 0;
    if (argc >= 6 && equal(argv[0], "hako-exec")) {
        frame = equal(argv[1], "frame");
        fd = parse_fd(argv[2]);
    }
    if (fd < 0 || (!frame && !equal(argv[1], "text"))) {
        syscall3(NR_WRITE, 2, (long)misuse, sizeof misuse - 1);
        exit_with(127);
    }
    syscall3(NR_FCNTL, fd, F_SETFD, FD_CLOEXEC);
    const long error = -syscall3(NR_EXECVE, (long)argv[4], (long)(argv + 5), (long)envp);
    report(frame, fd, argv[3], error);
    exit_with(error == ENOENT ? 127 : 126);
}

/* The kernel starts a static program with argc at the stack pointer; the ABI wants the stack
 * 16-byte aligned at each call. */
__asm__(
    ".text\n"
    ".global _start\n"
    "_start:\n"
    "    xor %rbp, %rbp\n"
    "    mov %rsp, %rdi\n"
    "    and $-16, %rsp\n"
    "    call trampoline_main\n"
    "    hlt\n");
