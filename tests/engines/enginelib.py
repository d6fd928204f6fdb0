"""Shared helpers for the engine tests: Podman, containerd and Docker driving hako (and, for
comparison, runc and crun) exactly as users run them.

Every engine runs with private config, storage and state dirs below one temp dir
(/tmp/hkt-engine-*), started and stopped by the test itself; nothing is written under the
host's /etc or /var/lib for these engines. The tests need root.

Environment (as for tests/integration):
  HAKO_BIN          the hako binary under test
  HAKO_TEST_ROOTFS  the busybox-static rootfs made by scripts/make-rootfs.sh (read only)
"""

import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import hakotest  # noqa: E402  (mount-safe removal, waiting helpers)

HAKO_BIN = os.environ.get("HAKO_BIN", "")
ROOTFS = os.environ.get("HAKO_TEST_ROOTFS", "")
RUNC_BIN = shutil.which("runc") or "/usr/sbin/runc"
CRUN_BIN = shutil.which("crun") or "/usr/bin/crun"

# crun 1.8.1 refuses this machine's hybrid cgroup layout. Like bench/bench.py, its wrapper
# enters a private mount namespace where /sys/fs/cgroup/unified/cgroup.controllers is covered
# by an empty file, which crun then reads as a legacy (v1) layout. Everything else (state dir,
# pid files, sockets) is shared with the caller.
_CRUN_WRAPPER = """#!/bin/sh
if [ -e /sys/fs/cgroup/unified/cgroup.controllers ]; then
    exec unshare --mount --propagation private -- /bin/sh -c '
        mount --bind "$0" /sys/fs/cgroup/unified/cgroup.controllers && exec {crun} "$@"' \\
        {empty} "$@"
fi
exec {crun} "$@"
"""


# What a private containerd needs no part of: the CRI plugin (no kubelet here), snapshotters
# for filesystems this machine lacks, tracing, and the restart monitor. The tasks service needs
# the v1 linux runtime plugin registered, so that one stays (with its runc root private).
CONTAINERD_DISABLED_PLUGINS = [
    "io.containerd.grpc.v1.cri",
    "io.containerd.snapshotter.v1.aufs",
    "io.containerd.snapshotter.v1.btrfs",
    "io.containerd.snapshotter.v1.devmapper",
    "io.containerd.snapshotter.v1.zfs",
    "io.containerd.tracing.processor.v1.otlp",
    "io.containerd.internal.v1.tracing",
    "io.containerd.internal.v1.restart",
]

_CONTAINERD_CONFIG = """version = 2
root = "{d}/root"
state = "{d}/state"
plugin_dir = ""
disabled_plugins = [{disabled}]

[grpc]
  address = "{d}/containerd.sock"

[ttrpc]
  address = "{d}/containerd.sock.ttrpc"

[debug]
  address = ""
  level = "info"

[metrics]
  address = ""

[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = "{d}/opt"
  [plugins."io.containerd.runtime.v1.linux"]
    runtime_root = "{d}/runc-v1"
"""


def containerd_config(state_dir):
    """A containerd config.toml whose root, state, sockets and plugin dirs all lie in
    state_dir (the socket is state_dir/containerd.sock)."""
    return _CONTAINERD_CONFIG.format(
        d=state_dir, disabled=", ".join('"%s"' % p for p in CONTAINERD_DISABLED_PLUGINS))


def check_environment():
    problems = []
    if os.geteuid() != 0:
        problems.append("the engine tests need root")
    if not HAKO_BIN or not os.access(HAKO_BIN, os.X_OK):
        problems.append("HAKO_BIN must name the hako binary")
    if not ROOTFS or not os.path.isfile(os.path.join(ROOTFS, "bin", "busybox")):
        problems.append("HAKO_TEST_ROOTFS must name a rootfs made by scripts/make-rootfs.sh")
    if problems:
        raise RuntimeError("; ".join(problems))


class Workspace:
    """One private temp dir for an engine and everything it makes; removed mount-safely."""

    def __init__(self, name):
        self.path = tempfile.mkdtemp(prefix="hkt-engine-%s-" % name)
        os.chmod(self.path, 0o755)

    def sub(self, *parts, make=True):
        p = os.path.join(self.path, *parts)
        if make:
            os.makedirs(p, exist_ok=True)
        return p

    def write(self, relpath, text, mode=0o644):
        p = os.path.join(self.path, relpath)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, mode)
        return p

    def remove(self):
        hakotest.safe_remove_tree(self.path)


