"""Shared helpers for hako's integration tests (Python standard library only).

The tests drive the runtime binary named by $HAKO_BIN exactly like runc's command line and
check the kernel state from the host: /proc/PID/{ns,status,limits,mountinfo,cgroup}, the
cgroup filesystem and the state root. They are written against runc's behaviour, so
`HAKO_BIN=$(command -v runc)` must pass too, except tests decorated with @hako_only.

Environment:
  HAKO_BIN          the runtime binary (hako, or runc to validate the tests)
  HAKO_TEST_ROOTFS  a busybox-static rootfs made by scripts/make-rootfs.sh. It is shared
                    by every test and only ever READ (copied): each Bundle gets its own
                    `cp -a` copy, and no test may give the shared tree to the runtime or
                    mount anything on it. The suite checks after every test that it is
                    unchanged and that nothing is mounted in it.

Temp dirs (/tmp/hkt-*) are removed by safe_remove_tree(), never by shutil.rmtree: it first
unmounts everything at or below the dir and then removes files without ever crossing into
another mount or filesystem; when a mount cannot be removed it leaves the dir in place and
fails the test. A test that mounts something on the host does it through
HakoTestCase.host_mount()/mount_tmpfs(), which registers the mount for unmounting.

Reading results from inside a container: every Bundle bind-mounts a fresh host temp dir
(mode 0777) at /out, so the process can write files there, e.g.
    b = self.bundle(["sh", "-c", "cat /proc/self/status > /out/status"])
    self.run_container(b)
    status = parse_status(b.read_out("status"))
"""

import copy
import ctypes
import errno
import json
import os
import re
import secrets
import signal
import stat
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
    """A temporary OCI bundle: a directory with config.json and its own rootfs copy.

    The shared HAKO_TEST_ROOTFS is never given to the runtime (a runtime creates mount
    points in its rootfs, and a buggy one may write anything there): every bundle gets a
    private `cp -a` copy at <bundle>/rootfs. By default it is mounted read-only like
    `runc spec`; copy_rootfs=True makes it writable (root.readonly false). rootfs=False
    makes no rootfs at all: the caller provides <bundle>/rootfs (see populate_rootfs()).
    With out=True (the default) a host temp dir (mode 0777) is bind-mounted read-write
    at /out."""

    def __init__(self, test, args=None, copy_rootfs=False, out=True, hostname="hako",
                 rootfs=True):
        self.test = test
        self.dir = test.make_tempdir("bundle-")
        self.config = base_config(args, hostname)
        self.rootfs = os.path.join(self.dir, "rootfs")
        self.config["root"] = {"path": "rootfs", "readonly": not copy_rootfs}
        self.out = out
        if rootfs:
            os.mkdir(self.rootfs, 0o755)
            self.populate_rootfs()
        self.out_dir = None
        if out:
            self.out_dir = test.make_tempdir("out-")
            os.chmod(self.out_dir, 0o777)
            self.add_mount(OUT, "bind", self.out_dir, ["rbind", "rw"])

    def populate_rootfs(self, dest=None):
        """Copies the shared test rootfs into dest (default: this bundle's rootfs dir,
        which must exist) and creates the /out mount point in the copy: with a user
        namespace the runtime cannot mkdir in a host-root-owned rootfs."""
        dest = dest or self.rootfs
        check_not_shared_rootfs(dest, "a bundle rootfs")
        subprocess.run(["cp", "-a", ROOTFS.rstrip("/") + "/.", dest], check=True)
        if self.out:
            os.makedirs(os.path.join(dest, OUT.lstrip("/")), exist_ok=True)

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
        """Writes config.json (or the given raw text, for malformed-config tests).

        Refuses a config that would hand the shared test rootfs (or a path in it) to the
        runtime as the root or as a mount source."""
        if text is None:
            root = self.get("root.path")
            if isinstance(root, str):
                check_not_shared_rootfs(os.path.join(self.dir, root), "root.path")
            for m in self.config.get("mounts") or []:
                src = m.get("source") if isinstance(m, dict) else None
                if isinstance(src, str) and src.startswith("/"):
                    check_not_shared_rootfs(src, "mount source")
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
# Host mounts and safe removal of temp dirs
# --------------------------------------------------------------------------------------

