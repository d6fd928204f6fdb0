"""The hot code's link order (CMakeLists.txt, scripts/hot-code): the functions hako's commands
run sit together at the start of the binary's code, and the tracer that lists them follows a
program's clones, lets go of what execs or outlives it, and names what ran."""
import os
import subprocess
import sys
import textwrap
import unittest

from hakotest import DEFAULT_TIMEOUT, HAKO_BIN, HakoTestCase, hako_only

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
HOT_CODE_SCRIPTS = os.path.join(REPO, "scripts", "hot-code")
ORDER_FILE = os.path.join(REPO, "src", "static_link", "hot-code.order")
TRACER_SOURCE = os.path.join(HOT_CODE_SCRIPTS, "trace_code.c")
ORDER_TOOL = os.path.join(HOT_CODE_SCRIPTS, "order.py")

sys.path.insert(0, HOT_CODE_SCRIPTS)
import order  # noqa: E402  (scripts/hot-code/order.py: the tool under test reads symbols so)


def function_symbols(binary):
    """name -> (address, size) of the binary's functions (the first of a repeated name)."""
    symbols = {}
    for address, size, name in order.function_symbols(binary):
        symbols.setdefault(name, (address, size))
    return symbols


def linked_by_lld(binary):
    p = subprocess.run(["readelf", "-p", ".comment", binary], capture_output=True, text=True)
    return "LLD" in p.stdout


@hako_only
class TestHotCodeOrder(HakoTestCase):
    def test_listed_functions_are_linked_together_first(self):
        if not linked_by_lld(HAKO_BIN):
            self.skipTest("hako was linked without lld, which alone orders by symbol")
        with open(ORDER_FILE) as f:
            listed = [line.strip() for line in f if line.strip()]
        symbols = function_symbols(HAKO_BIN)
        present = [name for name in listed if name in symbols]
        # Code changes rename and drop a few functions; many gone means a stale list.
        self.assertGreaterEqual(len(present), 0.8 * len(listed),
                                "src/static_link/hot-code.order is stale: run "
                                "scripts/hot-code/record.sh")
        start, end = order.executable_segment(HAKO_BIN)
        low = min(symbols[name][0] for name in present)
        high = max(symbols[name][0] + symbols[name][1] for name in present)
        hot_bytes = sum(symbols[name][1] for name in present)
        self.assertLess(low - start, 64 * 1024, "the hot code starts the code segment")
        # Together: their span is their size, plus what shares their sections (a glibc
        # object's other functions) and alignment, never the whole code segment.
        self.assertLess(high - low, 1.5 * hot_bytes + 64 * 1024,
                        "hot code spread over %d of %d KiB" % ((high - low) // 1024,
                                                               (end - start) // 1024))
        self.assertLess(high - low, (end - start) / 2)


# A static program that clones (fork), execs in one child, and leaves another behind.
TRACEE = textwrap.dedent(r"""
    #include <stdio.h>
    #include <stdlib.h>
    #include <sys/wait.h>
    #include <unistd.h>

    __attribute__((noinline)) void run_by_the_exec_child(void) { execl("/bin/true", "true", NULL); _exit(127); }
    __attribute__((noinline)) void run_by_the_parent(void) { puts("parent"); fflush(stdout); }
    __attribute__((noinline)) void run_by_the_leftover(const char* path) {
        sleep(1);  /* past the parent's exit: the tracer must have let go of it */
        FILE* f = fopen(path, "w");
        if (f) { fputs("leftover ran", f); fclose(f); }
        _exit(0);
    }
    __attribute__((noinline)) void never_run(void) { puts("never"); }

    int main(int argc, char** argv) {
        if (argc < 2) { never_run(); return 2; }
        pid_t exec_child = fork();
        if (exec_child == 0) run_by_the_exec_child();
        if (fork() == 0) run_by_the_leftover(argv[1]);
        run_by_the_parent();
        int status = 0;
        waitpid(exec_child, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) + 3 : 1;
    }
""")


class TestCodeTracer(HakoTestCase):
    def setUp(self):
        super().setUp()
        self.dir = self.make_tempdir("hot-code-")
        self.tracer = os.path.join(self.dir, "trace_code")
        self.tracee = os.path.join(self.dir, "tracee")
        subprocess.run(["cc", "-O2", "-Wall", "-Werror", "-o", self.tracer, TRACER_SOURCE],
                       check=True)
        with open(self.tracee + ".c", "w") as f:
            f.write(TRACEE)
        subprocess.run(["cc", "-O1", "-static", "-o", self.tracee, self.tracee + ".c"],
                       check=True)

    def test_names_what_ran_in_the_program_and_its_clones(self):
        addresses = os.path.join(self.dir, "addresses")
        leftover_file = os.path.join(self.dir, "leftover")
        start, end = order.executable_segment(self.tracee)
        p = subprocess.run([self.tracer, addresses, "%x" % start, "%x" % end, self.tracee,
                            leftover_file], capture_output=True, text=True,
                           timeout=DEFAULT_TIMEOUT * 4)
        # The program's own exit status: the exec child's /bin/true (0) + 3.
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertEqual(p.stdout, "parent\n")
        names = subprocess.run([ORDER_TOOL, "symbols", self.tracee, addresses], check=True,
                               capture_output=True, text=True).stdout.split()
        self.assertEqual(names[0], "_start", "first run first")
        for ran in ("main", "run_by_the_parent", "run_by_the_exec_child",
                    "run_by_the_leftover"):
            self.assertIn(ran, names)
        self.assertNotIn("never_run", names)
        self.assertLess(names.index("main"), names.index("run_by_the_parent"))
        # The leftover child was let go alive and finished on its own, untraced.
        deadline = 10.0
        while not os.path.exists(leftover_file) and deadline > 0:
            subprocess.run(["sleep", "0.1"])
            deadline -= 0.1
        with open(leftover_file) as f:
            self.assertEqual(f.read(), "leftover ran")


if __name__ == "__main__":
    unittest.main()
