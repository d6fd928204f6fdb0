"""Podman 4.3.1 (Debian) drives hako, runc and crun through conmon.

Every scenario runs once per runtime (PodmanHako, PodmanRunc, PodmanCrun), with the runtime
chosen by path (`podman --runtime PATH`: the runtime's name is the path's basename, which is
what runtime_supports_json matches).

Isolation. Podman runs with private config and storage (CONTAINERS_CONF,
CONTAINERS_STORAGE_CONF, CONTAINERS_REGISTRIES_CONF: vfs storage, file locks, file events,
every directory below the Workspace). Podman 4.3's CNI backend keeps state in fixed host paths
that no setting moves (the libcni result cache /var/lib/cni/results, host-local leases under
/var/lib/cni/networks, network namespace files in /run/netns) and creates its bridge and
iptables rules in its own network namespace. So every podman command runs through nsenter in
a namespace holder the module starts: a private network namespace (the cni-podman0 bridge, its
iptables rules, the bridge plugin's ip_forward=1 and all test traffic stay there) and a private
mount namespace with fresh tmpfs on /run, /var/lib and /var/tmp (CNI's state, the netns files,
c/image's blob-info cache /var/lib/containers/cache, and the runtimes' default state dirs
/run/hako, /run/runc, /run/crun). Containers go below a private cgroup parent, removed at the
end. Killing the holder drops every mount and network device the tests made.

Why not `--runtime-flag root=...` for a private runtime state dir: conmon's exit command
(`podman container cleanup`) does not carry runtime flags, so its `delete` looks in the
default root and the container's state dir and cgroups would be left behind.
"""

import json
import os
import re
import resource
import signal
import subprocess
import time
import unittest

import enginelib
from enginelib import hakotest

PODMAN = "/usr/bin/podman"
IMAGE = "localhost/hkt-busybox:latest"
BUSYBOX = os.path.join(enginelib.ROOTFS, "bin", "busybox")

# Podman 4.3.1 lowers its own RLIMIT_NPROC, soft and hard, to 32768 as it starts (strace:
# setrlimit(RLIMIT_NPROC, 32768) before main), so conmon and the runtime can set no more.
# Root lacks CAP_SYS_RESOURCE here: a container limit above the runtime's own hard limit
# fails create with EPERM (Podman's default is 1048576 for nofile and nproc).
PODMAN_NPROC_CEILING = 32768

# Holds the private network and mount namespaces every podman command enters.
_HOLDER_SCRIPT = """
mount -t tmpfs -o mode=0755 hkt-podman-run /run &&
mount -t tmpfs -o mode=0755 hkt-podman-varlib /var/lib &&
mount -t tmpfs -o mode=1777 hkt-podman-vartmp /var/tmp &&
ip link set lo up &&
echo ready > "$0" &&
exec sleep infinity
"""


class _Module:
    ws = None
    holder = None
    env = None
    runtimes = None
    cgroup_parent = None
    nofile = None
    nproc = None


M = _Module()


def _containers_conf(ws, nofile, nproc):
    return """\
[containers]
default_ulimits = ["nofile={nofile}:{nofile}", "nproc={nproc}:{nproc}"]
log_driver = "k8s-file"

[network]
network_backend = "cni"
network_config_dir = "{ws}/cni"
cni_plugin_dirs = ["/usr/lib/cni"]

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "{ws}/events.log"
lock_type = "file"
tmp_dir = "{ws}/tmp"
volume_path = "{ws}/volumes"
image_copy_tmp_dir = "{ws}/image-copy"
runtime_supports_json = ["crun", "runc", "hako"]
""".format(ws=ws.path, nofile=nofile, nproc=nproc)


def _storage_conf(ws):
    return """\
[storage]
driver = "vfs"
graphroot = "{ws}/storage"
runroot = "{ws}/run"
""".format(ws=ws.path)


def in_namespaces(argv):
    return ["nsenter", "-t", str(M.holder.pid), "--mount", "--net", "--"] + list(argv)


def podman_argv(*args, runtime=None):
    argv = [PODMAN]
    if runtime:
        argv += ["--runtime", runtime]
    return in_namespaces(argv + list(args))


def podman(*args, runtime=None, check=True, timeout=60, input=None):
    return enginelib.run(podman_argv(*args, runtime=runtime), timeout=timeout, check=check,
                         env=M.env, input=input)