MNT_DETACH = 2
UMOUNT_NOFOLLOW = 8
_libc = ctypes.CDLL(None, use_errno=True)
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]


class UnsafeRemoval(AssertionError):
    """A temp dir could not be removed without touching another mount: left in place."""


def _under(path, top):
    return path == top or path.startswith(top.rstrip("/") + "/")


def _mount_point_path(row):
    """The row's mount point without the " (deleted)" mark of a removed mount point."""
    mp = row.mount_point
    return mp[:-len(" (deleted)")] if mp.endswith(" (deleted)") else mp


def mounts_below(path, rows=None):
    """Rows of this process's mountinfo mounted at path or anywhere below it, deepest
    (and, at one path, top-most) first."""
    top = os.path.realpath(path)
    rows = mountinfo("self") if rows is None else rows
    found = [r for r in rows if _under(_mount_point_path(r), top)]
    return sorted(found, key=lambda r: (_mount_point_path(r).count("/"), r.mount_id),
                  reverse=True)


def umount_lazy(path):
    """umount2(path, MNT_DETACH|UMOUNT_NOFOLLOW); returns 0 or the errno."""
    if _libc.umount2(os.fsencode(path), MNT_DETACH | UMOUNT_NOFOLLOW) == 0:
        return 0
    return ctypes.get_errno()


