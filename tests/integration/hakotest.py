"""Shared helpers for hako's integration tests (Python standard library only).

The tests drive the runtime binary named by $HAKO_BIN exactly like runc's command line and
check the kernel state from the host: /proc/PID/{ns,status,limits,mountinfo,cgroup}, the
cgroup filesystem and the state root. They are written against runc's behaviour, so
`HAKO_BIN=$(command -v runc)` must pass too, except tests decorated with @hako_only.

Environment:
  HAKO_BIN          the runtime binary (hako, or runc to validate the tests)
  HAKO_TEST_ROOTFS  a busybox-static rootfs made by scripts/make-rootfs.sh

Reading results from inside a container: every Bundle bind-mounts a fresh host temp dir
(mode 0777) at /out, so the process can write files there, e.g.
    b = self.bundle(["sh", "-c", "cat /proc/self/status > /out/status"])
    self.run_container(b)
    status = parse_status(b.read_out("status"))
"""

import copy
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

HAKO_BIN = os.environ.get("HAKO_BIN", "")
ROOTFS = os.environ.get("HAKO_TEST_ROOTFS", "")
DEFAULT_TIMEOUT = 30.0
OUT = "/out"  # where Bundle mounts its host output dir inside the container
TMP_PREFIX = "hkt-"  # every temp dir of the suite: /tmp/hkt-*

# A container script tail: signals readiness through /out/ready, then runs until killed.
KEEP_RUNNING = "echo ready > /out/ready; while :; do sleep 0.05; done"

DELETE = object()  # merge(): a patch value that removes the key


def is_runc():
    """True when the suite is validated against runc rather than hako.

    Decided by the binary's name: hako's --version prints runc-shaped output too."""
    return os.path.basename(HAKO_BIN).startswith("runc")


def hako_only(obj):
    """Decorator for tests of behaviour runc 1.1.5 lacks (e.g. time namespaces)."""
    return unittest.skipIf(is_runc(), "hako-only behaviour (HAKO_BIN is runc)")(obj)


# --------------------------------------------------------------------------------------
# Spec
# --------------------------------------------------------------------------------------

DEFAULT_CAPS = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def base_config(args=None, hostname="hako"):
    """A config.json equivalent to `runc spec` (terminal off, no ambient caps)."""
    return {
        "ociVersion": "1.2.0",
        "process": {
            "terminal": False,
            "user": {"uid": 0, "gid": 0},
            "args": list(args) if args else ["sh"],
            "env": [DEFAULT_PATH, "TERM=xterm"],
            "cwd": "/",
            "capabilities": {
                "bounding": list(DEFAULT_CAPS),
                "effective": list(DEFAULT_CAPS),
                "permitted": list(DEFAULT_CAPS),
            },
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": True,
        },
        "root": {"path": "rootfs", "readonly": True},
        "hostname": hostname,
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620",
                         "gid=5"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
             "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs",
             "options": ["nosuid", "noexec", "nodev", "ro"]},
            {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
             "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]},
        ],
        "linux": {
            "namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount")],
            "maskedPaths": [
                "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
            ],
            "readonlyPaths": [
                "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
            ],
        },
    }


def merge(base, patch):
    """Deep-merges patch into base (in place) and returns base.

    Dicts merge key by key; any other value (lists included) replaces; DELETE removes."""
    for key, value in patch.items():
        if value is DELETE:
            base.pop(key, None)
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


