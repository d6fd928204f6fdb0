"""`exec`: a new process in a running container, as runc 1.1+ runs it for containerd
(`exec --process F --detach --pid-file P`), conmon and CRI-O (`exec --process F ID` in the
foreground). Everything is checked from the host: /proc/<exec pid>/{ns,cgroup,status}, or
from inside through /out."""

import json
import os
import signal
import subprocess
import sys
import time
import unittest

from hakotest import (HAKO_BIN, KEEP_RUNNING, HakoTestCase, cgroup, is_runc, hako_only,
                      ns_inode, parse_status, pid_alive, proc_status, wait_for)

CAP_NET_ADMIN, CAP_KILL, CAP_NET_BIND_SERVICE, CAP_AUDIT_WRITE = 12, 5, 10, 29
NAMESPACES = ("pid", "net", "ipc", "uts", "mnt", "cgroup", "user", "time")


# Runs argv with the given fds as 3, 4, ... (and, with listen, LISTEN_FDS/LISTEN_PID naming
# them, as systemd's socket activation does for the process it execs).
FD_WRAPPER = """
import fcntl, os, sys
fds = [int(x) for x in sys.argv[1].split(",")]
high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 64) for fd in fds]
for i, fd in enumerate(high):
    os.dup2(fd, 3 + i)
for fd in high:
    os.close(fd)
if sys.argv[2] == "listen":
    os.environ["LISTEN_FDS"] = str(len(fds))
    os.environ["LISTEN_PID"] = str(os.getpid())
os.execv(sys.argv[3], sys.argv[3:])
"""


def run_with_fds(argv, fds, listen=False):
    return subprocess.run(
        [sys.executable, "-c", FD_WRAPPER, ",".join(str(fd) for fd in fds),
         "listen" if listen else "-", *argv],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, pass_fds=fds, timeout=30)


def read_file(path):
    with open(path) as f:
        return f.read()


def cap_bits(mask):
    return {bit for bit in range(64) if int(mask, 16) >> bit & 1}


