"""process.terminal: the pty made inside the container, runc's --console-socket protocol
(what conmon and containerd's shim receive), /dev/console, and the foreground relay of
`run`/`exec -t` driven through a pty from here, resize included."""

import array
import fcntl
import json
import os
import re
import select
import signal
import socket
import stat
import struct
import subprocess
import termios
import threading
import time
import unittest

from hakotest import (HAKO_BIN, KEEP_RUNNING, HakoTestCase, hako_only, is_runc, pid_alive,
                      wait_for)

# hako sends the pty's name; runc 1.1 sends the master's ("/dev/ptmx"). Receivers ignore it.
PTS_NAME = re.compile(r"^/dev/(pts/\d+|ptmx)$")


def set_winsize(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


class ConsoleReceiver:
    """A --console-socket listener that, like go-runc's ReceiveMaster, accepts one connection
    and reads the pty name and the master fd from one message (SCM_RIGHTS)."""

    def __init__(self, test):
        self.path = os.path.join(test.make_tempdir("console-"), "console.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(1)
        self.name = None
        self.fd = None
        self.error = None
        self.thread = threading.Thread(target=self._receive, daemon=True)
        self.thread.start()
        test.addCleanup(self.close)

    def _receive(self):
        try:
            self.sock.settimeout(30)
            conn, _ = self.sock.accept()
            with conn:
                fds = array.array("i")
                msg, ancdata, _, _ = conn.recvmsg(4096, socket.CMSG_SPACE(fds.itemsize))
                for level, kind, data in ancdata:
                    if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                        fds.frombytes(data[:len(data) - len(data) % fds.itemsize])
                self.name = msg.decode()
                self.fd = fds[0] if fds else None
        except Exception as e:  # reported by wait()
            self.error = e

    def wait(self):
        self.thread.join(30)
        if self.error:
            raise self.error
        if self.fd is None:
            raise AssertionError("no fd received on the console socket")
        return self.name, self.fd

    def close(self):
        self.sock.close()
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


class PtyDriver:
    """Runs a command as a session leader whose controlling terminal (and stdio) is the slave
    of a pty this test holds the master of: what a user's terminal is to hako."""

    def __init__(self, test, argv, rows=24, cols=80):
        self.master, slave = os.openpty()
        set_winsize(self.master, rows, cols)
        self.before = termios.tcgetattr(slave)
        self.slave_path = os.ttyname(slave)

        def take_terminal():
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave,
                                     start_new_session=True, preexec_fn=take_terminal)
        os.close(slave)
        self.output = b""
        test.addCleanup(self.close)

    def write(self, data):
        os.write(self.master, data)

    def read_until(self, pattern, timeout=15):
        """Reads the master until pattern (bytes regex) matches the output so far."""
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        while not regex.search(self.output):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("timed out waiting for %r; output so far: %r"
                                     % (pattern, self.output))
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    raise AssertionError("pty closed waiting for %r; output: %r"
                                         % (pattern, self.output))
                self.output += chunk
        return regex.search(self.output)

    def wait(self, timeout=20):
        code = self.proc.wait(timeout=timeout)
        # Whatever is left in the pty after the exit.
        while select.select([self.master], [], [], 0.2)[0]:
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                break
            if not chunk:
                break
            self.output += chunk
        return code

    def termios_now(self):
        fd = os.open(self.slave_path, os.O_RDWR | os.O_NOCTTY)
        try:
            return termios.tcgetattr(fd)
        finally:
            os.close(fd)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)