def runtime_binaries(ws):
    """name -> executable for every runtime the scenarios compare. The names matter: Podman
    passes --log-format json only to runtimes whose name is in runtime_supports_json."""
    bin_dir = ws.sub("runtimes")
    empty = ws.write("runtimes/empty-controllers", "")
    crun = os.path.join(bin_dir, "crun")
    with open(crun, "w") as f:
        f.write(_CRUN_WRAPPER.format(crun=CRUN_BIN, empty=empty))
    os.chmod(crun, 0o755)
    return {"hako": os.path.abspath(HAKO_BIN), "runc": RUNC_BIN, "crun": crun}


def rootfs_tarball(ws, name="rootfs.tar"):
    """The test rootfs as a tar archive (for `podman import`, `docker import`)."""
    path = os.path.join(ws.path, name)
    with tarfile.open(path, "w") as tar:
        for entry in sorted(os.listdir(ROOTFS)):
            tar.add(os.path.join(ROOTFS, entry), arcname=entry)
    return path


def run(argv, timeout=60, check=True, env=None, input=None):
    """Runs a command and returns the CompletedProcess; raises with its output on failure."""
    p = subprocess.run(argv, stdin=subprocess.DEVNULL if input is None else None,
                       input=input, capture_output=True, text=True, timeout=timeout, env=env)
    if check and p.returncode != 0:
        raise AssertionError("%s exited %d\nstdout: %s\nstderr: %s"
                             % (" ".join(argv), p.returncode, p.stdout, p.stderr))
    return p


class Daemon:
    """A long-running engine daemon started by the test: its own process group, output in a
    log file, stopped by its PID (SIGTERM, then SIGKILL)."""

    def __init__(self, name, argv, ws, env=None):
        self.name = name
        self.log_path = os.path.join(ws.path, name + ".log")
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT, env=env,
                                     start_new_session=True)

    def wait_for_socket(self, path, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("%s exited %d before %s appeared:\n%s"
                                     % (self.name, self.proc.returncode, path, self.log_tail()))
            if os.path.exists(path):
                return
            time.sleep(0.05)
        raise AssertionError("%s did not create %s in %ds:\n%s"
                             % (self.name, path, timeout, self.log_tail()))

    def log_tail(self, lines=40):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()


class PtySession:
    """Runs argv on a new pseudo-terminal, as a user at a shell would (`-it`)."""

    def __init__(self, argv, env=None, rows=24, cols=80):
        self.master, slave = pty.openpty()
        _set_winsize(slave, rows, cols)
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                                     start_new_session=True,
                                     preexec_fn=lambda: _make_controlling(0))
        os.close(slave)
        self.output = b""

    def send(self, text):
        os.write(self.master, text.encode())

    def expect(self, needle, timeout=30):
        """Reads until needle appears in the output; returns the output so far."""
        deadline = time.monotonic() + timeout
        while needle.encode() not in self.output:
            left = deadline - time.monotonic()
            if left <= 0 or not self._read(left):
                raise AssertionError("no %r on the terminal; it showed:\n%s"
                                     % (needle, self.output.decode(errors="replace")))
        return self.output.decode(errors="replace")

    def ask_until(self, question, needle, timeout, interval):
        """Sends question every interval seconds until needle appears (engines relay a
        resize asynchronously); raises after timeout seconds."""
        deadline = time.monotonic() + timeout
        while True:
            self.send(question)
            try:
                return self.expect(needle, timeout=interval)
            except AssertionError:
                if time.monotonic() > deadline:
                    raise

    def resize(self, rows, cols):
        _set_winsize(self.master, rows, cols)

    def finish(self, timeout=30):
        """Reads until the process exits; returns its exit status."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._read(0.1)
        while self._read(0.05):
            pass
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
            os.close(self.master)
            raise AssertionError("the terminal session did not end; it showed:\n%s"
                                 % self.output.decode(errors="replace"))
        os.close(self.master)
        return self.proc.returncode

    def _read(self, timeout):
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self.master, 4096)
        except OSError:  # EIO: every slave fd is closed
            return False
        self.output += chunk
        return bool(chunk)


def _set_winsize(fd, rows, cols):
    import fcntl
    import struct
    import termios
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def _make_controlling(fd):
    import fcntl
    import termios
    fcntl.ioctl(fd, termios.TIOCSCTTY, 0)


def host_hard_limit(resource):
    import resource as res
    return res.getrlimit(resource)[1]
