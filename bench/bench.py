#!/usr/bin/env python3
"""Side-by-side benchmark of hako, crun and runc (and the kernel's floor) on one bundle.

Every measurement alternates the runtimes, iteration by iteration, so machine drift cancels
out. The output is medians in milliseconds, plus hako/crun and hako/runc ratios, for:
- run, also with a Docker-sized seccomp profile; create, start, state, exec, kill and delete (of a started container and of one never
  started);
- list with 0, 1 and --list-count containers;
- runs of 20 and 100 containers in parallel;
- the peak RSS of each command;
- the memory that stays behind between create and start (RSS, PSS and private).

It must run as root. It moves itself into a private mount namespace, because crun 1.8.1
refuses this machine's hybrid cgroup layout unless /sys/fs/cgroup/unified/cgroup.controllers
is covered by an empty file. The cover applies to every runtime alike. Everything it makes
(containers, cgroups, temp dirs) is removed at the end, even when interrupted.

Usage: bench/bench.py [--hako build/hako] [--runs 100] [--iterations 20]
                      [--list-count 1000] [--markdown FILE]
"""

import argparse
import concurrent.futures
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Runtime:
    def __init__(self, name, binary, root):
        self.name = name
        self.binary = binary
        self.root = root

    def argv(self, *args):
        return [self.binary, "--root", self.root, *args]


class Sample:
    """One command's wall time (ms), peak RSS (KiB) and exit status."""

    def __init__(self, ms, maxrss_kib, status):
        self.ms = ms
        self.maxrss_kib = maxrss_kib
        self.status = status


MEASURE = []  # [path of the compiled bench/measure.c], set once in main()


def spawn(argv):
    """Runs argv through bench/measure.c, which forks it with stdio on /dev/null, and returns
    a Sample of its wall time and peak RSS as measure itself saw them."""
    result = subprocess.run(MEASURE + list(argv), stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, check=False)
    try:
        ns, rss, status = result.stdout.split()
    except ValueError:
        return Sample(0, 0, 255)
    return Sample(int(ns) / 1e6, int(rss), int(status))


def output(argv):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          text=True, check=False).stdout


class Results:
    def __init__(self):
        self.times = {}  # (operation, runtime) -> [ms]
        self.rss = {}  # (operation, runtime) -> [KiB]
        self.failures = {}  # (operation, runtime) -> count
        self.values = {}  # (metric, runtime) -> [value] (memory of the waiting init)

    def add(self, operation, runtime, sample):
        if sample.status != 0:
            self.failures[(operation, runtime)] = self.failures.get((operation, runtime), 0) + 1
            return
        self.times.setdefault((operation, runtime), []).append(sample.ms)
        self.rss.setdefault((operation, runtime), []).append(sample.maxrss_kib)

    def add_value(self, metric, runtime, value):
        self.values.setdefault((metric, runtime), []).append(value)


def write_config(bundle, rootfs, hako, args):
    """The default `spec` config, with this rootfs and process. crun 1.8.1 rejects
    ociVersion 1.2+ so the bundle says 1.0.2-dev, which every runtime accepts."""
    path = os.path.join(bundle, "config.json")
    if os.path.exists(path):
        os.unlink(path)
    subprocess.run([hako, "spec", "--bundle", bundle], check=True)
    with open(path) as f:
        config = json.load(f)
    config["ociVersion"] = "1.0.2-dev"
    config["root"] = {"path": rootfs, "readonly": True}
    config["process"]["args"] = args
    config["process"]["terminal"] = False
    with open(path, "w") as f:
        json.dump(config, f)


def docker_sized_profile():
    """A seccomp profile the size of Docker's default: defaultAction ERRNO and an allow rule
    naming every x86_64 syscall of the kernel headers except a few dangerous ones (Docker's
    has ~360 names), on three architectures."""
    names = []
    with open("/usr/include/x86_64-linux-gnu/asm/unistd_64.h") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[0] == "#define" and parts[1].startswith("__NR_"):
                names.append(parts[1][len("__NR_"):])
    denied = {"kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
              "reboot", "swapon", "swapoff", "mount", "umount2", "pivot_root", "bpf", "ptrace"}
    return {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            "syscalls": [{"names": sorted(set(names) - denied), "action": "SCMP_ACT_ALLOW"}]}