def unmount_all_below(path, max_rounds=50):
    """Lazily unmounts everything mounted at or below path (stacked mounts included),
    deepest first, repeating until /proc/self/mountinfo shows none (at most max_rounds
    rounds). Returns the rows that are still mounted (empty on success)."""
    errors = {}
    for _ in range(max_rounds):
        rows = mounts_below(path)
        if not rows:
            return []
        progress = False
        for row in rows:
            err = umount_lazy(_mount_point_path(row))
            if err == 0:
                progress = True
            elif err != errno.EINVAL:  # EINVAL: already gone with a detached parent
                errors[row.mount_point] = os.strerror(err)
        if not progress:
            # Last resort: util-linux's umount, in case the syscall wrapper misbehaves.
            for row in rows:
                subprocess.run(["umount", "-l", _mount_point_path(row)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.01)
    rows = mounts_below(path)
    for row in rows:
        row.umount_error = errors.get(row.mount_point)
    return rows


def _fd_mount_id(fd):
    with open("/proc/self/fdinfo/%d" % fd) as f:
        for line in f:
            if line.startswith("mnt_id:"):
                return int(line.split()[1])
    raise AssertionError("no mnt_id in /proc/self/fdinfo/%d" % fd)


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _shared_rootfs_id():
    try:
        st = os.stat(ROOTFS)
        return (st.st_dev, st.st_ino)
    except OSError:
        return None


def _remove_contents(dfd, path, top, problems):
    """Removes what directory fd dfd (at path) holds, never leaving top's mount and
    filesystem. Returns True when the directory is empty afterwards."""
    emptied = True
    with os.scandir(dfd) as it:
        names = [e.name for e in it]
    for name in names:
        child = os.path.join(path, name)
        try:
            st = os.stat(name, dir_fd=dfd, follow_symlinks=False)
        except FileNotFoundError:
            continue
        reason = None
        if child in top["mount_points"]:
            reason = "is a mount point"
        elif st.st_dev != top["dev"]:
            reason = "is on another filesystem (st_dev %d, not %d)" % (st.st_dev, top["dev"])
        elif (st.st_dev, st.st_ino) == top["rootfs_id"]:
            reason = "is the shared HAKO_TEST_ROOTFS"
        if reason:
            problems.append("%s %s: not removed" % (child, reason))
            emptied = False
            continue
        if not stat.S_ISDIR(st.st_mode):
            try:
                os.unlink(name, dir_fd=dfd)
            except FileNotFoundError:
                pass
            except OSError as e:
                problems.append("%s: unlink: %s" % (child, e.strerror))
                emptied = False
            continue
        try:
            cfd = os.open(name, _DIR_FLAGS, dir_fd=dfd)
        except OSError as e:
            problems.append("%s: open: %s" % (child, e.strerror))
            emptied = False
            continue
        try:
            cst = os.fstat(cfd)
            if (cst.st_dev, cst.st_ino) != (st.st_dev, st.st_ino):
                problems.append("%s changed while being removed: not removed" % child)
                emptied = False
                continue
            mid = _fd_mount_id(cfd)
            if mid != top["mnt_id"]:
                problems.append("%s is on another mount (mnt_id %d, not %d): not removed"
                                % (child, mid, top["mnt_id"]))
                emptied = False
                continue
            if _remove_contents(cfd, child, top, problems):
                try:
                    os.rmdir(name, dir_fd=dfd)
                except OSError as e:
                    problems.append("%s: rmdir: %s" % (child, e.strerror))
                    emptied = False
            else:
                emptied = False
        finally:
            os.close(cfd)
    return emptied


def check_not_shared_rootfs(path, what):
    """Raises when path is, is inside or contains the shared HAKO_TEST_ROOTFS."""
    if not ROOTFS:
        return
    p = os.path.realpath(path)
    r = os.path.realpath(ROOTFS)
    if _under(p, r) or _under(r, p):
        raise AssertionError("%s %s overlaps the shared HAKO_TEST_ROOTFS %s: tests must "
                             "use a copy" % (what, path, ROOTFS))


def safe_remove_tree(path):
    """Removes one of the suite's temp dirs without ever deleting through a mount.

    1. Unmounts (lazily, deepest first, repeatedly) everything at or below path.
    2. If anything is still mounted there, leaves the dir alone and raises.
    3. Removes the tree through directory fds, descending only into directories on the
       same filesystem (st_dev) and the same mount (mnt_id) as path, never into a mount
       point listed in mountinfo nor into the shared rootfs; anything skipped is left in
       place and reported by raising UnsafeRemoval."""
    path = os.path.abspath(path)
    tmp = os.path.realpath(tempfile.gettempdir())
    real = os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))
    if (os.path.islink(path) or os.path.dirname(real) != tmp
            or not os.path.basename(real).startswith(TMP_PREFIX)):
        raise UnsafeRemoval("refusing to remove %s: not a %s/%s* temp dir" % (
            path, tmp, TMP_PREFIX))
    check_not_shared_rootfs(real, "refusing to remove")
    if not os.path.lexists(real):
        return
    left = unmount_all_below(real)
    if left:
        raise UnsafeRemoval("%s NOT removed: still mounted below it after unmounting: %s" % (
            real, ["%s (%s)" % (r.line, getattr(r, "umount_error", None)) for r in left]))
    fd = os.open(real, _DIR_FLAGS)
    try:
        st = os.fstat(fd)
        parent = os.open(tmp, _DIR_FLAGS)
        try:
            parent_mnt = _fd_mount_id(parent)
        finally:
            os.close(parent)
        top = {"dev": st.st_dev, "mnt_id": _fd_mount_id(fd),
               "rootfs_id": _shared_rootfs_id(),
               "mount_points": {_mount_point_path(r) for r in mounts_below(real)}}
        if top["mnt_id"] != parent_mnt or real in top["mount_points"]:
            raise UnsafeRemoval("%s NOT removed: it is a mount point" % real)
        problems = []
        emptied = _remove_contents(fd, real, top, problems)
    finally:
        os.close(fd)
    if emptied:
        os.rmdir(real)
    if problems:
        raise UnsafeRemoval("%s only partly removed, to avoid deleting through a mount:\n  %s"
                            % (real, "\n  ".join(problems)))


def rootfs_fingerprint():
    """{relative path: (mode, uid, gid, size, mtime_ns, link target)} of the shared rootfs,
    not following symlinks nor crossing into another filesystem."""
    top = os.path.realpath(ROOTFS)
    top_dev = os.lstat(top).st_dev
    out = {}
    for dirpath, dirs, files in os.walk(top):
        paths = [dirpath] if dirpath == top else []
        paths += [os.path.join(dirpath, n) for n in dirs + files]
        for p in paths:
            try:
                st = os.lstat(p)
            except OSError:
                continue
            link = os.readlink(p) if stat.S_ISLNK(st.st_mode) else None
            out[os.path.relpath(p, top)] = (st.st_mode, st.st_uid, st.st_gid, st.st_size,
                                            st.st_mtime_ns, link)
        dirs[:] = [d for d in dirs if os.lstat(os.path.join(dirpath, d)).st_dev == top_dev]
    return out


