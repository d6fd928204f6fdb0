"""linux.seccomp: the filter is really loaded (/proc/PID/status), and each action, errno,
argument operator, flag and the ENOSYS cut-off behaves in a running container as the
profile says. Raw syscalls come from seccomp_probe.c, compiled statically per test run
(busybox cannot make them); syscall numbers are x86_64's."""

import errno
import fcntl
import json
import os
import platform
import select
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time
import unittest

from hakotest import (HakoTestCase, KEEP_RUNNING, hako_only, is_runc, ns_inode,
                      proc_status, safe_remove_tree, snapshot_host, wait_for, TMP_PREFIX)

HERE = os.path.dirname(os.path.abspath(__file__))
PROBE_SOURCE = os.path.join(HERE, "seccomp_probe.c")
PROBE = "/seccomp_probe"  # inside the container

# What the static probe needs from execve to exit_group (strace of glibc 2.36's startup).
# The highest of them, rseq (334), is the profile's ENOSYS cut-off on x86_64.
PROBE_SYSCALLS = ["execve", "brk", "arch_prctl", "set_tid_address", "set_robust_list",
                  "rseq", "prlimit64", "readlink", "getrandom", "mprotect", "write",
                  "exit_group"]

# runc 1.1.5 loads the filter before its exec fifo handshake, so its Go init needs these too
# (all numbered below rseq: the ENOSYS cut-off stays the same). Only used when validating the
# tests against runc; hako loads right before execve and needs none of them.
RUNC_INIT_SYSCALLS = ["close", "futex", "nanosleep", "rt_sigprocmask", "rt_sigaction",
                      "rt_sigreturn", "sigaltstack", "mmap", "munmap", "madvise", "openat",
                      "fcntl", "read", "getpid", "gettid", "tgkill", "sched_yield",
                      "epoll_ctl", "epoll_wait", "epoll_create1", "fstat", "newfstatat",
                      "exit", "clone", "pipe2", "dup3", "capget", "capset", "prctl",
                      "setgroups", "setresuid", "setresgid", "getuid", "getgid", "chdir",
                      "umask", "mprotect", "ioctl", "uname", "readlinkat", "pread64",
                      "statfs", "fstatfs", "getdents64", "lseek"]

SIGSYS_EXIT = 128 + 31
AUDIT_SECCOMP = "type=1326"
ACT_LOG_CODE = "code=0x7ffc0000"

# <linux/seccomp.h>: _IOWR('!', 0, struct seccomp_notif) and _IOWR('!', 1, resp).
NOTIF = struct.Struct("=QIIiIQ6Q")       # id, pid, flags, data{nr, arch, ip, args[6]}
NOTIF_RESP = struct.Struct("=QqiI")      # id, val, error, flags
IOCTL_NOTIF_RECV = (3 << 30) | (NOTIF.size << 16) | (ord("!") << 8) | 0
IOCTL_NOTIF_SEND = (3 << 30) | (NOTIF_RESP.size << 16) | (ord("!") << 8) | 1


def rule(names, action, errno_ret=None, args=None):
    r = {"names": list(names), "action": action}
    if errno_ret is not None:
        r["errnoRet"] = errno_ret
    if args is not None:
        r["args"] = list(args)
    return r


def arg(index, op, value, value_two=None):
    a = {"index": index, "value": value, "op": op}
    if value_two is not None:
        a["valueTwo"] = value_two
    return a


def profile(default, *rules, **fields):
    p = {"defaultAction": default, "architectures": ["SCMP_ARCH_X86_64"],
         "syscalls": list(rules)}
    p.update(fields)
    return p


def probe_output(text):
    """{"getppid": 0, "clone3": 38, ...} from the probe's "NAME ERRNO" lines."""
    out = {}
    for line in text.splitlines():
        name, _, value = line.rpartition(" ")
        out[name] = int(value)
    return out


class KernelLog:
    """New /dev/kmsg records since construction (audit records of seccomp land there when no
    audit daemon runs)."""

    def __init__(self):
        self.fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
        os.lseek(self.fd, 0, os.SEEK_END)

    def lines(self):
        out = []
        while True:
            try:
                out.append(os.read(self.fd, 8192).decode(errors="replace"))
            except BlockingIOError:
                return out
            except OSError as e:
                if e.errno == errno.EPIPE:  # overwritten records: keep reading
                    continue
                raise

    def close(self):
        os.close(self.fd)