class Bundle:
    """A temporary OCI bundle: a directory with config.json (and maybe a rootfs copy).

    By default root.path is the shared HAKO_TEST_ROOTFS (absolute) mounted read-only;
    copy_rootfs=True gives the bundle its own writable `cp -a` copy. With out=True (the
    default) a host temp dir (mode 0777) is bind-mounted read-write at /out."""

    def __init__(self, test, args=None, copy_rootfs=False, out=True, hostname="hako"):
        self.test = test
        self.dir = test.make_tempdir("bundle-")
        self.config = base_config(args, hostname)
        if copy_rootfs:
            self.rootfs = os.path.join(self.dir, "rootfs")
            subprocess.run(["cp", "-a", ROOTFS, self.rootfs], check=True)
            self.config["root"] = {"path": "rootfs", "readonly": False}
        else:
            self.rootfs = ROOTFS
            self.config["root"] = {"path": ROOTFS, "readonly": True}
        self.out_dir = None
        if out:
            # The mount point must exist in the rootfs before the container starts: with
            # a user namespace the runtime cannot mkdir in a host-root-owned rootfs.
            # Creating it in the shared rootfs is idempotent and harmless.
            os.makedirs(os.path.join(self.rootfs, OUT.lstrip("/")), exist_ok=True)
            self.out_dir = test.make_tempdir("out-")
            os.chmod(self.out_dir, 0o777)
            self.add_mount(OUT, "bind", self.out_dir, ["rbind", "rw"])

    # -- config editing -----------------------------------------------------------------
    def patch(self, patch):
        merge(self.config, patch)
        return self

    def set(self, dotted, value):
        """set("process.user.uid", 1000); value DELETE removes the key."""
        keys = dotted.split(".")
        node = self.config
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        if value is DELETE:
            node.pop(keys[-1], None)
        else:
            node[keys[-1]] = copy.deepcopy(value)
        return self

    def get(self, dotted, default=None):
        node = self.config
        for key in dotted.split("."):
            if not isinstance(node, dict) or key not in node:
                return default
            node = node[key]
        return node

    @property
    def args(self):
        return self.config["process"]["args"]

    @args.setter
    def args(self, value):
        self.config["process"]["args"] = list(value)

    def add_mount(self, destination, type_, source, options=None):
        m = {"destination": destination, "type": type_, "source": source}
        if options is not None:
            m["options"] = list(options)
        self.config.setdefault("mounts", []).append(m)
        return self

    def namespaces(self):
        return [ns["type"] for ns in self.config["linux"].get("namespaces", [])]

    def add_namespace(self, type_, path=None):
        self.remove_namespace(type_)
        ns = {"type": type_}
        if path is not None:
            ns["path"] = path
        self.config["linux"].setdefault("namespaces", []).append(ns)
        return self

    def remove_namespace(self, type_):
        self.config["linux"]["namespaces"] = [
            ns for ns in self.config["linux"].get("namespaces", []) if ns["type"] != type_]
        return self

    def add_env(self, *entries):
        self.config["process"]["env"].extend(entries)
        return self

    # -- files --------------------------------------------------------------------------
    @property
    def config_path(self):
        return os.path.join(self.dir, "config.json")

    def write(self, text=None):
        """Writes config.json (or the given raw text, for malformed-config tests)."""
        with open(self.config_path, "w") as f:
            if text is None:
                json.dump(self.config, f, indent=2)
            else:
                f.write(text)
        return self

    def out_path(self, name):
        return os.path.join(self.out_dir, name)

    def read_out(self, name):
        with open(self.out_path(name)) as f:
            return f.read()

    def has_out(self, name):
        return os.path.exists(self.out_path(name))


# --------------------------------------------------------------------------------------
# Runtime wrapper
# --------------------------------------------------------------------------------------

class Runtime:
    """Runs `HAKO_BIN --root STATE_ROOT CMD...`.

    stdout/stderr go to temp files, never pipes: a detached container inherits the
    caller's stdio, and a pipe would keep subprocess.run waiting until it exits."""

    def __init__(self, test, state_root):
        self.test = test
        self.root = state_root

    def __call__(self, *args, timeout=DEFAULT_TIMEOUT, stdin=subprocess.DEVNULL,
                 stdout=None, stderr=None, cwd=None, global_args=()):
        cmd = [HAKO_BIN, "--root", self.root, *global_args, *[str(a) for a in args]]
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            try:
                proc = subprocess.run(cmd, stdin=stdin,
                                      stdout=stdout if stdout is not None else out,
                                      stderr=stderr if stderr is not None else err,
                                      timeout=timeout, cwd=cwd)
            except subprocess.TimeoutExpired:
                raise AssertionError("timed out after %ss: %s" % (timeout, " ".join(cmd)))
            out.seek(0)
            err.seek(0)
            return subprocess.CompletedProcess(cmd, proc.returncode, out.read(), err.read())

    def ok(self, *args, **kw):
        """Runs and fails the test unless the exit status is 0."""
        p = self(*args, **kw)
        if p.returncode != 0:
            raise AssertionError("%s exited %d\nstdout: %s\nstderr: %s" % (
                " ".join(p.args), p.returncode, p.stdout, p.stderr))
        return p

    def create(self, cid, bundle, *extra, **kw):
        return self("create", "--bundle", bundle.dir, *extra, cid, **kw)

    def start(self, cid, **kw):
        return self("start", cid, **kw)

    def run(self, cid, bundle, *extra, **kw):
        return self("run", "--bundle", bundle.dir, *extra, cid, **kw)

    def kill(self, cid, sig=None, *extra, **kw):
        args = ["kill", *extra, cid]
        if sig is not None:
            args.append(str(sig))
        return self(*args, **kw)

    def delete(self, cid, force=False, **kw):
        return self("delete", *(["--force"] if force else []), cid, **kw)

    def state(self, cid, **kw):
        """Returns the parsed `state` JSON, or None when the command fails."""
        p = self("state", cid, **kw)
        if p.returncode != 0:
            return None
        return json.loads(p.stdout)

    def status(self, cid):
        st = self.state(cid)
        return st["status"] if st else None

    def list(self, *extra, **kw):
        return self("list", *extra, **kw)