def rootfs_changes(before, after):
    changes = []
    for p in sorted(set(before) | set(after)):
        if p not in after:
            changes.append("removed " + p)
        elif p not in before:
            changes.append("added " + p)
        elif before[p] != after[p]:
            changes.append("changed %s: %s -> %s" % (p, before[p], after[p]))
    return changes


_ROOTFS_BASELINE = {}


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
    if ROOTFS and os.path.isdir(ROOTFS):
        real = os.path.realpath(ROOTFS)
        if os.path.basename(real).startswith(TMP_PREFIX):
            problems.append("HAKO_TEST_ROOTFS=%r is one of the suite's temp dirs" % ROOTFS)
        held = mounts_below(real)
        if held:
            problems.append("mounts inside HAKO_TEST_ROOTFS (left by an earlier run? "
                            "unmount them by hand): %s" % [r.line for r in held])
    return problems


class HakoTestCase(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        problems = _check_environment()
        if problems:
            raise AssertionError("; ".join(problems))
        if "fingerprint" not in _ROOTFS_BASELINE:
            _ROOTFS_BASELINE["fingerprint"] = rootfs_fingerprint()

    def setUp(self):
        self._tempdirs = []
        self._ids = []
        self._host_mounts = []
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
        problems = []
        # The test's own host mounts first, then every temp dir, each of which is
        # unmounted once more and removed without crossing into any mount.
        for target in reversed(self._host_mounts):
            left = unmount_all_below(target)
            if left:
                problems.append("could not unmount %s: %s" % (
                    target, [r.line for r in left]))
        for d in reversed(self._tempdirs):
            try:
                safe_remove_tree(d)
            except (UnsafeRemoval, OSError) as e:
                problems.append(str(e))
        problems.extend(self._check_shared_rootfs())
        if problems:
            raise AssertionError("UNSAFE HOST STATE AFTER THE TEST (any dir named here was "
                                 "left in place):\n" + "\n".join(problems))

    def _check_shared_rootfs(self):
        """The shared rootfs must be unchanged and hold no mount after every test."""
        problems = []
        if not ROOTFS:
            return problems
        held = mounts_below(os.path.realpath(ROOTFS))
        if held:
            problems.append("MOUNTS INSIDE THE SHARED HAKO_TEST_ROOTFS: %s"
                            % [r.line for r in held])
        if "fingerprint" in _ROOTFS_BASELINE:
            now = rootfs_fingerprint()
            changes = rootfs_changes(_ROOTFS_BASELINE["fingerprint"], now)
            if changes:
                problems.append("THE SHARED HAKO_TEST_ROOTFS CHANGED during this test: %s"
                                % changes[:20])
                _ROOTFS_BASELINE["fingerprint"] = now  # report each change once
        return problems

    # -- factories ----------------------------------------------------------------------
    def make_tempdir(self, prefix="tmp-"):
        d = tempfile.mkdtemp(prefix=TMP_PREFIX + prefix)
        # Traversable by a container root mapped to an unprivileged host uid.
        os.chmod(d, 0o755)
        self._tempdirs.append(d)
        return d

    def host_mount(self, *mount_args, target):
        """Runs `mount MOUNT_ARGS... TARGET` on the host (target must be inside one of
        this test's temp dirs) and registers target for recursive unmounting in cleanup,
        after the containers are deleted and before the temp dirs are removed."""
        real = os.path.realpath(target)
        if not any(_under(real, os.path.realpath(d)) for d in self._tempdirs):
            raise AssertionError("host mount target %s is outside the test's temp dirs"
                                 % target)
        check_not_shared_rootfs(real, "host mount target")
        for a in mount_args:
            if isinstance(a, str) and a.startswith("/"):
                check_not_shared_rootfs(a, "host mount argument")
        if real not in self._host_mounts:
            self._host_mounts.append(real)
        subprocess.run(["mount", *mount_args, real], check=True)
        return real

    def mount_tmpfs(self, target, size="16m", shared=False):
        """Mounts a fresh tmpfs at target, in a private peer group; shared=True then
        makes it shared in a peer group of its own (never the host's)."""
        self.host_mount("-t", "tmpfs", "-o", "size=%s,mode=755" % size, "hkt-tmpfs",
                        target=target)
        subprocess.run(["mount", "--make-private", target], check=True)
        if shared:
            subprocess.run(["mount", "--make-shared", target], check=True)
        return target

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