def _start_holder(ws):
    ready = os.path.join(ws.path, "holder.ready")
    log = open(os.path.join(ws.path, "holder.log"), "w")
    proc = subprocess.Popen(["unshare", "--mount", "--net", "--propagation", "private", "--",
                             "sh", "-c", _HOLDER_SCRIPT, ready],
                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    log.close()
    deadline = time.monotonic() + 10
    while not os.path.exists(ready):
        if proc.poll() is not None or time.monotonic() > deadline:
            with open(os.path.join(ws.path, "holder.log")) as f:
                raise AssertionError("namespace holder failed: %s" % f.read())
        time.sleep(0.02)
    return proc


def _cgroup_parent_dirs():
    """Every hierarchy's copy of the private cgroup parent."""
    found = []
    for top, dirs, _ in os.walk(hakotest.CGROUP_ROOT):
        for d in dirs:
            if d == M.cgroup_parent.strip("/"):
                found.append(os.path.join(top, d))
        # Only the hierarchy roots (and /sys/fs/cgroup/unified) are searched.
        if top != hakotest.CGROUP_ROOT:
            dirs[:] = []
    return found


def _leftover_processes():
    """Pids still in the private cgroup parent (container inits, conmon) or in the holder's
    mount namespace (conmon, podman): all started by this module."""
    pids = set()
    for top in _cgroup_parent_dirs():
        for path, _, files in os.walk(top):
            if "cgroup.procs" in files:
                try:
                    pids.update(int(p) for p in _read(os.path.join(path, "cgroup.procs")).split())
                except OSError:
                    pass
    if M.holder is not None and M.holder.poll() is None:
        holder_mnt = os.readlink("/proc/%d/ns/mnt" % M.holder.pid)
        for entry in os.listdir("/proc"):
            if entry.isdigit() and int(entry) != M.holder.pid:
                try:
                    if os.readlink("/proc/%s/ns/mnt" % entry) == holder_mnt:
                        pids.add(int(entry))
                except OSError:
                    pass
    return sorted(p for p in pids if hakotest.pid_alive(p))


def _cmdline(pid):
    try:
        return "%d: %s" % (pid, _read("/proc/%d/cmdline" % pid).replace("\0", " ")[:200])
    except OSError:
        return str(pid)


def _remove_cgroup_tree(top):
    for path, dirs, _ in sorted(os.walk(top), key=lambda t: t[0].count("/"), reverse=True):
        for _ in range(50):
            try:
                os.rmdir(path)
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.1)  # conmon or a dying init still in it


def setUpModule():
    enginelib.check_environment()
    for tool in (PODMAN, "/usr/bin/conmon", "/usr/lib/cni/bridge"):
        if not os.access(tool, os.X_OK):
            raise RuntimeError("%s missing: scripts/setup.sh installs podman, conmon and "
                               "containernetworking-plugins" % tool)
    M.ws = enginelib.Workspace("podman")
    try:
        M.nofile = enginelib.host_hard_limit(resource.RLIMIT_NOFILE)
        M.nproc = min(enginelib.host_hard_limit(resource.RLIMIT_NPROC), PODMAN_NPROC_CEILING)
        conf = M.ws.write("containers.conf", _containers_conf(M.ws, M.nofile, M.nproc))
        storage = M.ws.write("storage.conf", _storage_conf(M.ws))
        registries = M.ws.write("registries.conf", "unqualified-search-registries = []\n")
        for d in ("cni", "tmp", "volumes", "image-copy"):
            M.ws.sub(d)
        M.env = dict(os.environ, CONTAINERS_CONF=conf, CONTAINERS_STORAGE_CONF=storage,
                     CONTAINERS_REGISTRIES_CONF=registries)
        M.runtimes = enginelib.runtime_binaries(M.ws)
        M.cgroup_parent = "/" + os.path.basename(M.ws.path)
        M.holder = _start_holder(M.ws)
        tarball = enginelib.rootfs_tarball(M.ws)
        podman("import", tarball, IMAGE)
    except BaseException:
        tearDownModule()
        raise