# --------------------------------------------------------------------------------------
# Host views of a process
# --------------------------------------------------------------------------------------

def ns_inode(pid, name):
    """The namespace inode number of /proc/PID/ns/NAME (pid may be "self")."""
    link = os.readlink("/proc/%s/ns/%s" % (pid, name))
    m = re.match(r"^[a-z_]+:\[(\d+)\]$", link)
    if not m:
        raise AssertionError("unexpected ns link %r" % link)
    return int(m.group(1))


def parse_status(text):
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out[key.strip()] = value.strip()
    return out


def proc_status(pid):
    with open("/proc/%s/status" % pid) as f:
        return parse_status(f.read())


LIMIT_NAMES = {
    "Max cpu time": "RLIMIT_CPU", "Max file size": "RLIMIT_FSIZE",
    "Max data size": "RLIMIT_DATA", "Max stack size": "RLIMIT_STACK",
    "Max core file size": "RLIMIT_CORE", "Max resident set": "RLIMIT_RSS",
    "Max processes": "RLIMIT_NPROC", "Max open files": "RLIMIT_NOFILE",
    "Max locked memory": "RLIMIT_MEMLOCK", "Max address space": "RLIMIT_AS",
    "Max file locks": "RLIMIT_LOCKS", "Max pending signals": "RLIMIT_SIGPENDING",
    "Max msgqueue size": "RLIMIT_MSGQUEUE", "Max nice priority": "RLIMIT_NICE",
    "Max realtime priority": "RLIMIT_RTPRIO", "Max realtime timeout": "RLIMIT_RTTIME",
}


def parse_limits(text):
    """{"RLIMIT_NOFILE": ("1024", "1024"), ...} from /proc/PID/limits text."""
    out = {}
    for line in text.splitlines()[1:]:
        for label, name in LIMIT_NAMES.items():
            if line.startswith(label + " "):
                fields = line[len(label):].split()
                out[name] = (fields[0], fields[1])
    return out


def proc_limits(pid):
    with open("/proc/%s/limits" % pid) as f:
        return parse_limits(f.read())


class MountRow:
    """One /proc/PID/mountinfo line."""

    def __init__(self, line):
        left, _, right = line.partition(" - ")
        f = left.split()
        self.mount_id = int(f[0])
        self.parent_id = int(f[1])
        self.major_minor = f[2]
        self.root = unescape_mount(f[3])
        self.mount_point = unescape_mount(f[4])
        self.options = set(f[5].split(","))
        self.optional = f[6:]
        r = right.split()
        self.fstype = r[0]
        self.source = unescape_mount(r[1]) if len(r) > 1 else ""
        self.super_options = set(r[2].split(",")) if len(r) > 2 else set()
        self.line = line

    @property
    def all_options(self):
        return self.options | self.super_options

    def __repr__(self):
        return "MountRow(%r)" % self.line


def unescape_mount(s):
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), s)


def parse_mountinfo(text):
    return [MountRow(line) for line in text.splitlines() if line.strip()]


def mountinfo(pid="self"):
    with open("/proc/%s/mountinfo" % pid) as f:
        return parse_mountinfo(f.read())


def find_mount(rows, mount_point):
    """The last (top-most) row mounted at mount_point, or None."""
    found = None
    for row in rows:
        if row.mount_point == mount_point:
            found = row
    return found


def parse_cgroup(text):
    """[(hierarchy_id, controllers, path)] from /proc/PID/cgroup text."""
    rows = []
    for line in text.splitlines():
        if line.strip():
            hid, controllers, path = line.split(":", 2)
            rows.append((int(hid), controllers, path))
    return rows


