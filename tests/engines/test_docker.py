"""Docker Engine 20.10 (Debian's docker.io) runs containers with hako, runc and crun registered
as runtimes in a private daemon.json, and every scenario runs once per runtime
(`docker run --runtime NAME`).

The module starts, once, its own containerd (private config.toml: root, state, sockets and the
opt dir below the Workspace) and a dockerd pointed at it with --config-file; daemon.json names
the data root, exec root, pid file, API socket, trust key, cgroupfs driver, a cgroup parent
unique to this run and the three runtimes (Docker reserves the name "runc" for its built-in
one, so runc is registered as "runc-peer"). Networking stays private and reversible: the test
makes a bridge with a non-default name on a private /24, dockerd attaches containers to it
with iptables, ip-forward and masquerading off, and port publishing goes through the userland
proxy (docker-proxy) on 127.0.0.1 only. Then the busybox-static rootfs is `docker import`ed.

What dockerd and containerd do outside the Workspace, and why it cannot be avoided:
- dockerd creates /run/docker/plugins (the plugin socket dir is hard-coded in 20.10);
- each containerd-shim-runc-v2 listens on /run/containerd/s/<hash> (hard-coded socketRoot in
  containerd 1.6);
- cgroups /<parent>/<container id> in every hierarchy (the runtime makes them; the parent is
  left behind by every runtime, as runc does).
tearDownModule removes each of these it created (the dirs only when empty) and checks that no
dockerd/containerd/shim/container process, mount below the Workspace, bridge, docker0,
iptables chain or cgroup is left, and that net.ipv4.ip_forward and /etc/docker are unchanged.
(With dockerd's own managed containerd, /opt/containerd would be created and a host
containerd at /run/containerd/containerd.sock would be used instead: hence our own.)

Docker's networking needs the runtime to run the prestart hook libnetwork-setkey (it hands
dockerd the init's pid, and dockerd moves the veth into /proc/PID/ns/net): the port test checks
the hook was in config.json, that eth0 with the expected address is in the init's netns (read
from the host with nsenter), and fetches a file from the container over the published port.
"""

import ipaddress
import json
import os
import socket
import subprocess
import time
import unittest
import urllib.request

import enginelib
from enginelib import hakotest

DOCKER = "/usr/bin/docker"  # NOT /usr/local/bin/docker (an unrelated Docker 28 CLI)
DOCKERD = "/usr/sbin/dockerd"
CONTAINERD = "/usr/bin/containerd"
SHIM = "/usr/bin/containerd-shim-runc-v2"
DOCKER_PROXY = "/usr/sbin/docker-proxy"
NSENTER = "/usr/bin/nsenter"
IP = "/usr/sbin/ip"
IMAGE = "hkt-busybox:latest"
CGROUP_ROOT = "/sys/fs/cgroup"
HOST_DIRS = ["/run/docker/plugins", "/run/docker", "/run/containerd/s", "/run/containerd"]
DAEMON_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"  # so containerd finds Debian's shim, nothing else

# Docker reserves "runc" for its built-in runtime.
DOCKER_RUNTIME_NAME = {"hako": "hako", "runc": "runc-peer", "crun": "crun"}

# Docker 20.10 talks to containerd only for tasks; images live in dockerd's overlay2 driver.

# The container command of the long-running scenarios: pid 1 exits 0 on SIGTERM (a shell as
# pid 1 of a pid namespace ignores it otherwise), so `docker stop` never needs SIGKILL.
SERVE_UNTIL_TERM = 'echo started-$HOSTNAME; trap "exit 0" TERM; while :; do sleep 1 & wait; done'

ENGINE = None  # the DockerEngine of this module, made by setUpModule


def free_loopback_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pick_private_subnet():
    """A /24 no interface or route of the host uses yet."""
    used = []
    out = enginelib.run([IP, "-4", "-o", "route", "show", "table", "all"], check=False).stdout
    out += enginelib.run([IP, "-4", "-o", "addr"], check=False).stdout
    for word in out.split():
        try:
            used.append(ipaddress.ip_network(word, strict=False))
        except ValueError:
            pass
    for third in range(83, 120):
        net = ipaddress.ip_network("10.199.%d.0/24" % third)
        if not any(net.overlaps(u) for u in used if u.prefixlen > 0):
            return net
    raise AssertionError("no free 10.199.x.0/24 for the test bridge")