def tearDownModule():
    problems = []
    if M.holder is not None:
        if M.holder.poll() is None:
            p = podman("rm", "--all", "--force", "--time", "0", check=False, timeout=120)
            if p.returncode != 0:
                problems.append("podman rm --all: %s" % p.stderr)
        left = _leftover_processes() if M.cgroup_parent else []
        if left:
            problems.append("processes left after podman rm --all (killed): %s" % [
                _cmdline(pid) for pid in left])
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if M.holder.poll() is None:
            M.holder.kill()
        M.holder.wait()
    if M.cgroup_parent:
        for top in _cgroup_parent_dirs():
            _remove_cgroup_tree(top)
        left = _cgroup_parent_dirs()
        if left:
            problems.append("cgroups left: %s" % left)
    if M.ws is not None:
        M.ws.remove()
    if problems:
        raise AssertionError("; ".join(problems))


def _holder_path(path):
    """A path as the podman commands (in the holder's mount namespace) see it."""
    return "/proc/%d/root%s" % (M.holder.pid, path)


def _read(path):
    with open(path) as f:
        return f.read()


def _cgroup_file(pid, controller, name):
    for _, controllers, path in hakotest.cgroup(pid):
        if controller in controllers.split(","):
            return os.path.join(hakotest.CGROUP_ROOT, controller, path.lstrip("/"), name)
    raise AssertionError("pid %d has no %s cgroup" % (pid, controller))