class TerminalTest(HakoTestCase):

    def terminal_bundle(self, args):
        b = self.bundle(args)
        b.set("process.terminal", True)
        return b

    def start_waiting(self, bundle):
        cid, pid = self.start_detached(bundle)
        self.wait_out(bundle, "ready")
        return cid, pid

    def hako(self, *args):
        return [HAKO_BIN, "--root", self.state_root, *args]

    # -- create --console-socket --------------------------------------------------------
    def test_console_socket_receives_master_of_container_pty(self):
        b = self.terminal_bundle(["sh"])
        b.set("process.consoleSize", {"height": 33, "width": 111})
        receiver = ConsoleReceiver(self)
        cid = self.create(b, None, "--console-socket", receiver.path)
        name, master = receiver.wait()
        self.assertRegex(name, PTS_NAME)
        self.assertIn(os.readlink("/proc/self/fd/%d" % master), ("/dev/pts/ptmx", "/dev/ptmx"))
        init = self.rt.state(cid)["pid"]
        # The master belongs to the container's own devpts, not the host's.
        self.assertNotEqual(os.fstat(master).st_dev, os.stat("/dev/pts/ptmx").st_dev)
        rows, cols = struct.unpack("HHHH", fcntl.ioctl(master, termios.TIOCGWINSZ,
                                                      b"\0" * 8))[:2]
        self.assertEqual((rows, cols), (33, 111))
        # The init's stdio is the slave and it is its controlling terminal.
        slave = os.readlink("/proc/%d/fd/0" % init)
        self.assertRegex(slave, r"^/dev/pts/\d+$")
        if not is_runc():
            self.assertEqual(slave, name)
        for fd in (1, 2):
            self.assertEqual(os.readlink("/proc/%d/fd/%d" % (init, fd)), slave)
        with open("/proc/%d/stat" % init) as f:
            fields = f.read().rpartition(")")[2].split()
        session, tty_nr = int(fields[3]), int(fields[4])
        self.assertEqual(session, init)
        self.assertEqual(os.major(tty_nr), 136)
        # /dev/console in the container is that pty (a devpts char device, major 136).
        console = os.stat("/proc/%d/root/dev/console" % init)
        self.assertTrue(stat.S_ISCHR(console.st_mode))
        self.assertEqual(os.major(console.st_rdev), 136)
        self.rt.ok("start", cid)
        os.write(master, b"echo hi-from-pty > /out/hi; stty size > /out/size; "
                         b"[ -t 0 ] && echo tty > /out/tty\n")
        self.assertEqual(self.wait_out(b, "hi").strip(), "hi-from-pty")
        self.assertEqual(self.wait_out(b, "size").strip(), "33 111")
        self.assertEqual(self.wait_out(b, "tty").strip(), "tty")
        os.write(master, b"exit 0\n")
        wait_for(lambda: self.rt.status(cid) == "stopped")

    def test_create_terminal_without_console_socket_fails(self):
        b = self.terminal_bundle(["sh"])
        b.write()
        cid = self.new_id()
        p = self.rt.create(cid, b)
        self.assertOneLineError(p, "console socket")
        self.assertIsNone(self.rt.state(cid))

    def test_console_socket_without_terminal_fails(self):
        b = self.bundle(["sh"])
        receiver = ConsoleReceiver(self)
        b.write()
        cid = self.new_id()
        p = self.rt.create(cid, b, "--console-socket", receiver.path)
        self.assertOneLineError(p, "console socket")
        self.assertIsNone(self.rt.state(cid))

    def test_unreachable_console_socket_fails_cleanly(self):
        b = self.terminal_bundle(["sh"])
        b.write()
        cid = self.new_id()
        missing = os.path.join(self.make_tempdir("console-"), "none.sock")
        p = self.rt.create(cid, b, "--console-socket", missing)
        self.assertOneLineError(p, "none.sock")
        self.assertIsNone(self.rt.state(cid))

    # -- exec with a console socket (containerd, conmon) --------------------------------
    def test_exec_detached_console_socket(self):
        b = self.bundle(["sh", "-c", KEEP_RUNNING])
        cid, init = self.start_waiting(b)
        receiver = ConsoleReceiver(self)
        pid_file = os.path.join(self.make_tempdir("execpid-"), "pid")
        self.rt.ok("exec", "-d", "-t", "--console-socket", receiver.path, "--pid-file",
                   pid_file, cid, "sh")
        name, master = receiver.wait()
        self.assertRegex(name, PTS_NAME)
        self.assertIn(os.readlink("/proc/self/fd/%d" % master), ("/dev/pts/ptmx", "/dev/ptmx"))
        with open(pid_file) as f:
            pid = int(f.read())
        self.addCleanup(lambda: pid_alive(pid) and os.kill(pid, signal.SIGKILL))
        slave = os.readlink("/proc/%d/fd/0" % pid)
        self.assertRegex(slave, r"^/dev/pts/\d+$")
        if not is_runc():
            self.assertEqual(slave, name)
        os.write(master, b"tty > /out/exec-tty; echo $$ > /out/exec-pid\n")
        self.assertEqual(self.wait_out(b, "exec-tty").strip(), slave)
        os.write(master, b"exit\n")
        wait_for(lambda: not pid_alive(pid))

    def test_exec_tty_detached_without_console_socket_fails(self):
        b = self.bundle(["sh", "-c", KEEP_RUNNING])
        cid, _ = self.start_waiting(b)
        p = self.rt("exec", "-d", "-t", cid, "sh")
        self.assertOneLineError(p, "console socket")

    # -- the foreground relay (CRI-O's interactive exec, `run` with a terminal) ----------
    def test_exec_tty_foreground_relay(self):
        b = self.bundle(["sh", "-c", KEEP_RUNNING])
        cid, _ = self.start_waiting(b)
        drv = PtyDriver(self, self.hako("exec", "-t", cid, "sh", "-c",
                                        "stty size; tty; echo relay-ok; exit 3"),
                        rows=30, cols=100)
        self.assertEqual(drv.wait(), 3)
        out = drv.output.decode(errors="replace")
        self.assertIn("30 100", out)
        self.assertIn("relay-ok", out)
        self.assertRegex(out, r"/dev/pts/\d+")
        self.assertEqual(drv.termios_now(), drv.before, "caller's terminal not restored")

    def test_exec_tty_in_user_namespace_container(self):
        b = self.bundle(["sh", "-c", KEEP_RUNNING], copy_rootfs=True)
        b.set("root.readonly", True)
        b.add_namespace("user")
        b.patch({"linux": {
            "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
            "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
        }})
        cid, _ = self.start_waiting(b)
        drv = PtyDriver(self, self.hako("exec", "-t", "-u", "1000", cid, "sh", "-c",
                                        "tty; id -u; exit 2"))
        self.assertEqual(drv.wait(), 2)
        out = drv.output.decode(errors="replace")
        self.assertRegex(out, r"/dev/pts/\d+\r\n1000")

    def test_exec_tty_interactive_resize(self):
        b = self.bundle(["sh", "-c", KEEP_RUNNING])
        cid, _ = self.start_waiting(b)
        drv = PtyDriver(self, self.hako("exec", "-t", cid, "sh"), rows=20, cols=70)
        drv.write(b"stty size > /out/size1; echo step-one\n")
        drv.read_until(rb"step-one\r?\n")
        self.assertEqual(self.wait_out(b, "size1").strip(), "20 70")
        # The outer terminal grows: the kernel sends SIGWINCH to hako, which resizes the pty.
        set_winsize(drv.master, 40, 120)
        wait_for(lambda: self._size_inside(drv, b) == "40 120", timeout=10)
        drv.write(b"exit 5\n")
        self.assertEqual(drv.wait(), 5)
        self.assertEqual(drv.termios_now(), drv.before, "caller's terminal not restored")

    def _size_inside(self, drv, b):
        name = "size-%d" % time.monotonic_ns()
        drv.write(b"stty size > /out/%s\n" % name.encode())
        try:
            return self.wait_out(b, name, timeout=5).strip()
        except AssertionError:
            return None

    def test_exec_tty_ctrl_c_reaches_the_container(self):
        b = self.bundle(["sh", "-c", KEEP_RUNNING])
        cid, _ = self.start_waiting(b)
        drv = PtyDriver(self, self.hako("exec", "-t", cid, "sh", "-c",
                                        "trap 'echo got-int > /out/int; exit 4' INT; "
                                        "echo armed; while :; do sleep 0.05; done"))
        drv.read_until(rb"armed")
        drv.write(b"\x03")
        self.assertEqual(drv.wait(), 4)
        self.assertEqual(b.read_out("int").strip(), "got-int")

    def test_run_with_terminal_in_the_foreground(self):
        b = self.terminal_bundle(["sh", "-c", "tty; stty size; [ -t 1 ] && echo out-is-tty; "
                                  "exit 6"])
        b.write()
        cid = self.new_id()
        drv = PtyDriver(self, self.hako("run", "--bundle", b.dir, cid), rows=25, cols=90)
        self.assertEqual(drv.wait(), 6)
        out = drv.output.decode(errors="replace")
        self.assertRegex(out, r"/dev/pts/\d+")
        if not is_runc():  # runc resizes only after the process started
            self.assertIn("25 90", out)
        self.assertIn("out-is-tty", out)
        self.assertEqual(drv.termios_now(), drv.before, "caller's terminal not restored")
        self.assertIsNone(self.rt.state(cid))

    @hako_only
    def test_run_tty_flag(self):
        b = self.bundle(["sh", "-c", "[ -t 0 ] && echo in-is-tty; exit 0"])
        b.write()
        cid = self.new_id()
        drv = PtyDriver(self, self.hako("run", "-t", "--bundle", b.dir, cid))
        self.assertEqual(drv.wait(), 0)
        self.assertIn("in-is-tty", drv.output.decode(errors="replace"))

    @hako_only
    def test_exec_tty_with_pipes_as_stdio(self):
        """CRI-O may run `exec --process F ID` (terminal: true) with pipes: hako still makes
        and relays the pty."""
        b = self.bundle(["sh", "-c", KEEP_RUNNING])
        cid, _ = self.start_waiting(b)
        process = dict(b.config["process"])
        process["terminal"] = True
        process["args"] = ["sh", "-c", "[ -t 0 ] && echo stdin-is-tty; exit 9"]
        path = os.path.join(self.make_tempdir("process-"), "process.json")
        with open(path, "w") as f:
            json.dump(process, f)
        p = subprocess.run(self.hako("exec", "--process", path, cid), stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        self.assertEqual(p.returncode, 9, p.stderr)
        self.assertIn(b"stdin-is-tty", p.stdout)


if __name__ == "__main__":
    unittest.main()