def link_exists(name):
    return os.path.exists("/sys/class/net/%s" % name)


def iptables_rules():
    rules = []
    for table in ("filter", "nat"):
        p = enginelib.run(["iptables", "-t", table, "-S"], check=False)
        rules += p.stdout.splitlines()
    return rules


def read(path):
    with open(path) as f:
        return f.read().strip()


class DockerEngine:
    """containerd + dockerd with private config, storage and state under one Workspace."""

    def __init__(self):
        self.ws = enginelib.Workspace("docker")
        self.problems = []
        self.daemons = []
        self.host_dirs_before = {d for d in HOST_DIRS if os.path.lexists(d)}
        self.etc_docker_before = self._etc_docker()
        self.ip_forward_before = read("/proc/sys/net/ipv4/ip_forward")
        self.docker0_before = link_exists("docker0")
        self.cgroup_parent = "hkt-docker-%d" % os.getpid()
        self.bridge = "hktdk%d" % (os.getpid() % 100000)
        self.bridge_made = False
        self.subnet = self.subnet_prefix = None
        self.runtimes = enginelib.runtime_binaries(self.ws)
        self.exec_root = self.ws.sub("exec")
        self.data_root = self.ws.sub("data")
        self.ctd_dir = self.ws.sub("containerd")
        self.socket = os.path.join(self.ws.path, "docker.sock")
        self.cli_env = dict(os.environ, DOCKER_HOST="unix://" + self.socket,
                            DOCKER_CONFIG=self.ws.sub("cli"))
        self.cli_env.pop("DOCKER_CONTEXT", None)
        self.cli_env.pop("DOCKER_TLS_VERIFY", None)
        self.mounts_baseline = set()

    @staticmethod
    def _etc_docker():
        try:
            return sorted(os.listdir("/etc/docker"))
        except FileNotFoundError:
            return None

    # -- start ----------------------------------------------------------------------------

    def start(self):
        self._make_bridge()
        self._start_containerd()
        self._start_dockerd()
        tar = enginelib.rootfs_tarball(self.ws)
        self.docker("import", tar, IMAGE, timeout=120)
        os.unlink(tar)
        self.mounts_baseline = {r.mount_point for r in hakotest.mounts_below(self.ws.path)}

    def _make_bridge(self):
        self.subnet = pick_private_subnet()
        self.gateway = str(next(self.subnet.hosts()))
        self.subnet_prefix = self.gateway.rpartition(".")[0] + "."
        if link_exists(self.bridge):
            raise AssertionError("a link named %s already exists" % self.bridge)
        enginelib.run([IP, "link", "add", self.bridge, "type", "bridge"])
        self.bridge_made = True
        enginelib.run([IP, "addr", "add", "%s/%d" % (self.gateway, self.subnet.prefixlen),
                       "dev", self.bridge])
        enginelib.run([IP, "link", "set", self.bridge, "up"])

    def _start_containerd(self):
        config = self.ws.write("containerd/config.toml", enginelib.containerd_config(self.ctd_dir))
        daemon = enginelib.Daemon("containerd", [CONTAINERD, "--config", config], self.ws,
                                  env=dict(os.environ, PATH=DAEMON_PATH))
        self.daemons.append(daemon)
        daemon.wait_for_socket(os.path.join(self.ctd_dir, "containerd.sock"))

    def daemon_json(self):
        return {
            "data-root": self.data_root,
            "exec-root": self.exec_root,
            "pidfile": os.path.join(self.ws.path, "docker.pid"),
            "hosts": ["unix://" + self.socket],
            "containerd": os.path.join(self.ctd_dir, "containerd.sock"),
            # 20.10 writes its libtrust key to /etc/docker/key.json unless told otherwise.
            "deprecated-key-path": os.path.join(self.ws.path, "key.json"),
            "exec-opts": ["native.cgroupdriver=cgroupfs"],
            "cgroup-parent": "/" + self.cgroup_parent,
            "storage-driver": "overlay2",
            "bridge": self.bridge,
            "iptables": False,
            "ip6tables": False,
            "ip-forward": False,
            "ip-masq": False,
            "userland-proxy": True,
            "userland-proxy-path": DOCKER_PROXY,
            # Root lacks CAP_SYS_RESOURCE: dockerd's default -500 cannot be written here.
            "oom-score-adjust": 0,
            "runtimes": {DOCKER_RUNTIME_NAME[name]: {"path": path}
                         for name, path in self.runtimes.items()},
        }

    def _start_dockerd(self):
        config = self.ws.write("daemon.json", json.dumps(self.daemon_json(), indent=2) + "\n")
        daemon = enginelib.Daemon("dockerd", [DOCKERD, "--config-file", config], self.ws,
                                  env=dict(os.environ, PATH=DAEMON_PATH))
        self.daemons.append(daemon)
        daemon.wait_for_socket(self.socket)
        deadline = time.monotonic() + 60
        while True:
            p = self.docker("version", "--format", "{{.Server.Version}}", check=False)
            if p.returncode == 0:
                break
            if time.monotonic() > deadline or daemon.proc.poll() is not None:
                raise AssertionError("dockerd did not answer:\n%s\n%s"
                                     % (p.stderr, daemon.log_tail()))
            time.sleep(0.1)

    # -- use ------------------------------------------------------------------------------

    def docker(self, *args, check=True, timeout=60):
        return enginelib.run([DOCKER, *args], timeout=timeout, check=check, env=self.cli_env)

    @property
    def runtime_root(self):
        # Docker 20.10 gives every runtime the --root of the default one (runc).
        return os.path.join(self.exec_root, "runtime-runc", "moby")

    def bundle(self, cid):
        return os.path.join(self.ctd_dir, "state", "io.containerd.runtime.v2.task", "moby", cid)

    def container_cgroup_dirs(self, cid):
        found = []
        for h in sorted(os.listdir(CGROUP_ROOT)):
            d = os.path.join(CGROUP_ROOT, h, self.cgroup_parent, cid)
            if os.path.isdir(d):
                found.append(d)
        return found

    def extra_mounts(self):
        return [r.line for r in hakotest.mounts_below(self.ws.path)
                if r.mount_point not in self.mounts_baseline]

    # -- stop and check -------------------------------------------------------------------

    def stop(self):
        p = self.docker("ps", "-aq", check=False) if self.daemons else None
        ids = p.stdout.split() if p is not None and p.returncode == 0 else []
        if ids:
            self.problems.append("containers left by the tests: %s" % ids)
            self.docker("rm", "-f", *ids, check=False)
        for daemon in reversed(self.daemons):  # dockerd first, then containerd
            daemon.stop()
        self._kill_leftovers()
        mounts = hakotest.mounts_below(self.ws.path)
        if mounts:
            self.problems.append("mounts below the workspace after the daemons stopped: %s"
                                 % [r.line for r in mounts])
        self._remove_bridge()
        self._remove_cgroups()
        self._remove_host_dirs()
        rules = [r for r in iptables_rules() if "DOCKER" in r or self.bridge in r]
        if rules:
            self.problems.append("iptables rules made by dockerd: %s" % rules)
        if read("/proc/sys/net/ipv4/ip_forward") != self.ip_forward_before:
            self.problems.append("net.ipv4.ip_forward changed")
        if self._etc_docker() != self.etc_docker_before:
            self.problems.append("/etc/docker changed: %s -> %s"
                                 % (self.etc_docker_before, self._etc_docker()))
        try:
            self.ws.remove()
        except AssertionError as e:
            self.problems.append(str(e))

    def _kill_leftovers(self):
        # dockerd, containerd and the shims name the workspace; containers are in the cgroup
        # parent; docker-proxy names the container's address.
        needles = [self.ws.path, self.cgroup_parent]
        if self.subnet_prefix:
            needles.append("-container-ip " + self.subnet_prefix)
        left = hakotest.processes_referring_to(needles)
        if not left:
            return
        self.problems.append("processes left after dockerd and containerd stopped: %s" % left)
        for pid in left:  # all descend from the daemons this module started
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
        hakotest.wait_for(lambda: not hakotest.processes_referring_to(needles), timeout=10,
                          message="processes survive SIGKILL")

    def _remove_bridge(self):
        if self.bridge_made:
            p = enginelib.run([IP, "link", "del", self.bridge], check=False)
            if p.returncode != 0:
                self.problems.append("cannot delete bridge %s: %s" % (self.bridge, p.stderr))
        if link_exists("docker0") and not self.docker0_before:
            self.problems.append("dockerd made docker0")

    def _remove_cgroups(self):
        for h in sorted(os.listdir(CGROUP_ROOT)):
            parent = os.path.join(CGROUP_ROOT, h, self.cgroup_parent)
            if not os.path.isdir(parent):
                continue
            # Deepest first; a dir holding a process stays and is reported.
            for top, dirs, _ in sorted(os.walk(parent), key=lambda t: -t[0].count("/")):
                if top != parent:
                    self.problems.append("container cgroup left: %s" % top)
                try:
                    os.rmdir(top)
                except OSError as e:
                    self.problems.append("cannot remove cgroup %s: %s" % (top, e))

    def _remove_host_dirs(self):
        for d in HOST_DIRS:  # children before parents
            if d in self.host_dirs_before or not os.path.isdir(d):
                continue
            try:
                os.rmdir(d)
            except OSError as e:  # not empty: something else uses it now; leave it
                self.problems.append("cannot remove %s (created by this test): %s" % (d, e))