def cgroup(pid):
    with open("/proc/%s/cgroup" % pid) as f:
        return parse_cgroup(f.read())


def pid_alive(pid):
    """True while pid exists and is not a zombie (this machine's init reaps lazily)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def wait_for(predicate, timeout=10.0, interval=0.05, message=None):
    """Polls predicate until truthy; returns its value or raises AssertionError."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(message or "condition not met within %ss" % timeout)
        time.sleep(interval)


# --------------------------------------------------------------------------------------
# Host snapshots ("nothing left behind")
# --------------------------------------------------------------------------------------

CGROUP_ROOT = "/sys/fs/cgroup"


def cgroup_dirs(needle):
    """Every directory under /sys/fs/cgroup (all hierarchies) whose name contains needle."""
    found = set()
    for top, dirs, _ in os.walk(CGROUP_ROOT):
        for d in dirs:
            if needle in d:
                found.add(os.path.join(top, d))
    return found


def _read(path, mode="r"):
    try:
        with open(path, mode) as f:
            return f.read()
    except OSError:
        return None


def processes_referring_to(needles):
    """{pid: description} of live processes whose cmdline, cwd or cgroup names a needle."""
    needles = [n for n in needles if n]
    found = {}
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        pid = int(entry)
        cmdline = _read("/proc/%d/cmdline" % pid, "rb")
        cmdline = cmdline.replace(b"\0", b" ").decode(errors="replace") if cmdline else ""
        try:
            cwd = os.readlink("/proc/%d/cwd" % pid)
        except OSError:
            cwd = ""
        cg = _read("/proc/%d/cgroup" % pid) or ""
        for n in needles:
            if n in cmdline or n in cwd or n in cg:
                if pid_alive(pid):
                    found[pid] = "cmdline=%r cwd=%r" % (cmdline, cwd)
                break
    return found


class HostSnapshot:
    def __init__(self, cid, state_root, extra_paths=()):
        self.cid = cid
        self.mount_ids = {r.mount_id: r.line for r in mountinfo("self")}
        self.cgroup_dirs = cgroup_dirs(cid)
        self.processes = processes_referring_to([cid, state_root, *extra_paths])
        self.state_root = sorted(os.listdir(state_root)) if os.path.isdir(state_root) else []


def snapshot_host(test, cid, extra_paths=()):
    return HostSnapshot(cid, test.state_root, extra_paths)


# --------------------------------------------------------------------------------------
# Test case base
# --------------------------------------------------------------------------------------

def _check_environment():
    problems = []
    if not HAKO_BIN or not os.access(HAKO_BIN, os.X_OK):
        problems.append("HAKO_BIN=%r is not an executable" % HAKO_BIN)
    if not ROOTFS or not os.path.isfile(os.path.join(ROOTFS, "bin", "busybox")):
        problems.append("HAKO_TEST_ROOTFS=%r is not a busybox rootfs "
                        "(scripts/make-rootfs.sh DIR)" % ROOTFS)
    if os.geteuid() != 0:
        problems.append("integration tests must run as root")
    return problems