class PodmanScenarios:
    RUNTIME = None
    # Where the runtime keeps a container's state (its default --root, inside the holder's
    # private /run).
    STATE_ROOT = None
    # The runtime's words for a missing and a non-executable command, as Podman shows them
    # (runc's, which hako keeps).
    MISSING_WORDS = 'exec: "/nonexistent": stat /nonexistent: no such file or directory'
    NOT_EXECUTABLE_WORDS = 'exec: "/etc/passwd": permission denied'
    # Port published in the network scenario (distinct per runtime).
    PORT = None
    # The mode of a "tmpcopyup" tmpfs's root; None: the covered directory's (runc's chmod).
    COPY_UP_ROOT_MODE = None

    # ---- helpers -----------------------------------------------------------------------

    @property
    def runtime(self):
        return M.runtimes[self.RUNTIME]

    def podman(self, *args, **kw):
        return podman(*args, runtime=self.runtime, **kw)

    def name(self, what):
        return "hkt-%s-%s" % (self.RUNTIME, what)

    def remove_later(self, name):
        self.addCleanup(self.podman, "rm", "--force", "--time", "0", name, check=False)

    def create_args(self, *extra):
        return ["--cgroup-parent", M.cgroup_parent] + list(extra)

    def start_detached(self, what, *cmd, extra=()):
        """`podman run -d`; returns (name, full id, the init's host pid)."""
        name = self.name(what)
        self.remove_later(name)
        cid = self.podman("run", "-d", "--name", name, *self.create_args(*extra), IMAGE,
                          *cmd).stdout.strip()
        self.assertRegex(cid, r"^[0-9a-f]{64}$")
        pid = int(self.inspect(name, "{{.State.Pid}}"))
        self.assertGreater(pid, 0)
        return name, cid, pid

    def inspect(self, name, fmt):
        return self.podman("inspect", "--format", fmt, name).stdout.strip()

    def wait_exited(self, name, timeout=15):
        hakotest.wait_for(lambda: self.inspect(name, "{{.State.Status}}") == "exited",
                          timeout=timeout, message="%s did not exit" % name)
        return int(self.inspect(name, "{{.State.ExitCode}}"))

    def runtime_state(self, cid):
        """The runtime's own `state` of the container, asked with the runtime binary."""
        p = enginelib.run(in_namespaces([self.runtime, "state", cid]), check=False)
        if p.returncode != 0:
            return None
        return json.loads(p.stdout)

    def assert_gone(self, name, cid, pid):
        """The container, its init, its runtime state and its cgroup are all gone."""
        hakotest.wait_for(lambda: not hakotest.pid_alive(pid), timeout=10,
                          message="init %d of %s still alive" % (pid, name))
        p = self.podman("ps", "--all", "--filter", "name=^%s$" % name, "--format",
                        "{{.ID}}")
        self.assertEqual(p.stdout.strip(), "")
        hakotest.wait_for(lambda: not os.path.exists(
            _holder_path("%s/%s" % (self.STATE_ROOT, cid))), timeout=10,
            message="runtime state of %s left in %s" % (cid, self.STATE_ROOT))
        self.assertEqual(hakotest.cgroup_dirs(cid), set(), "cgroups of %s left" % cid)

    # ---- scenarios ---------------------------------------------------------------------

    def test_run_rm_output(self):
        name = self.name("rm-output")
        cidfile = os.path.join(M.ws.path, name + ".cid")
        p = self.podman("run", "--rm", "--name", name, "--cidfile", cidfile,
                        *self.create_args(), IMAGE,
                        "sh", "-c", "echo out-$((6*7)); echo err-line >&2; exit 3",
                        check=False)
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertEqual(p.stdout, "out-42\n")
        self.assertIn("err-line", p.stderr)
        # --rm left nothing: not the container, nor the runtime's state, nor its cgroups.
        cid = _read(cidfile).strip()
        p = self.podman("ps", "--all", "--filter", "name=^%s$" % name, "--format", "{{.ID}}")
        self.assertEqual(p.stdout.strip(), "", "--rm left the container")
        self.assertFalse(os.path.exists(_holder_path("%s/%s" % (self.STATE_ROOT, cid))))
        self.assertEqual(hakotest.cgroup_dirs(cid), set())

    def test_run_detached_logs(self):
        name, cid, pid = self.start_detached(
            "logs", "sh", "-c", "echo first-line; echo second-line >&2; exec sleep 1000")
        hakotest.wait_for(lambda: "second-line" in self.podman("logs", name).stderr,
                          message="logs never showed the output")
        logs = self.podman("logs", name)
        self.assertEqual(logs.stdout, "first-line\n")
        self.assertEqual(logs.stderr, "second-line\n")
        # The runtime really ran it: conmon (the init's parent) was started with this runtime
        # (and with --log-format=json, runtime_supports_json naming it), and the runtime's own
        # state of the container names the same init.
        self.assertEqual(self.inspect(name, "{{.OCIRuntime}}"), self.runtime)
        conmon = int(self.inspect(name, "{{.State.ConmonPid}}"))
        with open("/proc/%d/stat" % pid) as f:
            self.assertEqual(int(f.read().rpartition(")")[2].split()[1]), conmon)
        conmon_argv = _read("/proc/%d/cmdline" % conmon).split("\0")
        self.assertEqual(conmon_argv[conmon_argv.index("-r") + 1], self.runtime)
        self.assertIn("--log-format=json", conmon_argv)
        state = self.runtime_state(cid)
        self.assertIsNotNone(state, "%s state %s failed" % (self.RUNTIME, cid))
        self.assertEqual(state["status"], "running")
        self.assertEqual(state["pid"], pid)
        self.assertTrue(os.path.isdir(_holder_path("%s/%s" % (self.STATE_ROOT, cid))))
        with open("/proc/%d/cmdline" % pid) as f:
            self.assertEqual(f.read(), "sleep\x001000\x00")
        # The configured default ulimits reached the init.
        limits = hakotest.proc_limits(pid)
        self.assertEqual(limits["RLIMIT_NOFILE"], (str(M.nofile), str(M.nofile)))
        self.assertEqual(limits["RLIMIT_NPROC"], (str(M.nproc), str(M.nproc)))

    def test_exec(self):
        name, _, pid = self.start_detached("exec", "sleep", "1000")
        p = self.podman("exec", name, "sh", "-c",
                        "echo exec-out; readlink /proc/self/ns/pid; cat /proc/1/cmdline; "
                        "echo; cat /proc/self/cgroup; exit 7", check=False)
        self.assertEqual(p.returncode, 7, p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(lines[0], "exec-out")
        # Same pid namespace as the init (whose pid there is 1), same cgroups.
        self.assertEqual(lines[1], os.readlink("/proc/%d/ns/pid" % pid))
        self.assertEqual(lines[2], "sleep\x001000\x00")
        self.assertEqual(lines[3:], _read("/proc/%d/cgroup" % pid).splitlines())
        # A missing and a non-executable command in exec: Podman's 127 and 126.
        p = self.podman("exec", name, "/nonexistent", check=False)
        self.assertEqual(p.returncode, 127, p.stderr)
        p = self.podman("exec", name, "/etc/passwd", check=False)
        self.assertEqual(p.returncode, 126, p.stderr)

    def _check_terminal(self, session, prompt="# "):
        session.expect(prompt)
        session.send("tty; stty size; echo done-$((1+1))\n")
        out = session.expect("done-2")
        self.assertRegex(out, r"/dev/pts/\d+\r?\n")
        self.assertRegex(out, r"\r?\n24 80\r?\n")
        session.resize(30, 100)
        deadline = time.monotonic() + 10
        attempt = 0
        while True:
            attempt += 1
            # $((...)) keeps the marker out of the terminal's echo of the command line.
            session.send("stty size; echo size-$((%d+1))\n" % attempt)
            out = session.expect("size-%d\r\n" % (attempt + 1))
            if re.search(r"\n30 100\r?\nsize-%d\r\n" % (attempt + 1), out):
                break
            if time.monotonic() > deadline:
                self.fail("the container's terminal never became 30x100:\n%s" % out)
            time.sleep(0.2)
        session.send("exit 5\n")
        self.assertEqual(session.finish(), 5, session.output)

    def test_exec_it(self):
        name, _, pid = self.start_detached("exec-it", "sleep", "1000")
        session = enginelib.PtySession(podman_argv("exec", "-it", name, "sh",
                                                   runtime=self.runtime), env=M.env)
        self._check_terminal(session)

    def test_run_it(self):
        name = self.name("run-it")
        self.remove_later(name)
        session = enginelib.PtySession(
            podman_argv("run", "-it", "--rm", "--name", name, *self.create_args(), IMAGE,
                        "sh", runtime=self.runtime), env=M.env)
        self._check_terminal(session)

    def test_stop(self):
        # A process that exits on SIGTERM stops at once with its own status...
        name, cid, pid = self.start_detached(
            "stop-term", "sh", "-c",
            "trap 'echo got-term; exit 42' TERM; echo ready; sleep 1000 & wait")
        hakotest.wait_for(lambda: "ready" in self.podman("logs", name).stdout)
        started = time.monotonic()
        self.podman("stop", "--time", "10", name)
        self.assertLess(time.monotonic() - started, 5)
        self.assertEqual(self.wait_exited(name), 42)
        self.assertIn("got-term", self.podman("logs", name).stdout)
        self.assertFalse(hakotest.pid_alive(pid))
        # ...one that ignores it is killed after --time.
        name, cid, pid = self.start_detached(
            "stop-ignore", "sh", "-c", "trap '' TERM; echo ready; sleep 1000 & wait")
        hakotest.wait_for(lambda: "ready" in self.podman("logs", name).stdout)
        started = time.monotonic()
        p = self.podman("stop", "--time", "1", name)
        elapsed = time.monotonic() - started
        self.assertGreaterEqual(elapsed, 1.0)
        self.assertLess(elapsed, 8)
        self.assertIn("resorting to SIGKILL", p.stderr)
        self.assertEqual(self.wait_exited(name), 137)
        self.assertFalse(hakotest.pid_alive(pid))

    def test_kill(self):
        name, cid, pid = self.start_detached(
            "kill", "sh", "-c",
            "trap 'echo got-usr1' USR1; echo ready; while :; do sleep 1000 & wait; done")
        hakotest.wait_for(lambda: "ready" in self.podman("logs", name).stdout)
        self.podman("kill", "--signal", "USR1", name)
        hakotest.wait_for(lambda: "got-usr1" in self.podman("logs", name).stdout,
                          message="SIGUSR1 never reached the container's init")
        self.assertTrue(hakotest.pid_alive(pid))
        self.podman("kill", name)  # SIGKILL
        self.assertEqual(self.wait_exited(name), 137)
        self.assertFalse(hakotest.pid_alive(pid))

    def test_rm_force_running(self):
        name, cid, pid = self.start_detached("rm-force", "sleep", "1000")
        memory_dir = os.path.dirname(_cgroup_file(pid, "memory", "tasks"))
        self.assertTrue(os.path.isdir(memory_dir))
        self.assertIn(cid, memory_dir)
        self.podman("rm", "--force", "--time", "0", name)
        self.assert_gone(name, cid, pid)
        self.assertFalse(os.path.exists(memory_dir))

    def test_memory_and_pids_limit(self):
        name, cid, pid = self.start_detached("limits", "sleep", "1000",
                                             extra=("--memory", "64m", "--pids-limit", "33"))
        self.assertEqual(_read(_cgroup_file(pid, "memory", "memory.limit_in_bytes")).strip(),
                         str(64 * 1024 * 1024))
        self.assertEqual(_read(_cgroup_file(pid, "pids", "pids.max")).strip(), "33")
        # The init is a member of those very cgroups, and they are the container's.
        tasks = _read(_cgroup_file(pid, "pids", "cgroup.procs")).split()
        self.assertIn(str(pid), tasks)
        self.assertIn(M.cgroup_parent.strip("/"), _cgroup_file(pid, "memory", ""))
        # The limit holds inside: 40 more processes cannot all start.
        p = self.podman("exec", name, "sh", "-c",
                        "n=0; for i in $(seq 40); do sleep 30 & n=$((n+1)); done; "
                        "echo started-$n", check=False)
        self.assertNotIn("started-40", p.stdout + p.stderr)
        self.assertRegex(p.stderr, r"(?i)fork|resource temporarily unavailable")
        # `podman update` goes through the runtime's `update --resources FILE`.
        self.podman("update", "--memory", "96m", name)
        self.assertEqual(_read(_cgroup_file(pid, "memory", "memory.limit_in_bytes")).strip(),
                         str(96 * 1024 * 1024))

    def test_pause_unpause(self):
        name, cid, pid = self.start_detached("pause", "sleep", "1000")
        freezer = _cgroup_file(pid, "freezer", "freezer.state")
        self.podman("pause", name)
        self.assertEqual(_read(freezer).strip(), "FROZEN")
        self.assertEqual(self.inspect(name, "{{.State.Status}}"), "paused")
        self.assertEqual(self.runtime_state(cid)["status"], "paused")
        self.podman("unpause", name)
        self.assertEqual(_read(freezer).strip(), "THAWED")
        self.assertEqual(self.inspect(name, "{{.State.Status}}"), "running")
        self.assertEqual(self.podman("exec", name, "echo", "alive").stdout, "alive\n")

    def test_network_none(self):
        name, cid, pid = self.start_detached("net-none", "sleep", "1000",
                                             extra=("--network", "none"))
        p = self.podman("exec", name, "ip", "-o", "link", "show")
        links = [line.split(":")[1].strip() for line in p.stdout.splitlines()]
        self.assertEqual(links, ["lo"])
        self.assertNotEqual(hakotest.ns_inode(pid, "net"), hakotest.ns_inode("self", "net"))
        self.assertNotEqual(hakotest.ns_inode(pid, "net"),
                            hakotest.ns_inode(M.holder.pid, "net"))

    def test_network_bridge(self):
        # The default CNI network (cni-podman0, 10.88.0.0/16) inside the holder's private
        # network namespace: container to container, and a published port from the "host"
        # side (the holder's namespace) through CNI's portmap DNAT.
        page = "hello-from-%s" % self.RUNTIME
        name, cid, pid = self.start_detached(
            "httpd", "sh", "-c",
            "mkdir -p /www && echo %s > /www/index.html && exec httpd -f -p 8080 -h /www"
            % page, extra=("--publish", "%d:8080" % self.PORT))
        ip = self.inspect(name, "{{.NetworkSettings.IPAddress}}")
        self.assertRegex(ip, r"^10\.88\.\d+\.\d+$")
        self.assertNotEqual(hakotest.ns_inode(pid, "net"),
                            hakotest.ns_inode(M.holder.pid, "net"))
        p = self.podman("run", "--rm", *self.create_args(), IMAGE, "sh", "-c",
                        "for i in $(seq 50); do wget -q -O - http://%s:8080/ && exit 0; "
                        "sleep 0.1; done; exit 1" % ip, check=False)
        self.assertEqual((p.returncode, p.stdout), (0, page + "\n"), p.stderr)
        p = enginelib.run(in_namespaces(
            ["nsenter", "--net=/proc/%d/ns/net" % M.holder.pid, BUSYBOX, "wget", "-q",
             "-O", "-", "http://10.88.0.1:%d/" % self.PORT]), check=False)
        self.assertEqual((p.returncode, p.stdout), (0, page + "\n"), p.stderr)

    def test_read_only_with_tmpfs_copy_up(self):
        # --read-only adds tmpfs on /tmp, /run and /var/tmp, and --tmpfs adds one, all with
        # runc's "tmpcopyup" extension: each starts with a copy of the image's directory.
        p = self.podman("run", "--rm", "--read-only", "--tmpfs", "/etc", "--network", "none",
                        *self.create_args(), IMAGE, "sh", "-c",
                        "touch /bin/new 2>/dev/null; echo rootfs-write=$?; "
                        "head -n 1 /etc/passwd; echo x > /etc/new && echo etc-write=$?; "
                        "echo x > /tmp/new && echo tmp-write=$?; stat -c '%a %U' /etc; "
                        "grep -E ' /(etc|tmp|var/tmp|run) ' /proc/self/mounts | cut -d' ' -f2,3 "
                        "| sort")
        self.assertEqual(p.stdout.splitlines(), [
            "rootfs-write=1", "root:x:0:0:root:/root:/bin/sh", "etc-write=0", "tmp-write=0",
            "%s root" % (self.COPY_UP_ROOT_MODE or "%o" % (
                os.stat(os.path.join(enginelib.ROOTFS, "etc")).st_mode & 0o7777)),
            "/etc tmpfs", "/run tmpfs", "/tmp tmpfs", "/var/tmp tmpfs"])

    def test_privileged_host_devices(self):
        # --privileged lists the host's devices with fileMode = the host node's st_mode
        # (file type bits included) and grants every capability.
        wanted = [d for d in ("/dev/loop-control", "/dev/fuse", "/dev/kmsg", "/dev/zero")
                  if os.path.exists(d)]
        p = self.podman("run", "--rm", "--privileged", "--network", "none",
                        *self.create_args(), IMAGE, "sh", "-c",
                        "grep CapEff /proc/self/status; stat -c '%n %a %t:%T' " +
                        " ".join(wanted))
        lines = p.stdout.splitlines()
        with open("/proc/self/status") as f:
            bounding = [line.split()[1] for line in f if line.startswith("CapBnd:")][0]
        self.assertEqual(lines[0].split(), ["CapEff:", bounding])
        expected = []
        for d in wanted:
            st = os.stat(d)
            expected.append("%s %o %x:%x" % (d, st.st_mode & 0o7777, os.major(st.st_rdev),
                                             os.minor(st.st_rdev)))
        self.assertEqual(lines[1:], expected)

    def test_exit_codes_missing_and_not_executable(self):
        p = self.podman("run", "--rm", "--network", "none", *self.create_args(), IMAGE,
                        "/nonexistent", check=False)
        self.assertEqual(p.returncode, 127, p.stderr)
        self.assertIn(self.MISSING_WORDS, p.stderr)
        p = self.podman("run", "--rm", "--network", "none", *self.create_args(), IMAGE,
                        "/etc/passwd", check=False)
        self.assertEqual(p.returncode, 126, p.stderr)
        self.assertIn(self.NOT_EXECUTABLE_WORDS, p.stderr)
        p = self.podman("run", "--rm", "--network", "none", *self.create_args(), IMAGE,
                        "no-such-command", check=False)
        self.assertEqual(p.returncode, 127, p.stderr)


class PodmanHako(PodmanScenarios, unittest.TestCase):
    RUNTIME = "hako"
    STATE_ROOT = "/run/hako"
    PORT = 18081


class PodmanRunc(PodmanScenarios, unittest.TestCase):
    RUNTIME = "runc"
    STATE_ROOT = "/run/runc"
    PORT = 18082


class PodmanCrun(PodmanScenarios, unittest.TestCase):
    RUNTIME = "crun"
    STATE_ROOT = "/run/crun"
    # crun words both failures differently; Podman still maps them to 127 and 126.
    MISSING_WORDS = "executable file `/nonexistent` not found"
    NOT_EXECUTABLE_WORDS = "open executable: Permission denied"
    PORT = 18083
    # crun 1.8.1 copies the directory's contents but leaves the tmpfs root at tmpfs's
    # default mode instead of the covered directory's.
    COPY_UP_ROOT_MODE = "1777"


if __name__ == "__main__":
    unittest.main()