def setUpModule():
    global ENGINE
    enginelib.check_environment()
    for tool in (DOCKER, DOCKERD, CONTAINERD, SHIM, DOCKER_PROXY, NSENTER, IP):
        if not os.access(tool, os.X_OK):
            raise unittest.SkipTest("%s is not installed (scripts/setup.sh)" % tool)
    engine = DockerEngine()
    try:
        engine.start()
    except BaseException as e:
        logs = "\n".join("--- %s:\n%s" % (d.name, d.log_tail()) for d in engine.daemons)
        engine.stop()
        raise AssertionError("starting dockerd failed: %s\ndaemon logs:\n%s\ncleanup: %s"
                             % (e, logs, engine.problems or "ok"))
    ENGINE = engine


def tearDownModule():
    if ENGINE is None:
        return
    ENGINE.stop()
    if ENGINE.problems:
        raise AssertionError("docker cleanup:\n  " + "\n  ".join(ENGINE.problems))


class DockerScenarios:
    """Every scenario, for the runtime named by RUNTIME ("hako", "runc" or "crun")."""

    RUNTIME = None

    # `docker run`'s own status when the command cannot be started. The CLI matches the
    # daemon's error text case-sensitively against runc's wording.
    CLI_STATUS_NOT_FOUND = 127
    CLI_STATUS_NOT_EXECUTABLE = 126
    MSG_NOT_IN_PATH = 'exec: "nosuchcmd": executable file not found in $PATH'
    MSG_NO_SUCH_FILE = 'exec: "/nosuch/cmd": stat /nosuch/cmd: no such file or directory'
    MSG_NOT_EXECUTABLE = 'exec: "/etc/passwd": permission denied'

    maxDiff = None

    # -- helpers --------------------------------------------------------------------------

    def docker(self, *args, **kw):
        return ENGINE.docker(*args, **kw)

    def name(self, what):
        return "hkt-%s-%s" % (self.RUNTIME, what)

    def run_detached(self, what, *args, command=SERVE_UNTIL_TERM):
        name = self.name(what)
        cid = self.docker("run", "-d", "--name", name, "--runtime",
                          DOCKER_RUNTIME_NAME[self.RUNTIME], *args, IMAGE,
                          "sh", "-c", command).stdout.strip()
        self.addCleanup(self.remove, cid)
        return name, cid

    def remove(self, cid):
        """docker rm -f, then: nothing of the container is left (cgroups, runtime state,
        mounts, processes)."""
        self.docker("rm", "-f", cid, check=False)
        hakotest.wait_for(lambda: not ENGINE.container_cgroup_dirs(cid), timeout=10,
                          message="cgroups of %s left: %s"
                          % (cid, ENGINE.container_cgroup_dirs(cid)))
        self.assertFalse(os.path.exists(os.path.join(ENGINE.runtime_root, cid)),
                         "runtime state of %s left" % cid)
        hakotest.wait_for(lambda: not ENGINE.extra_mounts(), timeout=10,
                          message="mounts left: %s" % ENGINE.extra_mounts())
        self.assertEqual({}, hakotest.processes_referring_to([cid]))

    def inspect(self, ref, fmt):
        return self.docker("inspect", "-f", fmt, ref).stdout.strip()

    def init_pid(self, ref):
        pid = int(self.inspect(ref, "{{.State.Pid}}"))
        self.assertGreater(pid, 0)
        return pid

    def cgroup_file(self, pid, controller, filename):
        for _, controllers, path in hakotest.cgroup(pid):
            if controller in controllers.split(","):
                return os.path.join(CGROUP_ROOT, controller, path.lstrip("/"), filename)
        self.fail("pid %d has no %s cgroup" % (pid, controller))

    def assert_runtime_ran(self, cid, pid):
        """The shim ran this test's runtime binary, and that runtime's own `state` reads
        the container (each runtime's state dir format is its own)."""
        with open(os.path.join(ENGINE.bundle(cid), "options.json")) as f:
            options = json.load(f)
        self.assertEqual(ENGINE.runtimes[self.RUNTIME], options["binary_name"])
        state = json.loads(enginelib.run([ENGINE.runtimes[self.RUNTIME], "--root",
                                          ENGINE.runtime_root, "state", cid]).stdout)
        self.assertEqual(pid, state["pid"])
        self.assertEqual("running", state["status"])
        for _, _, path in hakotest.cgroup(pid):
            self.assertEqual("/%s/%s" % (ENGINE.cgroup_parent, cid), path)

    def pty(self, *args):
        return enginelib.PtySession([DOCKER, *args], env=ENGINE.cli_env)

    @staticmethod
    def expect_size(session, rows, cols, timeout=15):
        """The terminal size the container sees; Docker resizes asynchronously."""
        return session.ask_until("echo S$(stty size | tr ' ' x)E\n", "S%dx%dE" % (rows, cols),
                                 timeout=timeout, interval=1)

    # -- scenarios ------------------------------------------------------------------------

    def test_run_rm_output_and_exit_status(self):
        p = self.docker("run", "--rm", "--runtime", DOCKER_RUNTIME_NAME[self.RUNTIME], IMAGE,
                        "sh", "-c", "echo out-$((6*7)); echo err-1 >&2; "
                        "grep memory /proc/self/cgroup; exit 7", check=False)
        self.assertEqual(7, p.returncode, p.stderr)
        self.assertIn("out-42", p.stdout.splitlines())
        self.assertIn("err-1", p.stderr.splitlines())
        cgroup_line = [line for line in p.stdout.splitlines() if ":memory:" in line]
        self.assertEqual(1, len(cgroup_line), p.stdout)
        self.assertRegex(cgroup_line[0], r":memory:/%s/[0-9a-f]{64}$" % ENGINE.cgroup_parent)
        self.assertEqual("", self.docker("ps", "-aq").stdout.strip(), "--rm left it")

    def test_port_publishing_and_bridge_network(self):
        port = free_loopback_port()
        name, cid = self.run_detached(
            "web", "-p", "127.0.0.1:%d:8080" % port,
            command="mkdir -p /www && echo payload-$HOSTNAME > /www/index.html "
                    "&& exec httpd -f -p 8080 -h /www")
        pid = self.init_pid(name)
        self.assert_runtime_ran(cid, pid)
        with open(os.path.join(ENGINE.bundle(cid), "config.json")) as f:
            hooks = json.load(f).get("hooks", {})
        self.assertIn("libnetwork-setkey", [h["args"][0] for h in hooks.get("prestart", [])])
        # The hook ran: dockerd moved the veth into the init's netns and addressed it.
        ip = self.inspect(name, "{{.NetworkSettings.IPAddress}}")
        self.assertIn(ipaddress.ip_address(ip), ENGINE.subnet)
        self.assertNotEqual(os.readlink("/proc/self/ns/net"), os.readlink("/proc/%d/ns/net" % pid))
        eth0 = enginelib.run([NSENTER, "--net=/proc/%d/ns/net" % pid, IP, "-4", "-o", "addr",
                              "show", "dev", "eth0"]).stdout
        self.assertIn("inet %s/%d" % (ip, ENGINE.subnet.prefixlen), eth0)
        members = enginelib.run([IP, "-o", "link", "show", "master", ENGINE.bridge]).stdout
        self.assertTrue(members.strip(), "no veth on %s" % ENGINE.bridge)
        # The host reaches the server through the published loopback port (docker-proxy).
        url = "http://127.0.0.1:%d/index.html" % port
        deadline = time.monotonic() + 15
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    body = r.read().decode()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self.assertEqual("payload-%s\n" % cid[:12], body)
        # Removing the container stops its docker-proxy.
        self.remove(cid)
        self.assertEqual({}, hakotest.processes_referring_to(["-host-port %d " % port]))

    def test_run_it_through_a_pty(self):
        name = self.name("run-it")
        s = self.pty("run", "-it", "--rm", "--name", name, "--runtime",
                     DOCKER_RUNTIME_NAME[self.RUNTIME], IMAGE, "sh")
        try:
            s.send("echo T$(tty)E P$$E\n")
            s.expect("T/dev/pts/0E P1E")
            self.expect_size(s, 24, 80)
            s.resize(33, 111)
            self.expect_size(s, 33, 111)
            s.send("exit 3\n")
        finally:
            status = s.finish()
        self.assertEqual(3, status, s.output.decode(errors="replace"))
        self.assertEqual("", self.docker("ps", "-aq", "--filter", "name=" + name).stdout.strip())

    def test_exec_it_through_a_pty(self):
        name, cid = self.run_detached("exec-it")
        pid = self.init_pid(name)
        # The exec'd shell shares the init's pid namespace and sits in all of its cgroups.
        expected = "N%sE C%dE" % (os.readlink("/proc/%d/ns/pid" % pid), len(hakotest.cgroup(pid)))
        s = self.pty("exec", "-it", name, "sh")
        try:
            s.send("echo N$(readlink /proc/self/ns/pid)E C$(grep -c %s /proc/self/cgroup)E\n"
                   % cid)
            s.expect(expected)
            self.expect_size(s, 24, 80)
            s.resize(40, 120)
            self.expect_size(s, 40, 120)
            s.send("tty; exit 4\n")
        finally:
            status = s.finish()
        self.assertEqual(4, status, s.output.decode(errors="replace"))
        self.assertIn("/dev/pts/", s.output.decode(errors="replace"))
        self.assertIn("started-%s" % cid[:12], self.docker("logs", name).stdout)

    def test_stop_start_restart(self):
        name, cid = self.run_detached("restart")
        pid1 = self.init_pid(name)
        self.assert_runtime_ran(cid, pid1)
        t0 = time.monotonic()
        self.docker("stop", "-t", "20", name)
        # SIGTERM reached the init (no 20 s wait for SIGKILL) and it exited 0.
        self.assertLess(time.monotonic() - t0, 10)
        self.assertEqual("false 0", self.inspect(name, "{{.State.Running}} {{.State.ExitCode}}"))
        hakotest.wait_for(lambda: not hakotest.pid_alive(pid1), message="old init alive")
        self.assertEqual([], ENGINE.container_cgroup_dirs(cid))

        self.docker("start", name)
        pid2 = self.init_pid(name)
        self.assertNotEqual(pid1, pid2)
        self.assertEqual(cid, self.inspect(name, "{{.Id}}"))
        self.assert_runtime_ran(cid, pid2)

        self.docker("restart", "-t", "20", name)
        pid3 = self.init_pid(name)
        self.assertNotIn(pid3, (pid1, pid2))
        self.assertFalse(hakotest.pid_alive(pid2))
        self.assert_runtime_ran(cid, pid3)
        logs = self.docker("logs", name).stdout.splitlines()
        self.assertEqual(["started-%s" % cid[:12]] * 3, logs)

    def test_update_limits(self):
        mib = 1024 * 1024
        name, cid = self.run_detached("update", "--memory", "64m", "--pids-limit", "50")
        pid = self.init_pid(name)
        limit = self.cgroup_file(pid, "memory", "memory.limit_in_bytes")
        pids_max = self.cgroup_file(pid, "pids", "pids.max")
        self.assertIn(cid, limit)
        self.assertEqual(str(64 * mib), read(limit))
        self.assertEqual("50", read(pids_max))

        self.docker("update", "--memory", "96m", "--memory-swap", "192m", "--pids-limit", "77",
                    "--cpus", "0.5", name)
        self.assertEqual(str(96 * mib), read(limit))
        self.assertEqual(str(192 * mib), read(self.cgroup_file(pid, "memory",
                                                               "memory.memsw.limit_in_bytes")))
        self.assertEqual("77", read(pids_max))
        self.assertEqual("50000", read(self.cgroup_file(pid, "cpu", "cpu.cfs_quota_us")))
        self.assertEqual("100000", read(self.cgroup_file(pid, "cpu", "cpu.cfs_period_us")))
        # Inside, the container's own memory cgroup is what /sys/fs/cgroup/memory shows.
        inside = self.docker("exec", name, "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes")
        self.assertEqual(str(96 * mib), inside.stdout.strip())
        # Docker reads the usage and limit back from the init's cgroup (containerd stats).
        stats = self.docker("stats", "--no-stream", "--format", "{{.MemUsage}}", name).stdout
        self.assertIn("/ 96MiB", stats)

    def test_exec_exit_codes(self):
        name, cid = self.run_detached("exec")
        self.assertEqual("hi", self.docker("exec", name, "echo", "hi").stdout.strip())
        self.assertEqual(5, self.docker("exec", name, "sh", "-c", "exit 5",
                                        check=False).returncode)
        # docker exec answers 126 for any exec that cannot start, whatever the runtime says
        # (the 20.10 CLI prints the daemon's error on stdout).
        for command, message in (("nosuchcmd", self.MSG_NOT_IN_PATH),
                                 ("/nosuch/cmd", self.MSG_NO_SUCH_FILE),
                                 ("/etc/passwd", self.MSG_NOT_EXECUTABLE)):
            p = self.docker("exec", name, command, check=False)
            self.assertEqual(126, p.returncode, p.stdout + p.stderr)
            self.assertIn(message, p.stdout + p.stderr)
        self.assertEqual("running", self.inspect(name, "{{.State.Status}}"))

    def test_run_missing_or_non_executable_command(self):
        cases = [("nosuchcmd", self.CLI_STATUS_NOT_FOUND, 127, self.MSG_NOT_IN_PATH),
                 ("/nosuch/cmd", self.CLI_STATUS_NOT_FOUND, 127, self.MSG_NO_SUCH_FILE),
                 ("/etc/passwd", self.CLI_STATUS_NOT_EXECUTABLE, 126, self.MSG_NOT_EXECUTABLE)]
        for i, (command, cli_status, state_status, message) in enumerate(cases):
            with self.subTest(command=command):
                name = self.name("bad-%d" % i)
                p = self.docker("run", "--name", name, "--runtime",
                                DOCKER_RUNTIME_NAME[self.RUNTIME], IMAGE, command, check=False)
                cid = self.inspect(name, "{{.Id}}")
                self.addCleanup(self.remove, cid)
                self.assertEqual(cli_status, p.returncode, p.stderr)
                self.assertIn(message, p.stderr)
                # dockerd's own mapping (case-insensitive) is what `docker inspect` shows.
                self.assertEqual("created %d" % state_status,
                                 self.inspect(name, "{{.State.Status}} {{.State.ExitCode}}"))
                # The failed create left nothing: no cgroup, no runtime state.
                self.assertEqual([], ENGINE.container_cgroup_dirs(cid))
                self.assertFalse(os.path.exists(os.path.join(ENGINE.runtime_root, cid)))


class DockerHako(DockerScenarios, unittest.TestCase):
    RUNTIME = "hako"


class DockerRunc(DockerScenarios, unittest.TestCase):
    RUNTIME = "runc"


class DockerCrun(DockerScenarios, unittest.TestCase):
    RUNTIME = "crun"
    # crun 1.8.1 words these failures its own way ("executable file `x` not found",
    # capitalised strerror). The CLI's case-sensitive match then misses and `docker run`
    # exits 125; dockerd's case-insensitive match still records 127/126 in the state.
    CLI_STATUS_NOT_FOUND = 125
    CLI_STATUS_NOT_EXECUTABLE = 125
    MSG_NOT_IN_PATH = "executable file `nosuchcmd` not found in $PATH: No such file or directory"
    MSG_NO_SUCH_FILE = "executable file `/nosuch/cmd` not found in $PATH: No such file or directory"
    MSG_NOT_EXECUTABLE = "open executable: Permission denied"


if __name__ == "__main__":
    unittest.main()