class HakoTestCase(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        problems = _check_environment()
        if problems:
            raise AssertionError("; ".join(problems))

    def setUp(self):
        self._tempdirs = []
        self._ids = []
        self.state_root = self.make_tempdir("state-")
        self.rt = Runtime(self, self.state_root)
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        for cid in reversed(self._ids):
            try:
                st = self.rt.state(cid)
                self.rt.delete(cid, force=True)
                # A runtime bug must not leave processes running after the suite.
                if st and st.get("pid") and pid_alive(st["pid"]) and self.rt.state(cid) is None:
                    os.kill(st["pid"], signal.SIGKILL)
            except (AssertionError, OSError, ValueError):
                pass  # best effort: the test itself reports what went wrong
        for d in reversed(self._tempdirs):
            shutil.rmtree(d, ignore_errors=True)

    # -- factories ----------------------------------------------------------------------
    def make_tempdir(self, prefix="tmp-"):
        d = tempfile.mkdtemp(prefix=TMP_PREFIX + prefix)
        # Traversable by a container root mapped to an unprivileged host uid.
        os.chmod(d, 0o755)
        self._tempdirs.append(d)
        return d

    def new_id(self):
        cid = "hkt-" + secrets.token_hex(6)
        self._ids.append(cid)
        return cid

    def bundle(self, args=None, **kw):
        return Bundle(self, args, **kw)

    # -- common flows -------------------------------------------------------------------
    def create(self, bundle, cid=None, *extra, **kw):
        """Writes config.json, creates the container and asserts success; returns the id."""
        cid = cid or self.new_id()
        bundle.write()
        self.rt.ok("create", "--bundle", bundle.dir, *extra, cid, **kw)
        return cid

    def start_detached(self, bundle, cid=None):
        """create + start; returns (id, init pid)."""
        cid = self.create(bundle, cid)
        pid = self.rt.state(cid)["pid"]
        self.rt.ok("start", cid)
        return cid, pid

    def run_container(self, bundle, cid=None, timeout=DEFAULT_TIMEOUT, expect_status=0):
        """`run` in the foreground; asserts the exit status and returns the result."""
        cid = cid or self.new_id()
        bundle.write()
        p = self.rt.run(cid, bundle, timeout=timeout)
        if expect_status is not None and p.returncode != expect_status:
            raise AssertionError("run exited %d, expected %d\nstdout: %s\nstderr: %s" % (
                p.returncode, expect_status, p.stdout, p.stderr))
        return p

    def wait_status(self, cid, status, timeout=10.0):
        return wait_for(lambda: self.rt.status(cid) == status, timeout,
                        message="container %s never reached %r (now %r)" % (
                            cid, status, self.rt.status(cid)))

    def wait_out(self, bundle, name, timeout=10.0):
        """Waits until the container wrote /out/NAME: non-empty, ending with a newline."""

        def ready():
            if not bundle.has_out(name):
                return None
            text = bundle.read_out(name)
            return text if text.endswith("\n") else None

        return wait_for(ready, timeout, message="container never wrote /out/%s" % name)

    # -- assertions ---------------------------------------------------------------------
    def assertOneLineError(self, proc, *needles):
        """Non-zero exit and a final stderr line naming every needle (case-insensitive).

        hako must print exactly one line; runc's logs are looser, only the exit code and
        (where runc names it too) the needle are checked."""
        self.assertNotEqual(proc.returncode, 0, "expected failure: %s" % " ".join(proc.args))
        lines = [l for l in proc.stderr.splitlines() if l.strip()]
        self.assertTrue(lines, "no error message on stderr")
        if not is_runc():
            self.assertEqual(len(lines), 1, "expected a one-line error, got:\n" + proc.stderr)
            for n in needles:
                self.assertIn(n.lower(), lines[-1].lower(),
                              "error does not name %r: %s" % (n, lines[-1]))

    def assertNothingLeftBehind(self, before, cid, extra_paths=(), timeout=5.0):
        """No new host mounts, no cgroup dir naming cid, no state for cid, no process.

        Host mounts that other tests (run in parallel) make under their own /tmp/hkt-*
        dirs are ignored; any other new mount in the host's mount namespace counts."""
        others = os.path.join(tempfile.gettempdir(), TMP_PREFIX)
        mine = [d.rstrip("/") + "/" for d in self._tempdirs]

        def foreign(row):
            mp = row.mount_point.rstrip("/") + "/"
            return mp.startswith(others) and not any(mp.startswith(d) for d in mine)

        def leftovers():
            problems = []
            now = {r.mount_id: r for r in mountinfo("self")}
            new_mounts = [r.line for mid, r in now.items()
                          if mid not in before.mount_ids and not foreign(r)]
            if new_mounts:
                problems.append("new host mounts: %s" % new_mounts)
            dirs = cgroup_dirs(cid) - before.cgroup_dirs
            if dirs:
                problems.append("cgroup dirs left: %s" % sorted(dirs))
            procs = processes_referring_to([cid, self.state_root, *extra_paths])
            procs = {p: d for p, d in procs.items() if p not in before.processes}
            if procs:
                problems.append("processes left: %s" % procs)
            state = os.path.join(self.state_root, cid)
            if os.path.exists(state):
                problems.append("state dir left: %s" % state)
            if self.rt.state(cid) is not None:
                problems.append("`state %s` still succeeds" % cid)
            return problems

        deadline = time.monotonic() + timeout
        while True:
            problems = leftovers()
            if not problems or time.monotonic() >= deadline:
                break
            time.sleep(0.1)
        self.assertEqual(problems, [], "left behind after %s" % cid)