class SeccompAgent:
    """A seccomp agent on a unix socket: receives the container state and the listener fd
    (one sendmsg with SCM_RIGHTS, as runc sends them) in a thread."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(1)
        self.sock.settimeout(30)
        self.state = None
        self.fds = []
        self.error = None
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            conn, _ = self.sock.accept()
            with conn:
                conn.settimeout(30)
                data, fds, _, _ = socket.recv_fds(conn, 65536, 4)
                self.fds = fds
                while True:
                    more = conn.recv(65536)
                    if not more:
                        break
                    data += more
                self.state = json.loads(data)
        except Exception as e:  # reported by the test
            self.error = e

    def wait(self):
        self.thread.join(35)
        if self.error:
            raise self.error

    def close(self):
        self.sock.close()
        for fd in self.fds:
            os.close(fd)
        self.fds = []


class SeccompTest(HakoTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.probe_dir = tempfile.mkdtemp(prefix=TMP_PREFIX + "probe-")
        cls.probe = os.path.join(cls.probe_dir, "seccomp_probe")
        cls.probe_error = None
        try:
            subprocess.run(["cc", "-static", "-O2", "-o", cls.probe, PROBE_SOURCE], check=True,
                           capture_output=True, text=True, timeout=120)
        except (OSError, subprocess.SubprocessError) as e:
            cls.probe_error = "cannot build the static probe: %s %s" % (
                e, getattr(e, "stderr", ""))

    @classmethod
    def tearDownClass(cls):
        safe_remove_tree(cls.probe_dir)
        super().tearDownClass()

    # -- helpers ----------------------------------------------------------------------------
    def probe_bundle(self, calls, seccomp):
        if platform.machine() != "x86_64":
            self.skipTest("the probe's syscall numbers are x86_64's")
        if self.probe_error:
            self.skipTest(self.probe_error)
        b = self.bundle([PROBE, *calls])
        shutil.copy(self.probe, os.path.join(b.rootfs, PROBE.lstrip("/")))
        b.set("linux.seccomp", seccomp)
        return b

    def run_probe(self, calls, seccomp):
        p = self.run_container(self.probe_bundle(calls, seccomp))
        return probe_output(p.stdout)

    def strict_probe_profile(self, *rules, **fields):
        """Default ERRNO; allows only what the probe needs to start, print and exit."""
        needed = PROBE_SYSCALLS + (RUNC_INIT_SYSCALLS if is_runc() else [])
        return profile("SCMP_ACT_ERRNO", rule(needed, "SCMP_ACT_ALLOW"), *rules, **fields)

    def expect_create_failure(self, bundle, needles, runc_needles=()):
        cid = self.new_id()
        bundle.write()
        before = snapshot_host(self, cid, (bundle.dir,))
        p = self.rt.create(cid, bundle)
        self.assertOneLineError(p, *needles)
        if is_runc():
            for n in runc_needles:
                self.assertIn(n.lower(), p.stderr.lower())
        self.assertNothingLeftBehind(before, cid, (bundle.dir,))
        return p

    def kernel_log(self):
        try:
            log = KernelLog()
        except OSError as e:
            self.skipTest("cannot read /dev/kmsg: %s" % e)
        self.addCleanup(log.close)
        return log

    # -- the filter is there ------------------------------------------------------------------
    def test_filter_is_loaded_right_before_exec(self):
        b = self.bundle(["sh", "-c", KEEP_RUNNING])
        b.set("linux.seccomp", profile("SCMP_ACT_ALLOW", rule(["mkdir"], "SCMP_ACT_ERRNO")))
        cid = self.create(b)
        pid = self.rt.state(cid)["pid"]
        if not is_runc():
            # noNewPrivileges: hako loads after the exec gate (runc before its fifo wait).
            self.assertEqual(proc_status(pid)["Seccomp"], "0")
        self.rt.ok("start", cid)
        self.wait_out(b, "ready")
        status = proc_status(pid)
        self.assertEqual(status["Seccomp"], "2")
        self.assertEqual(status["Seccomp_filters"], "1")
        self.assertEqual(status["NoNewPrivs"], "1")

    def test_without_no_new_privileges_loaded_before_the_user_switch(self):
        # The user keeps no CAP_SYS_ADMIN, so the filter must be loaded while the init still
        # has it: before switching to uid 1000.
        b = self.bundle(["sh", "-c", "mkdir /out/x 2>/out/err; " + KEEP_RUNNING])
        b.set("process.noNewPrivileges", False)
        b.set("process.user", {"uid": 1000, "gid": 1000})
        b.set("linux.seccomp", profile("SCMP_ACT_ALLOW",
                                       rule(["mkdir", "mkdirat"], "SCMP_ACT_ERRNO",
                                            errno_ret=errno.EXDEV)))
        cid = self.create(b)
        pid = self.rt.state(cid)["pid"]
        self.assertEqual(proc_status(pid)["Seccomp"], "2")  # already at "created"
        self.rt.ok("start", cid)
        self.wait_out(b, "ready")
        status = proc_status(pid)
        self.assertEqual(status["Seccomp"], "2")
        self.assertEqual(status["NoNewPrivs"], "0")
        self.assertEqual(status["Uid"].split()[0], "1000")
        self.assertIn("Invalid cross-device link", b.read_out("err"))

    # -- actions ----------------------------------------------------------------------------
    def test_denied_syscall_returns_its_errno(self):
        for errno_ret, text in ((None, "Operation not permitted"), (1, "Operation not permitted"),
                                (errno.EACCES, "Permission denied"),
                                (errno.EXDEV, "Invalid cross-device link")):
            with self.subTest(errnoRet=errno_ret):
                b = self.bundle(["mkdir", "/out/denied"])
                b.set("linux.seccomp", profile(
                    "SCMP_ACT_ALLOW",
                    rule(["mkdir", "mkdirat"], "SCMP_ACT_ERRNO", errno_ret=errno_ret)))
                p = self.run_container(b, expect_status=1)
                self.assertIn(text, p.stderr)
                self.assertFalse(b.has_out("denied"))

    def test_default_action_and_default_errno(self):
        out = self.run_probe(["getppid", "getcpu"], self.strict_probe_profile())
        self.assertEqual(out, {"getppid": errno.EPERM, "getcpu": errno.EPERM})
        out = self.run_probe(["getppid", "getcpu"],
                             self.strict_probe_profile(defaultErrnoRet=errno.EROFS))
        self.assertEqual(out, {"getppid": errno.EROFS, "getcpu": errno.EROFS})
        out = self.run_probe(["getppid"], self.strict_probe_profile(
            rule(["getppid"], "SCMP_ACT_ALLOW")))
        self.assertEqual(out, {"getppid": 0})

    def test_kill_and_trap_end_the_process_with_sigsys(self):
        for action in ("SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL_PROCESS",
                       "SCMP_ACT_TRAP"):
            with self.subTest(action=action):
                b = self.bundle(["mkdir", "/out/killed"])
                b.set("process.rlimits", [{"type": "RLIMIT_CORE", "hard": 0, "soft": 0}])
                b.set("linux.seccomp", profile("SCMP_ACT_ALLOW",
                                               rule(["mkdir", "mkdirat"], action)))
                self.run_container(b, expect_status=SIGSYS_EXIT)
                self.assertFalse(b.has_out("killed"))

    def test_trace_without_tracer_is_enosys(self):
        b = self.bundle(["mkdir", "/out/traced"])
        b.set("linux.seccomp", profile("SCMP_ACT_ALLOW",
                                       rule(["mkdir", "mkdirat"], "SCMP_ACT_TRACE")))
        p = self.run_container(b, expect_status=1)
        self.assertIn("Function not implemented", p.stderr)

    def test_log_action_allows_and_audits(self):
        log = self.kernel_log()
        with open("/proc/sys/kernel/seccomp/actions_logged") as f:
            if "log" not in f.read().split():
                self.skipTest("the log action is not logged on this host")
        b = self.bundle(["mkdir", "/out/logged"])
        b.set("linux.seccomp", profile("SCMP_ACT_ALLOW",
                                       rule(["mkdir", "mkdirat"], "SCMP_ACT_LOG")))
        self.run_container(b)
        self.assertTrue(b.has_out("logged"))
        records = wait_for(lambda: [l for l in log.lines() if AUDIT_SECCOMP in l and
                                    ACT_LOG_CODE in l and 'comm="mkdir"' in l],
                           5, message="no audit record of the logged mkdir")
        self.assertRegex(records[0], r"syscall=(83|258) ")

    # -- ENOSYS for what the profile does not know --------------------------------------------
    def test_syscalls_newer_than_the_profile_get_enosys(self):
        # The profile names nothing above rseq (334): clone3 (435) and io_uring_setup (425)
        # get ENOSYS so libc falls back; getcpu (309), unnamed but older, the default EPERM.
        calls = ["clone3", "io_uring_setup", "getcpu", "getppid", "99999"]
        out = self.run_probe(calls, self.strict_probe_profile())
        self.assertEqual(out, {"clone3": errno.ENOSYS, "io_uring_setup": errno.ENOSYS,
                               "getcpu": errno.EPERM, "getppid": errno.EPERM,
                               "99999": errno.ENOSYS})
        # Naming clone3 moves the cut-off to 435: io_uring_setup is now the default's.
        out = self.run_probe(calls, self.strict_probe_profile(
            rule(["clone3"], "SCMP_ACT_ERRNO", errno_ret=errno.EXDEV)))
        self.assertEqual(out, {"clone3": errno.EXDEV, "io_uring_setup": errno.EPERM,
                               "getcpu": errno.EPERM, "getppid": errno.EPERM,
                               "99999": errno.ENOSYS})

    def test_permissive_default_gets_no_enosys_stub(self):
        out = self.run_probe(["clone3", "getcpu"], profile(
            "SCMP_ACT_ALLOW", rule(["getppid"], "SCMP_ACT_ERRNO")))
        # Allowed through to the kernel: clone3(NULL, 0) is EINVAL, getcpu succeeds.
        self.assertEqual(out, {"clone3": errno.EINVAL, "getcpu": 0})

    # -- arguments ----------------------------------------------------------------------------
    def test_argument_operators(self):
        pivot = 0x100000005
        values = [0, 4, 5, 6, 0x100000004, pivot, 0x100000006, 0x200000005, 2 ** 64 - 1]
        ops = {  # operator: (syscall it guards, errno it returns, reference predicate)
            "SCMP_CMP_EQ": ("getppid", 101, lambda v: v == pivot),
            "SCMP_CMP_NE": ("getpid", 102, lambda v: v != pivot),
            "SCMP_CMP_LT": ("getuid", 103, lambda v: v < pivot),
            "SCMP_CMP_LE": ("getgid", 104, lambda v: v <= pivot),
            "SCMP_CMP_GE": ("geteuid", 105, lambda v: v >= pivot),
            "SCMP_CMP_GT": ("getegid", 106, lambda v: v > pivot),
        }
        mask, datum = 0xff0000ff00, 0x1200003400
        rules = [rule([name], "SCMP_ACT_ERRNO", errno_ret=err, args=[arg(1, op, pivot)])
                 for op, (name, err, _) in ops.items()]
        rules.append(rule(["gettid"], "SCMP_ACT_ERRNO", errno_ret=107,
                          args=[arg(0, "SCMP_CMP_MASKED_EQ", mask, datum)]))
        calls = ["%s,0,%d" % (name, v) for name, _, _ in ops.values() for v in values]
        masked_values = [0x12abcd34ff, datum, 0x13abcd34ff, 0x12abcd35ff]
        calls += ["gettid,%d" % v for v in masked_values]
        out = self.run_probe(calls, profile("SCMP_ACT_ALLOW", *rules))
        expected = {"%s,0,%d" % (name, v): (err if matches(v) else 0)
                    for name, err, matches in ops.values() for v in values}
        expected.update({"gettid,%d" % v: (107 if v & mask == datum else 0)
                         for v in masked_values})
        self.assertEqual(out, expected)

    def test_several_conditions_in_one_rule(self):
        out = self.run_probe(
            ["getppid,1,2", "getppid,1,3", "getppid,0,2", "getsid,7", "getsid,9", "getsid,8"],
            profile("SCMP_ACT_ALLOW",
                    # Different arguments: all must hold.
                    rule(["getppid"], "SCMP_ACT_ERRNO", errno_ret=111,
                         args=[arg(0, "SCMP_CMP_EQ", 1), arg(1, "SCMP_CMP_EQ", 2)]),
                    # The same argument twice: runc makes them separate rules, so either.
                    rule(["getsid"], "SCMP_ACT_ERRNO", errno_ret=112,
                         args=[arg(0, "SCMP_CMP_EQ", 7), arg(0, "SCMP_CMP_EQ", 9)])))
        self.assertEqual(out, {"getppid,1,2": 111, "getppid,1,3": 0, "getppid,0,2": 0,
                               "getsid,7": 112, "getsid,9": 112, "getsid,8": errno.ESRCH})

    # -- flags ----------------------------------------------------------------------------------
    @hako_only  # runc 1.1.5 (Debian) refuses every flag
    def test_flag_log_audits_denials(self):
        log = self.kernel_log()
        b = self.bundle(["mkdir", "/out/denied"])
        b.set("linux.seccomp", profile(
            "SCMP_ACT_ALLOW", rule(["mkdir", "mkdirat"], "SCMP_ACT_ERRNO", errno_ret=1),
            flags=["SECCOMP_FILTER_FLAG_LOG"]))
        self.run_container(b, expect_status=1)
        wait_for(lambda: [l for l in log.lines() if AUDIT_SECCOMP in l and
                          "code=0x50000" in l and 'comm="mkdir"' in l],
                 5, message="SECCOMP_FILTER_FLAG_LOG: no audit record of the denied mkdir")

    @hako_only  # runc 1.1.5 (Debian) refuses every flag
    def test_supported_flags_are_accepted(self):
        b = self.bundle(["sh", "-c", KEEP_RUNNING])
        b.set("linux.seccomp", profile(
            "SCMP_ACT_ALLOW", rule(["mkdir"], "SCMP_ACT_ERRNO"),
            flags=["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                   "SECCOMP_FILTER_FLAG_LOG"]))
        cid, pid = self.start_detached(b)
        self.wait_out(b, "ready")
        self.assertEqual(proc_status(pid)["Seccomp"], "2")

    def test_wait_killable_recv_is_refused_clearly(self):
        b = self.bundle(["true"])
        b.set("linux.seccomp", profile("SCMP_ACT_ALLOW",
                                       flags=["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]))
        self.expect_create_failure(b, ["linux.seccomp.flags[0]",
                                       "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", "libseccomp 2.6"])

    # -- bad profiles -------------------------------------------------------------------------
    def test_bad_profile_fails_create_and_leaves_nothing(self):
        b = self.bundle(["true"])
        b.set("linux.seccomp", profile("SCMP_ACT_ALLOW", rule(["read"], "SCMP_ACT_ALLOW"),
                                       rule(["write"], "SCMP_ACT_ALLOW"),
                                       rule(["mkdir"], "SCMP_ACT_FOO")))
        self.expect_create_failure(b, ['linux.seccomp.syscalls[2].action: unknown action '
                                       '"SCMP_ACT_FOO"'], runc_needles=["SCMP_ACT_FOO"])

    def test_unknown_syscall_names_are_skipped(self):
        b = self.bundle(["mkdir", "/out/denied"])
        b.set("linux.seccomp", profile("SCMP_ACT_ALLOW", rule(
            ["no_such_syscall_hkt", "mkdir", "mkdirat"], "SCMP_ACT_ERRNO")))
        p = self.run_container(b, expect_status=1)
        self.assertIn("Operation not permitted", p.stderr)

    # -- SCMP_ACT_NOTIFY --------------------------------------------------------------------------
    def test_notify_hands_the_listener_to_the_agent(self):
        agent_dir = self.make_tempdir("agent-")
        agent = SeccompAgent(os.path.join(agent_dir, "agent.sock"))
        self.addCleanup(agent.close)
        b = self.bundle(["sh", "-c", "echo ready > /out/ready; mkdir /out/d 2>/out/err; "
                         "echo $? > /out/rc"])
        b.set("annotations", {"org.example.hkt": "notify"})
        b.set("linux.seccomp", profile(
            "SCMP_ACT_ALLOW", rule(["mkdir", "mkdirat"], "SCMP_ACT_NOTIFY"),
            listenerPath=agent.path, listenerMetadata="hkt-metadata"))
        cid = self.create(b)
        agent.wait()
        pid = self.rt.state(cid)["pid"]

        state = agent.state
        self.assertEqual(len(agent.fds), 1)
        self.assertEqual(os.readlink("/proc/self/fd/%d" % agent.fds[0]),
                         "anon_inode:seccomp notify")
        self.assertEqual(state["fds"], ["seccompFd"])
        self.assertIn("ociVersion", state)
        self.assertEqual(state["pid"], pid)
        self.assertEqual(state["metadata"], "hkt-metadata")
        inner = state["state"]
        self.assertEqual((inner["id"], inner["status"], inner["pid"]), (cid, "creating", pid))
        self.assertEqual(os.path.realpath(inner["bundle"]), os.path.realpath(b.dir))
        self.assertEqual(inner["annotations"], {"org.example.hkt": "notify"})
        if not is_runc():  # runc writes its own spec version in both places
            self.assertEqual(inner["ociVersion"], b.get("ociVersion"))

        # The container's mkdir waits for the agent, which answers EXDEV.
        listener = agent.fds[0]
        self.rt.ok("start", cid)
        self.wait_out(b, "ready")
        ready, _, _ = select.select([listener], [], [], 10)
        self.assertTrue(ready, "no notification within 10 s")
        self.assertFalse(b.has_out("rc"), "mkdir finished without the agent's answer")
        buf = bytearray(NOTIF.size)
        fcntl.ioctl(listener, IOCTL_NOTIF_RECV, buf, True)
        notif_id, notif_pid, _, nr, _, _, *_ = NOTIF.unpack(buf)
        self.assertIn(nr, (83, 258))  # mkdir, mkdirat
        self.assertEqual(ns_inode(notif_pid, "pid"), ns_inode(pid, "pid"))
        fcntl.ioctl(listener, IOCTL_NOTIF_SEND,
                    bytearray(NOTIF_RESP.pack(notif_id, 0, -errno.EXDEV, 0)), True)
        self.assertEqual(self.wait_out(b, "rc").strip(), "1")
        self.assertIn("Invalid cross-device link", b.read_out("err"))
        self.assertFalse(b.has_out("d"))

    def test_notify_without_an_agent_fails_create(self):
        missing = os.path.join(self.make_tempdir("agent-"), "nobody.sock")
        b = self.bundle(["true"])
        b.set("linux.seccomp", profile("SCMP_ACT_ALLOW", rule(["mkdir"], "SCMP_ACT_NOTIFY"),
                                       listenerPath=missing))
        self.expect_create_failure(b, ["linux.seccomp.listenerPath", missing])

    # -- documents ----------------------------------------------------------------------------
    @hako_only
    def test_features_document(self):
        seccomp = json.loads(self.rt.ok("features").stdout)["linux"]["seccomp"]
        self.assertTrue(seccomp["enabled"])
        self.assertEqual(sorted(seccomp["operators"]), [
            "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT",
            "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"])
        for action in ("SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL",
                       "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",
                       "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"):
            self.assertIn(action, seccomp["actions"])
        for arch in ("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64"):
            self.assertIn(arch, seccomp["archs"])
        self.assertIn("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", seccomp["knownFlags"])
        self.assertNotIn("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", seccomp["supportedFlags"])
        for flag in ("SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"):
            self.assertIn(flag, seccomp["supportedFlags"])

    def test_default_spec_has_no_seccomp(self):
        d = self.make_tempdir("spec-")
        self.rt.ok("spec", cwd=d)
        with open(os.path.join(d, "config.json")) as f:
            self.assertNotIn("seccomp", json.load(f).get("linux", {}))


if __name__ == "__main__":
    unittest.main()


CACHE_MAGIC = b"hako-seccomp-cache 1\n"
CACHE_HEADER = struct.Struct("<QQQII")  # key size, stub length, instruction count, flags, 0


def read_cache_entry(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data.startswith(CACHE_MAGIC), path
    key_size, stub, count, flags, _ = CACHE_HEADER.unpack_from(data, len(CACHE_MAGIC))
    key_at = len(CACHE_MAGIC) + CACHE_HEADER.size
    return {"key": data[key_at:key_at + key_size], "stub": stub, "count": count,
            "flags": flags, "program": data[key_at + key_size:]}


def write_cache_entry(path, key, donor):
    """An entry for `key` holding the program of the entry `donor`."""
    with open(path, "wb") as f:
        f.write(CACHE_MAGIC)
        f.write(CACHE_HEADER.pack(len(key), donor["stub"], donor["count"], donor["flags"], 0))
        f.write(key)
        f.write(donor["program"])


@hako_only
class SeccompCacheTest(HakoTestCase):
    """Compiled filters are cached under the state root (<root>/.seccomp-cache), keyed by the
    profile; the cache is read on the host side only, never through a container's rootfs."""

    DENY_MKDIR = profile("SCMP_ACT_ALLOW", rule(["mkdir"], "SCMP_ACT_ERRNO", errno_ret=13))
    ALLOW_ALL = profile("SCMP_ACT_ALLOW", rule(["getppid"], "SCMP_ACT_ALLOW"))
    MKDIR = "mkdir /tmp/made 2>/out/err; echo $? > /out/status"

    def cache_dir(self):
        return os.path.join(self.state_root, ".seccomp-cache")

    def entries(self):
        d = self.cache_dir()
        return sorted(os.path.join(d, n) for n in os.listdir(d)) if os.path.isdir(d) else []

    def run_mkdir(self, seccomp):
        b = self.bundle(["sh", "-c", self.MKDIR])
        b.config["root"]["readonly"] = False
        b.set("linux.seccomp", seccomp)
        self.run_container(b)
        return b.read_out("status").strip(), b.read_out("err")

    def test_entry_is_used_for_the_same_profile_and_refreshed_when_missing(self):
        self.assertEqual(self.run_mkdir(self.DENY_MKDIR)[0], "1")
        [deny_entry] = self.entries()
        self.assertEqual(os.stat(self.cache_dir()).st_mode & 0o777, 0o700)
        self.assertEqual(self.run_mkdir(self.ALLOW_ALL)[0], "0")
        [allow_entry] = [e for e in self.entries() if e != deny_entry]
        # The entry is what the next container with that profile loads: with the allow-all
        # program under the deny profile's key, mkdir succeeds. (Only root can write there,
        # like the state itself.)
        deny, allow = read_cache_entry(deny_entry), read_cache_entry(allow_entry)
        self.assertIn(b'"mkdir"', deny["key"])
        write_cache_entry(deny_entry, deny["key"], allow)
        self.assertEqual(self.run_mkdir(self.DENY_MKDIR)[0], "0")
        # Without the entry the profile is compiled again, and stored again.
        os.unlink(deny_entry)
        self.assertEqual(self.run_mkdir(self.DENY_MKDIR)[0], "1")
        self.assertIn(deny_entry, self.entries())
        self.assertEqual(read_cache_entry(deny_entry)["program"], deny["program"])

    def test_exec_ignores_a_cache_planted_in_the_container(self):
        """`hako exec` compiles (or finds) the container's profile before it enters the
        container: an entry the container writes at the same path inside its own rootfs,
        holding an allow-all program under the right key, is never read."""
        self.run_mkdir(self.ALLOW_ALL)
        [allow_entry] = self.entries()
        b = self.bundle(["sh", "-c", KEEP_RUNNING])
        b.config["root"]["readonly"] = False
        b.set("linux.seccomp", self.DENY_MKDIR)
        cid = self.create(b)
        self.rt.ok("start", cid)
        self.wait_out(b, "ready")
        [deny_entry] = [e for e in self.entries() if e != allow_entry]
        planted = os.path.join(b.rootfs, deny_entry.lstrip("/"))
        os.makedirs(os.path.dirname(planted))
        write_cache_entry(planted, read_cache_entry(deny_entry)["key"],
                          read_cache_entry(allow_entry))
        p = self.rt("exec", cid, "sh", "-c", self.MKDIR)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(b.read_out("status").strip(), "1", "exec loaded the planted filter")
        self.assertIn("Permission denied", b.read_out("err"))