def add_seccomp(bundle):
    path = os.path.join(bundle, "config.json")
    with open(path) as f:
        config = json.load(f)
    config["linux"]["seccomp"] = docker_sized_profile()
    with open(path, "w") as f:
        json.dump(config, f)


def init_memory(pid):
    """RSS, PSS and private memory (KiB) of a process, from /proc/PID/smaps_rollup."""
    fields = {}
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[0].endswith(":") and parts[1].isdigit():
                fields[parts[0][:-1]] = int(parts[1])
    private = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
    return fields.get("Rss", 0), fields.get("Pss", 0), private


def state_pid(runtime, cid):
    try:
        return json.loads(output(runtime.argv("state", cid))).get("pid", 0)
    except ValueError:
        return 0


def wait_stopped(runtime, cid, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if json.loads(output(runtime.argv("state", cid))).get("status") == "stopped":
                return
        except ValueError:
            return
        time.sleep(0.005)


def rotated(runtimes, i):
    """The runtimes, starting with a different one each iteration: none always runs right
    after the same other one (e.g. a cgroup move just after another runtime's delete)."""
    k = i % len(runtimes)
    return runtimes[k:] + runtimes[:k]


def bench_run(runtimes, floor, bundle, rootfs, results, runs):
    for i in range(runs):
        for rt in rotated(runtimes, i):
            results.add("run", rt.name, spawn(rt.argv("run", "--bundle", bundle, "r%d" % i)))
        if floor:
            results.add("run", "floor", spawn([floor, rootfs]))


def bench_run_seccomp(runtimes, bundle, results, iterations):
    """run of /bin/true with a Docker-sized seccomp profile: what engines pass by default."""
    for i in range(iterations):
        for rt in rotated(runtimes, i):
            results.add("run (seccomp)", rt.name,
                        spawn(rt.argv("run", "--bundle", bundle, "s%d" % i)))


def bench_lifecycle(runtimes, bundle, results, iterations):
    for i in range(iterations):
        for rt in rotated(runtimes, i):
            cid = "l%d" % i
            results.add("create", rt.name, spawn(rt.argv("create", "--bundle", bundle, cid)))
            pid = state_pid(rt, cid)
            if pid:
                try:
                    rss, pss, private = init_memory(pid)
                    results.add_value("waiting init RSS", rt.name, rss)
                    results.add_value("waiting init PSS", rt.name, pss)
                    results.add_value("waiting init private", rt.name, private)
                except OSError:
                    pass
            results.add("state", rt.name, spawn(rt.argv("state", cid)))
            results.add("start", rt.name, spawn(rt.argv("start", cid)))
            results.add("exec", rt.name, spawn(rt.argv("exec", cid, "/bin/true")))
            results.add("kill", rt.name, spawn(rt.argv("kill", cid, "KILL")))
            wait_stopped(rt, cid)
            results.add("delete (started)", rt.name, spawn(rt.argv("delete", cid)))
            cid = "n%d" % i
            spawn(rt.argv("create", "--bundle", bundle, cid))
            results.add("delete (never started)", rt.name, spawn(rt.argv("delete", "--force", cid)))


def create_many(rt, bundle, count, prefix):
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda i: spawn(rt.argv("create", "--bundle", bundle, "%s%d" % (prefix, i))),
                      range(count)))


def delete_all(rt):
    ids = output(rt.argv("list", "-q")).split()
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda cid: spawn(rt.argv("delete", "--force", cid)), ids))


def bench_list(runtimes, bundle, results, iterations, list_count):
    for count in (0, 1, list_count):
        label = "list (%d)" % count
        for rt in runtimes:
            create_many(rt, bundle, count, "ls")
        for _ in range(iterations):
            for rt in runtimes:
                results.add(label, rt.name, spawn(rt.argv("list")))
        for rt in runtimes:
            delete_all(rt)