class ExecTest(HakoTestCase):

    def start_waiting(self, bundle):
        cid, pid = self.start_detached(bundle)
        self.wait_out(bundle, "ready")
        return cid, pid

    def running(self, bundle=None):
        """A started container that runs until killed; returns (bundle, id, init pid)."""
        b = bundle or self.bundle(["sh", "-c", KEEP_RUNNING])
        cid, pid = self.start_waiting(b)
        return b, cid, pid

    def exec_detached(self, cid, *args, extra=()):
        """`exec -d --pid-file F ID ARGS`; returns the host pid of the new process."""
        pid_file = os.path.join(self.make_tempdir("execpid-"), "pid")
        self.rt.ok("exec", "-d", "--pid-file", pid_file, *extra, cid, *args)
        with open(pid_file) as f:
            pid = int(f.read())
        self.addCleanup(self._kill, pid)
        return pid

    @staticmethod
    def _kill(pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def exec_status(self, b, cid, *extra):
        """Runs `exec EXTRA ID sh -c 'cat /proc/self/status > /out/st-N'`; returns it parsed."""
        name = "st-%d" % time.monotonic_ns()
        self.rt.ok("exec", *extra, cid, "sh", "-c", "cat /proc/self/status > /out/" + name)
        return parse_status(b.read_out(name))

    # -- namespaces and cgroups ---------------------------------------------------------
    def test_joins_every_namespace_of_the_container(self):
        b = self.bundle(["sh", "-c", KEEP_RUNNING])
        b.add_namespace("cgroup")
        b, cid, init = self.running(b)
        pid = self.exec_detached(cid, "sleep", "30")
        for name in NAMESPACES:
            with self.subTest(namespace=name):
                self.assertEqual(ns_inode(pid, name), ns_inode(init, name))
        for name in ("pid", "net", "ipc", "uts", "mnt", "cgroup"):
            self.assertNotEqual(ns_inode(pid, name), ns_inode("self", name))
        # Inside the pid namespace it is a child of nobody there, not pid 1.
        with open("/proc/%d/status" % pid) as f:
            nspid = parse_status(f.read())["NSpid"].split()
        self.assertEqual(len(nspid), 2)
        self.assertNotEqual(nspid[1], "1")
        self.assertEqual(os.readlink("/proc/%d/root" % pid), "/")
        self.assertEqual(os.stat("/proc/%d/root" % pid).st_ino,
                         os.stat("/proc/%d/root" % init).st_ino)

    def test_joins_user_namespace(self):
        b = self.bundle(["sh", "-c", KEEP_RUNNING], copy_rootfs=True)
        b.set("root.readonly", True)
        b.add_namespace("user")
        b.patch({"linux": {
            "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
            "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
        }})
        b, cid, init = self.running(b)
        pid = self.exec_detached(cid, "sleep", "30", extra=("-u", "1000:1001"))
        for name in NAMESPACES:
            with self.subTest(namespace=name):
                self.assertEqual(ns_inode(pid, name), ns_inode(init, name))
        status = proc_status(pid)
        self.assertEqual(status["Uid"].split(), ["101000"] * 4)
        self.assertEqual(status["Gid"].split(), ["101001"] * 4)

    def test_container_sharing_host_namespaces(self):
        b = self.bundle(["sh", "-c", KEEP_RUNNING])
        b.remove_namespace("pid").remove_namespace("network")
        b, cid, init = self.running(b)
        pid = self.exec_detached(cid, "sleep", "30")
        for name in ("pid", "net"):
            self.assertEqual(ns_inode(pid, name), ns_inode("self", name))
        for name in ("mnt", "uts", "ipc"):
            self.assertEqual(ns_inode(pid, name), ns_inode(init, name))

    def test_same_cgroup_as_the_init(self):
        b, cid, init = self.running()
        pid = self.exec_detached(cid, "sleep", "30")
        self.assertEqual(cgroup(pid), cgroup(init))

    @hako_only
    def test_sub_cgroup(self):
        b, cid, init = self.running()
        rows = [r for r in cgroup(init) if r[1] == "memory"]
        self.assertEqual(len(rows), 1)
        sub = "/sys/fs/cgroup/memory%s/hkt-sub" % rows[0][2]
        os.mkdir(sub)
        pids = []

        def remove_sub():
            for p in pids:
                self._kill(p)
                wait_for(lambda: not pid_alive(p), 5)
            wait_for(lambda: not read_file(sub + "/cgroup.procs"), 5)
            os.rmdir(sub)

        self.addCleanup(remove_sub)
        pid = self.exec_detached(cid, "sleep", "30", extra=("--cgroup", "memory:hkt-sub"))
        pids.append(pid)
        got = {r[1]: r[2] for r in cgroup(pid)}
        want = {r[1]: r[2] for r in cgroup(init)}
        self.assertEqual(got["memory"], want["memory"] + "/hkt-sub")
        self.assertEqual(got["pids"], want["pids"])
        p = self.rt("exec", "--cgroup", "memory:hkt-none", cid, "true")
        self.assertOneLineError(p, "hkt-none")

    # -- process settings ---------------------------------------------------------------
    def test_env_cwd_user_flags(self):
        b, cid, _ = self.running()
        self.rt.ok("exec", "-e", "HKT_A=one two", "-e", "TERM=dumb", "--cwd", "/tmp",
                   "-u", "1000:1001", "-g", "2000", "-g", "3000",
                   cid, "sh", "-c",
                   'echo "$HKT_A|$TERM|$PATH" > /out/env; pwd > /out/pwd; '
                   'cat /proc/self/status > /out/status')
        self.assertEqual(b.read_out("env").strip(),
                         "one two|dumb|/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        self.assertEqual(b.read_out("pwd").strip(), "/tmp")
        status = parse_status(b.read_out("status"))
        self.assertEqual(status["Uid"].split(), ["1000"] * 4)
        self.assertEqual(status["Gid"].split(), ["1001"] * 4)
        self.assertEqual(sorted(status["Groups"].split()), ["2000", "3000"])
        # The config's settings apply too.
        self.assertEqual(status["NoNewPrivs"], "1")

    def test_user_parsing_is_strict(self):
        b, cid, _ = self.running()
        cases = {"1000": ("1000", "0"), "1000:1000": ("1000", "1000"), "0:5": ("0", "5")}
        if not is_runc():  # runc 1.1.5 truncates big ids (CVE-2026-30892)
            cases["4294967294:7"] = ("4294967294", "7")
        for spec, (uid, gid) in cases.items():
            with self.subTest(user=spec):
                status = self.exec_status(b, cid, "-u", spec)
                self.assertEqual(status["Uid"].split(), [uid] * 4)
                self.assertEqual(status["Gid"].split(), [gid] * 4)
        bad = ["1000:", ":5", "abc", "root", "-1", "1000:1000:1", "1e3", " 1000", "0x10"]
        if not is_runc():
            bad += ["4294967296", "1000:4294967296", "99999999999999999999"]
        for spec in bad:
            with self.subTest(user=spec):
                p = self.rt("exec", "-u", spec, cid, "sh", "-c", "touch /out/ran-%d" % len(spec))
                self.assertNotEqual(p.returncode, 0, "exec -u %r succeeded" % spec)
                if not is_runc():
                    self.assertOneLineError(p, "user")
                    self.assertFalse(b.has_out("ran-%d" % len(spec)))

    def test_cap_is_never_inheritable(self):
        b, cid, _ = self.running()
        status = self.exec_status(b, cid, "--cap", "CAP_NET_ADMIN")
        for field in ("CapBnd", "CapEff", "CapPrm"):
            self.assertEqual(cap_bits(status[field]),
                             {CAP_NET_ADMIN, CAP_KILL, CAP_NET_BIND_SERVICE, CAP_AUDIT_WRITE},
                             field)
        self.assertEqual(status["CapInh"], "0" * 16)
        self.assertEqual(status["CapAmb"], "0" * 16)
        # A non-root user keeps nothing across execve: no inheritable means no ambient.
        status = self.exec_status(b, cid, "-u", "1000", "-c", "CAP_NET_ADMIN")
        self.assertEqual(status["CapInh"], "0" * 16)
        self.assertEqual(status["CapEff"], "0" * 16)
        self.assertIn(CAP_NET_ADMIN, cap_bits(status["CapBnd"]))

    def test_process_file(self):
        b, cid, _ = self.running()
        process = {
            "terminal": False,
            "user": {"uid": 123, "gid": 456, "additionalGids": [789]},
            "args": ["sh", "-c", 'echo "$HKT_P" > /out/p; pwd > /out/pwd; '
                     'cat /proc/self/status > /out/status'],
            "env": ["PATH=/bin:/usr/bin", "HKT_P=from-process-json"],
            "cwd": "/etc",
        }
        path = os.path.join(self.make_tempdir("process-"), "process.json")
        with open(path, "w") as f:
            json.dump(process, f)
        self.rt.ok("exec", "--process", path, cid)
        self.assertEqual(b.read_out("p").strip(), "from-process-json")
        self.assertEqual(b.read_out("pwd").strip(), "/etc")
        status = parse_status(b.read_out("status"))
        self.assertEqual(status["Uid"].split(), ["123"] * 4)
        self.assertEqual(status["Gid"].split(), ["456"] * 4)
        self.assertEqual(status["Groups"].split(), ["789"])
        # Capabilities absent from the file come from the container's config.
        self.assertEqual(cap_bits(status["CapBnd"]),
                         {CAP_KILL, CAP_NET_BIND_SERVICE, CAP_AUDIT_WRITE})

    def test_invalid_process_file(self):
        b, cid, _ = self.running()
        path = os.path.join(self.make_tempdir("process-"), "process.json")
        with open(path, "w") as f:
            json.dump({"cwd": "/", "args": []}, f)
        p = self.rt("exec", "--process", path, cid)
        self.assertOneLineError(p, "args")

    def test_container_seccomp_applies_to_exec(self):
        b = self.bundle(["sh", "-c", KEEP_RUNNING])
        b.set("linux.seccomp", {
            "defaultAction": "SCMP_ACT_ALLOW",
            "architectures": ["SCMP_ARCH_X86_64"],
            "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO",
                          "errnoRet": 1}],
        })
        b, cid, init = self.running(b)
        p = self.rt("exec", cid, "sh", "-c", "grep Seccomp: /proc/self/status > /out/mode; "
                    "mkdir /tmp/hkt-dir 2> /out/mkdir; echo $? > /out/rc")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(b.read_out("mode").split(), ["Seccomp:", "2"])
        self.assertNotEqual(b.read_out("rc").strip(), "0")
        self.assertIn("Operation not permitted", b.read_out("mkdir"))

    # -- exit status and signals --------------------------------------------------------
    def test_exit_status_propagates(self):
        b, cid, _ = self.running()
        self.assertEqual(self.rt("exec", cid, "sh", "-c", "exit 7").returncode, 7)
        self.assertEqual(self.rt("exec", cid, "sh", "-c", "kill -9 $$").returncode, 137)
        self.assertEqual(self.rt("exec", cid, "true").returncode, 0)

    def test_missing_executable(self):
        b, cid, _ = self.running()
        p = self.rt("exec", cid, "hkt-no-such-binary")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("executable file not found", p.stderr)
        self.assertEqual(p.returncode, 255)

    def test_signals_are_forwarded(self):
        b, cid, _ = self.running()
        script = ("trap 'echo USR1 >> /out/sig' USR1; trap 'echo TERM >> /out/sig; exit 3' TERM; "
                  "echo up > /out/up; while :; do sleep 0.05; done")
        proc = subprocess.Popen([HAKO_BIN, "--root", self.state_root, "exec", cid,
                                 "sh", "-c", script],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        self.wait_out(b, "up")
        proc.send_signal(signal.SIGUSR1)
        wait_for(lambda: b.has_out("sig") and "USR1" in b.read_out("sig"))
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(timeout=10), 3)
        self.assertEqual(b.read_out("sig").split(), ["USR1", "TERM"])

    # -- detach and pid file ------------------------------------------------------------
    def test_detach_with_pid_file(self):
        b, cid, init = self.running()
        pid_file = os.path.join(self.make_tempdir("execpid-"), "pid")
        started = time.monotonic()
        self.rt.ok("exec", "--detach", "--pid-file", pid_file, cid, "sh", "-c",
                   "echo $$ > /out/inner; exec sleep 30", timeout=10)
        self.assertLess(time.monotonic() - started, 5)
        self.assertTrue(os.path.exists(pid_file), "pid file missing when exec -d returned")
        with open(pid_file) as f:
            text = f.read()
        self.assertRegex(text, r"^[0-9]+$")
        pid = int(text)
        self.addCleanup(self._kill, pid)
        self.assertTrue(pid_alive(pid))
        self.assertEqual(ns_inode(pid, "pid"), ns_inode(init, "pid"))
        inner = self.wait_out(b, "inner").strip()
        with open("/proc/%d/status" % pid) as f:
            self.assertEqual(parse_status(f.read())["NSpid"].split()[-1], inner)
        wait_for(lambda: read_file("/proc/%d/cmdline" % pid) == "sleep\x0030\x00")
        self.assertEqual(self.rt.status(cid), "running")

    def test_containerd_style_invocation(self):
        b, cid, _ = self.running()
        spec = dict(b.config["process"])
        spec["args"] = ["sh", "-c", "id -u > /out/cd-uid; exec sleep 30"]
        tmp = self.make_tempdir("runc-process")
        path = os.path.join(tmp, "runc-process123")
        with open(path, "w") as f:
            json.dump(spec, f)
        pid_file = os.path.join(tmp, "exec1.pid")
        self.rt.ok("exec", "--process", path, "--detach", "--pid-file", pid_file, cid)
        with open(pid_file) as f:
            pid = int(f.read())
        self.addCleanup(self._kill, pid)
        self.assertTrue(pid_alive(pid))
        self.assertEqual(self.wait_out(b, "cd-uid").strip(), "0")

    # -- stdio and fds ------------------------------------------------------------------
    def test_pipes_stay_pipes(self):
        b, cid, _ = self.running()
        in_r, in_w = os.pipe()
        out_r, out_w = os.pipe()
        try:
            os.write(in_w, b"hello\n")
            os.close(in_w)
            in_w = -1
            proc = subprocess.Popen([HAKO_BIN, "--root", self.state_root, "exec", cid, "sh",
                                     "-c", "i=$(readlink /proc/$$/fd/0); "
                                     "o=$(readlink /proc/$$/fd/1); echo $i > /out/fd0; "
                                     "echo $o > /out/fd1; read line; "
                                     "echo \"got $line\""],
                                    stdin=in_r, stdout=out_w)
            os.close(out_w)
            out_w = -1
            self.assertEqual(proc.wait(timeout=30), 0)
            output = os.read(out_r, 4096)
            in_inode = os.fstat(in_r).st_ino
        finally:
            for fd in (in_r, in_w, out_r, out_w):
                if fd >= 0:
                    os.close(fd)
        self.assertEqual(output, b"got hello\n")
        self.assertRegex(b.read_out("fd0").strip(), r"^pipe:\[\d+\]$")
        if not is_runc():  # runc copies through pipes of its own; hako passes the caller's
            self.assertEqual(b.read_out("fd0").strip(), "pipe:[%d]" % in_inode)
        self.assertRegex(b.read_out("fd1").strip(), r"^pipe:\[\d+\]$")

    def test_only_stdio_and_preserved_fds_reach_the_process(self):
        b, cid, _ = self.running()
        r, w = os.pipe()
        extra = os.open("/etc/hostname", os.O_RDONLY)
        try:
            # fd 3 is the pipe, fd 4 a host file: --preserve-fds 1 passes fd 3 only.
            proc = run_with_fds(
                [HAKO_BIN, "--root", self.state_root, "exec", "--preserve-fds", "1", cid,
                 "sh", "-c", "echo via-fd3 >&3; ls /proc/self/fd > /out/fds; "
                 "readlink /proc/self/cwd > /out/cwd"], [w, extra])
            os.close(w)
            w = -1
            self.assertEqual(proc.returncode, 0)
            self.assertEqual(os.read(r, 100), b"via-fd3\n")
        finally:
            for fd in (r, w, extra):
                if fd >= 0:
                    os.close(fd)
        # 0-2, the preserved 3, and the fd ls itself opens for /proc/self/fd.
        fds = sorted(int(x) for x in b.read_out("fds").split())
        self.assertEqual(fds[:4], [0, 1, 2, 3])
        self.assertLessEqual(len(fds), 5, "host fds leaked into the exec'd process: %s" % fds)
        self.assertEqual(b.read_out("cwd").strip(), "/")

    @hako_only
    def test_setup_process_holds_no_host_fds(self):
        """The exec child closes every host fd before joining (CVE-2024-21626): a container
        process that races to /proc/<child>/fd finds only stdio and hako's channels."""
        b, cid, _ = self.running()
        extra = os.open("/etc", os.O_RDONLY | os.O_DIRECTORY)
        try:
            proc = subprocess.run(
                [HAKO_BIN, "--root", self.state_root, "exec", cid, "sh", "-c",
                 "ls -l /proc/$$/fd/ > /out/fdlist 2>/dev/null"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, pass_fds=(extra,),
                timeout=30)
        finally:
            os.close(extra)
        self.assertEqual(proc.returncode, 0)
        self.assertNotIn("/etc", b.read_out("fdlist"))

    # -- failures -----------------------------------------------------------------------
    def test_exec_into_stopped_container_fails(self):
        b = self.bundle(["sh", "-c", "exit 0"])
        cid, pid = self.start_detached(b)
        wait_for(lambda: self.rt.status(cid) == "stopped")
        p = self.rt("exec", cid, "sh", "-c", "touch /out/ran")
        self.assertOneLineError(p, "stopped")
        if not is_runc():
            self.assertIn("container %s not running" % cid, p.stderr)
        self.assertFalse(b.has_out("ran"))

    def test_exec_into_paused_container_fails(self):
        b, cid, _ = self.running()
        self.rt.ok("pause", cid)
        self.addCleanup(lambda: self.rt("resume", cid))
        p = self.rt("exec", cid, "touch", "/out/ran")
        self.assertOneLineError(p, "paused")
        self.rt.ok("resume", cid)
        self.assertFalse(b.has_out("ran"))

    def test_exec_into_missing_container_fails(self):
        p = self.rt("exec", "hkt-does-not-exist", "true")
        self.assertOneLineError(p, "does not exist")

    def test_exec_without_command_fails(self):
        b, cid, _ = self.running()
        p = self.rt("exec", cid)
        self.assertNotEqual(p.returncode, 0)

    def test_exec_into_created_container(self):
        b = self.bundle(["sh", "-c", KEEP_RUNNING])
        cid = self.create(b)
        init = self.rt.state(cid)["pid"]
        pid = self.exec_detached(cid, "sleep", "30")
        self.assertEqual(ns_inode(pid, "mnt"), ns_inode(init, "mnt"))
        self.assertEqual(self.rt.status(cid), "created")

    def test_lsm_labels_this_host_cannot_apply_fail(self):
        b, cid, _ = self.running()
        if not os.path.exists("/sys/module/apparmor/parameters/enabled"):
            p = self.rt("exec", "--apparmor", "hkt-profile", cid, "touch", "/out/aa")
            self.assertOneLineError(p, "apparmor")
            self.assertEqual(p.returncode, 255)
        if not os.path.exists("/sys/fs/selinux"):
            p = self.rt("exec", "--process-label", "system_u:system_r:container_t:s0", cid,
                        "touch", "/out/se")
            self.assertOneLineError(p, "selinux")
        self.assertFalse(b.has_out("aa") or b.has_out("se"))

    def test_bad_cwd_fails_cleanly(self):
        b, cid, _ = self.running()
        p = self.rt("exec", "--cwd", "/hkt-missing", cid, "true")
        self.assertOneLineError(p, "/hkt-missing")

    # -- socket activation (create/run, as runc) ----------------------------------------
    @hako_only
    def test_listen_fds_are_passed_to_run(self):
        b = self.bundle(["sh", "-c", 'echo "$LISTEN_FDS $LISTEN_PID" > /out/listen; '
                         "echo via-listen-fd >&3; ls /proc/self/fd > /out/fds"])
        b.write()
        cid = self.new_id()
        r, w = os.pipe()
        try:
            proc = run_with_fds([HAKO_BIN, "--root", self.state_root, "run", "--bundle",
                                 b.dir, cid], [w], listen=True)
            os.close(w)
            w = -1
            self.assertEqual(proc.returncode, 0)
            self.assertEqual(os.read(r, 100), b"via-listen-fd\n")
        finally:
            os.close(r)
            if w >= 0:
                os.close(w)
        self.assertEqual(b.read_out("listen").strip(), "1 1")
        fds = sorted(int(x) for x in b.read_out("fds").split())
        self.assertEqual(fds[:4], [0, 1, 2, 3])


if __name__ == "__main__":
    unittest.main()