def bench_parallel(runtimes, bundle, results, iterations):
    for width in (20, 100):
        label = "%d parallel runs (wall)" % width
        for i in range(max(1, iterations // 5)):
            for rt in runtimes:
                start = time.perf_counter_ns()
                with concurrent.futures.ThreadPoolExecutor(max_workers=width) as pool:
                    samples = list(pool.map(
                        lambda n: spawn(rt.argv("run", "--bundle", bundle, "p%d-%d" % (i, n))),
                        range(width)))
                elapsed = (time.perf_counter_ns() - start) / 1e6
                failed = sum(1 for s in samples if s.status != 0)
                results.add(label, rt.name, Sample(elapsed, 0, 1 if failed else 0))
                if failed:
                    results.failures[(label + " failures", rt.name)] = failed
                delete_all(rt)


def median(values):
    return statistics.median(values) if values else None


def format_ratio(value, reference):
    if value is None or not reference:
        return "n/a"
    return "%.2f" % (value / reference)


def report(results, runtime_names, markdown_path, header):
    operations = []
    for op, _ in list(results.times) + list(results.failures):
        if op not in operations and not op.endswith(" failures"):
            operations.append(op)
    names = [n for n in runtime_names] + (["floor"] if ("run", "floor") in results.times else [])
    lines = [header, "",
             "| operation (median ms) | " + " | ".join(names) + " | hako/crun | hako/runc |",
             "|---" * (len(names) + 3) + "|"]

    def cell(op, name, table):
        value = median(table.get((op, name), []))
        failed = results.failures.get((op, name), 0)
        if value is None:
            return "failed" if failed else "n/a"
        text = "%.2f" % value if table is results.times else "%.0f" % value
        return text + (" (%d failed)" % failed if failed else "")

    for op in operations:
        h = median(results.times.get((op, "hako"), []))
        row = [cell(op, n, results.times) for n in names]
        lines.append("| %s | %s | %s | %s |" % (
            op, " | ".join(row),
            format_ratio(h, median(results.times.get((op, "crun"), []))),
            format_ratio(h, median(results.times.get((op, "runc"), [])))))
    lines += ["", "| peak RSS (median KiB) | " + " | ".join(runtime_names) +
              " | hako/crun | hako/runc |", "|---" * (len(runtime_names) + 3) + "|"]
    for op in operations:
        if "parallel" in op:
            continue
        h = median(results.rss.get((op, "hako"), []))
        lines.append("| %s | %s | %s | %s |" % (
            op, " | ".join(cell(op, n, results.rss) for n in runtime_names),
            format_ratio(h, median(results.rss.get((op, "crun"), []))),
            format_ratio(h, median(results.rss.get((op, "runc"), [])))))
    metrics = []
    for metric, _ in results.values:
        if metric not in metrics:
            metrics.append(metric)
    if metrics:
        lines += ["", "| between create and start (median KiB) | " + " | ".join(runtime_names) +
                  " | hako/crun | hako/runc |", "|---" * (len(runtime_names) + 3) + "|"]
        for metric in metrics:
            values = [median(results.values.get((metric, n), [])) for n in runtime_names]
            h = median(results.values.get((metric, "hako"), []))
            lines.append("| %s | %s | %s | %s |" % (
                metric, " | ".join("n/a" if v is None else "%.0f" % v for v in values),
                format_ratio(h, median(results.values.get((metric, "crun"), []))),
                format_ratio(h, median(results.values.get((metric, "runc"), [])))))
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if markdown_path:
        with open(markdown_path, "w") as f:
            f.write(text)


def settle_page_cache(paths):
    """Every runtime binary's page cache in the same state: dropped and read back whole.
    A binary the linker (or dpkg) has just written stays cached in the small pages it was
    written in, while one read from disk comes back in large folios, which fault in whole:
    on this VM a freshly built hako ran 6% slower than a copy of itself read from disk."""
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            while os.read(fd, 1 << 20):
                pass
        finally:
            os.close(fd)


def enter_private_mount_namespace():
    """Re-execs under `unshare -m` once, then covers unified/cgroup.controllers for crun."""
    if os.environ.get("HAKO_BENCH_IN_NS") != "1":
        env = dict(os.environ, HAKO_BENCH_IN_NS="1")
        os.execvpe("unshare", ["unshare", "-m", "--propagation", "private", sys.executable,
                               *sys.argv], env)
    controllers = "/sys/fs/cgroup/unified/cgroup.controllers"
    if os.path.exists(controllers):
        empty = tempfile.NamedTemporaryFile(prefix="hako-bench-empty-", delete=False)
        empty.close()
        subprocess.run(["mount", "--bind", empty.name, controllers], check=True)
        os.unlink(empty.name)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hako", default=os.path.join(REPO, "build", "hako"))
    parser.add_argument("--runs", type=int, default=100, help="sequential runs per runtime")
    parser.add_argument("--iterations", type=int, default=20,
                        help="iterations of the other measurements")
    parser.add_argument("--list-count", type=int, default=1000)
    parser.add_argument("--markdown", help="also write the table to this file")
    parser.add_argument("--skip", default="", help="comma list of: run,seccomp,lifecycle,list,parallel")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench.py: must run as root")
    enter_private_mount_namespace()

    work = tempfile.mkdtemp(prefix="hako-bench-")
    # State roots, bundles and rootfs on a tmpfs, as /run is on a usual host (and the runtimes'
    # default roots live there): the test VM's /run and /tmp are ext4, whose journal commits
    # and discards otherwise land at random in the runtimes' timings. Only in this process's
    # private mount namespace; it goes with it.
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0700", "hako-bench", work], check=True)
    runtimes = [Runtime("hako", os.path.abspath(args.hako), os.path.join(work, "root-hako"))]
    for name in ("crun", "runc"):
        path = shutil.which(name)
        if path:
            runtimes.append(Runtime(name, path, os.path.join(work, "root-" + name)))
    skip = set(filter(None, args.skip.split(",")))
    settle_page_cache([rt.binary for rt in runtimes])

    def cleanup(*_):
        for rt in runtimes:
            if os.path.isdir(rt.root):
                delete_all(rt)
        subprocess.run(["umount", "-l", work], check=False)
        shutil.rmtree(work, ignore_errors=True)

    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    results = Results()
    try:
        rootfs = os.path.join(work, "rootfs")
        subprocess.run([os.path.join(REPO, "scripts", "make-rootfs.sh"), rootfs], check=True)
        floor = os.path.join(work, "floor")
        subprocess.run(["cc", "-O2", "-o", floor, os.path.join(REPO, "bench", "floor.c")],
                       check=True)
        measure = os.path.join(work, "measure")
        source = os.path.join(REPO, "bench", "measure.c")
        # Static, so its own pre-exec pages stay below any runtime's peak RSS.
        if subprocess.run(["cc", "-O2", "-static", "-o", measure, source]).returncode != 0:
            subprocess.run(["cc", "-O2", "-o", measure, source], check=True)
        MEASURE.append(measure)
        true_bundle = os.path.join(work, "bundle-true")
        sleep_bundle = os.path.join(work, "bundle-sleep")
        seccomp_bundle = os.path.join(work, "bundle-seccomp")
        for bundle, process_args in ((true_bundle, ["/bin/true"]),
                                     (sleep_bundle, ["sleep", "1000"]),
                                     (seccomp_bundle, ["/bin/true"])):
            os.makedirs(bundle)
            write_config(bundle, rootfs, runtimes[0].binary, process_args)
        add_seccomp(seccomp_bundle)
        if "run" not in skip:
            bench_run(runtimes, floor, true_bundle, rootfs, results, args.runs)
        if "seccomp" not in skip:
            bench_run_seccomp(runtimes, seccomp_bundle, results, args.iterations)
        if "lifecycle" not in skip:
            bench_lifecycle(runtimes, sleep_bundle, results, args.iterations)
        if "list" not in skip:
            bench_list(runtimes, sleep_bundle, results, args.iterations, args.list_count)
        if "parallel" not in skip:
            bench_parallel(runtimes, true_bundle, results, args.iterations)
    finally:
        cleanup()
    versions = ", ".join("%s %s" % (rt.name, output([rt.binary, "--version"]).split("\n")[0])
                         for rt in runtimes)
    header = "Machine: %s, %d cores, kernel %s. %s. runs=%d iterations=%d list-count=%d" % (
        os.uname().nodename, os.cpu_count(), os.uname().release, versions, args.runs,
        args.iterations, args.list_count)
    report(results, [rt.name for rt in runtimes], args.markdown, header)


if __name__ == "__main__":
    main()
