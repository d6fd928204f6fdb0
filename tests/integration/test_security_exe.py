"""Advisories about the runtime's own process and binary being reached from inside a container:

- CVE-2019-5736: the host binary overwritten through /proc/PID/exe. The container process's
  first execve runs hako's exec trampoline from a sealed memfd
  (src/core/security/exec_trampoline.cpp); for containers it cannot serve (a seccomp profile
  refusing its calls, an LSM label) hako re-executes itself from a sealed binary
  (src/core/security/exe_seal.cpp).
- CVE-2016-9962: hako's setup processes inspected (ptrace, /proc/PID/fd) from inside.

These tests run a private copy of the hako binary so that a failing defence corrupts the copy,
never the build. Attack code is static C (helpers/*.c) compiled per test run."""

import errno
import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from hakotest import (HAKO_BIN, KEEP_RUNNING, HakoTestCase, hako_only, pid_alive, wait_for)
from helpers.build import build_helper, static_build_available

F_GET_SEALS = 1034  # F_LINUX_SPECIFIC_BASE + 10
F_SEAL_SEAL, F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_WRITE = 1, 2, 4, 8
ALL_SEALS = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE
MARKER = "hkt5736marker"
# What hako's exec trampoline says when run as a program (src/trampoline/exec_trampoline.c).
TRAMPOLINE_REFUSAL = "hako-exec: hako's exec trampoline runs only as the last step"
EXEC_MARKER = "hkt5736exec"


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def exe_seals(pid):
    """The seals of the file /proc/PID/exe names (None when it is not a memfd)."""
    fd = os.open("/proc/%d/exe" % pid, os.O_RDONLY | os.O_CLOEXEC)
    try:
        return fcntl.fcntl(fd, F_GET_SEALS)
    except OSError:
        return None
    finally:
        os.close(fd)


def copy_loader_and_libraries(rootfs, binary):
    """For a dynamically linked hako: its ELF interpreter and libraries, copied into rootfs
    at their host paths, so that the container can execute it as the runc exploit does."""
    p = subprocess.run(["ldd", binary], capture_output=True, text=True)
    if p.returncode != 0:
        return  # static: nothing to copy
    for line in p.stdout.splitlines():
        for token in line.split():
            if token.startswith("/") and os.path.exists(token):
                dest = os.path.join(rootfs, token.lstrip("/"))
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                shutil.copy2(token, dest)


def parse_report(text):
    rows = []
    for line in text.splitlines():
        if line == "done" or line.startswith("done "):
            continue
        row = {}
        for field in line.split():
            key, _, value = field.partition("=")
            row[key] = value
        rows.append(row)
    return rows


@unittest.skipUnless(static_build_available(), "needs cc and a static libc")
class SecurityExeTest(HakoTestCase):

    def setUp(self):
        super().setUp()
        # A private copy of hako: it is what the attacks aim at.
        self.bin_dir = self.make_tempdir("bin-")
        self.hako = os.path.join(self.bin_dir, "hako")
        shutil.copy2(HAKO_BIN, self.hako)
        self.hako_sha = sha256(self.hako)

    def hako_cmd(self, *args, timeout=30, check=True):
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            p = subprocess.run([self.hako, "--root", self.state_root, *map(str, args)],
                               stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                               timeout=timeout)
            out.seek(0)
            err.seek(0)
            result = subprocess.CompletedProcess(p.args, p.returncode, out.read(), err.read())
        if check and result.returncode != 0:
            raise AssertionError("%s exited %d: %s" % (" ".join(result.args),
                                                       result.returncode, result.stderr))
        return result

    def copy_helper(self, bundle, name):
        shutil.copy2(build_helper(name), os.path.join(bundle.rootfs, name))
        return "/" + name

    def create_with_copy(self, bundle, *extra, stderr_path=None):
        """Creates with the private copy; with stderr_path, the container process's stderr
        (inherited from create) is that file."""
        cid = self.new_id()
        bundle.write()
        if stderr_path is None:
            self.hako_cmd("create", "--bundle", bundle.dir, *extra, cid)
        else:
            with open(stderr_path, "w") as err:
                result = subprocess.run([self.hako, "--root", self.state_root, "create",
                                         "--bundle", bundle.dir, *extra, cid],
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=err, timeout=30)
            self.assertEqual(result.returncode, 0, "create failed")
        return cid, self.rt.state(cid)["pid"]

    @hako_only
    def test_cve_2019_5736_proc_self_exe_overwrite(self):
        """A container process reaches for hako through /proc/PID/exe and tries to write it:
        the created init waiting for start (seen from a container sharing its pid namespace),
        an entrypoint /bin/evil -> /proc/self/exe that the init execs, and `exec A /bin/evil`;
        each kept open with O_PATH until it exits and then reopened for writing (the runc
        exploit). The waiting init is non-dumpable, so its exe cannot even be read; the
        container's first execve runs hako's sealed exec trampoline, so /bin/evil resolves to
        that (which refuses to run as a program), never to the host's binary."""
        shared = self.make_tempdir("shared-")
        os.chmod(shared, 0o777)
        os.mkfifo(os.path.join(shared, "fifo"), 0o666)
        os.mkfifo(os.path.join(shared, "fifo2"), 0o666)

        # A: the attacker, owner of the pid namespace.
        a = self.bundle()
        a.add_mount("/shared", "bind", shared, ["rbind", "rw"])
        attack = self.copy_helper(a, "exe_attack")
        # It scans until told to stop: B must join its pid namespace while its pid 1 lives
        # (joining a dead pid namespace fails with ENOMEM).
        a.args = [attack, "60", "/out/report", "/shared/stop", "/shared/fifo", MARKER,
                  "/shared/fifo2", EXEC_MARKER]
        os.symlink("/proc/self/exe", os.path.join(a.rootfs, "bin", "evil"))
        copy_loader_and_libraries(a.rootfs, self.hako)
        a_id, a_pid = self.create_with_copy(a)
        self.hako_cmd("start", a_id)

        # B: joins A's pid namespace; its entrypoint is whatever /proc/self/exe is.
        b = self.bundle()
        os.symlink("/proc/self/exe", os.path.join(b.rootfs, "bin", "evil"))
        copy_loader_and_libraries(b.rootfs, self.hako)
        b.add_namespace("pid", "/proc/%d/ns/pid" % a_pid)
        b.args = ["/bin/evil", "--root", "/" + MARKER, "state", MARKER]
        b_stderr = os.path.join(self.make_tempdir("stderr-"), "b")
        b_id, b_pid = self.create_with_copy(b, stderr_path=b_stderr)
        b_ns_pid = self.ns_pid(b_pid)
        time.sleep(0.3)  # let the attacker probe the waiting init
        self.hako_cmd("start", b_id)
        wait_for(lambda: self.rt.status(b_id) == "stopped", 10,
                 message="B's container process never finished")
        exec_result = self.hako_cmd("exec", a_id, "/bin/evil", "--root", "/" + EXEC_MARKER,
                                    "state", EXEC_MARKER, check=False)
        with open(os.path.join(shared, "stop"), "w"):
            pass
        wait_for(lambda: a.has_out("report") and "done" in a.read_out("report"), 15,
                 message="the attacker wrote no report")
        rows = parse_report(a.read_out("report"))

        self.assertEqual(sha256(self.hako), self.hako_sha, "the hako binary was modified")
        for row in rows:
            with self.subTest(row=row):
                self.assertNotIn(self.hako, row.get("exe", ""),
                                 "a container process saw the host binary")
                self.assertNotEqual(row.get("write"), "ok", "wrote to a runtime's exe")
                if not row.get("exe", "").startswith("/memfd:hako-exec"):
                    self.assertNotEqual(row.get("wronly"), "ok", "opened hako's exe for writing")
        # The attacker did see B's waiting init, and could not read where its exe points.
        init_rows = [r for r in rows if r.get("pid") == str(b_ns_pid)]
        self.assertTrue(init_rows, "the attacker never saw B's waiting init:\n%s"
                        % a.read_out("report"))
        self.assertEqual(init_rows[0].get("exe"), "readlink-errno-%d" % errno.EACCES)
        # /bin/evil ran the sealed trampoline, in B's init and in the exec'd process alike.
        with open(b_stderr) as f:
            self.assertIn(TRAMPOLINE_REFUSAL, f.read())
        self.assertEqual(exec_result.returncode, 127, exec_result.stderr)
        self.assertIn(TRAMPOLINE_REFUSAL, exec_result.stderr)

    @staticmethod
    def ns_pid(host_pid):
        """B's init pid as A's pid namespace numbers it."""
        with open("/proc/%d/status" % host_pid) as f:
            for line in f:
                if line.startswith("NSpid:"):
                    return int(line.split()[-1])
        raise AssertionError("no NSpid")

    def assertOverlaySealed(self, pid):
        """pid runs hako through a detached read-only overlay: /proc/PID/exe names the file
        at the overlay's root, lies on a read-only overlayfs, and cannot be opened for writing
        even by root on the host."""
        exe = "/proc/%d/exe" % pid
        self.assertEqual(os.readlink(exe), "/" + os.path.basename(self.hako))
        fs_type = subprocess.run(["stat", "-f", "-L", "-c", "%T", exe], capture_output=True,
                                 text=True, check=True).stdout.strip()
        self.assertEqual(fs_type, "overlayfs")
        self.assertTrue(os.statvfs(exe).f_flag & os.ST_RDONLY)
        with self.assertRaises(OSError) as raised:
            os.close(os.open(exe, os.O_WRONLY))
        self.assertEqual(raised.exception.errno, errno.EROFS)
        self.assertIsNone(exe_seals(pid))

    def sealed_binary_bundle(self, args):
        """A bundle the exec trampoline cannot serve (a seccomp profile refusing execveat,
        which the trampoline needs): hako re-executes itself from a sealed binary instead."""
        b = self.bundle(args)
        b.set("linux.seccomp", {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
            {"names": ["execveat"], "action": "SCMP_ACT_ERRNO"}]})
        return b

    @hako_only
    def test_cve_2019_5736_entrypoint_proc_self_exe_runs_the_sealed_trampoline(self):
        """The created init runs hako as is (it is non-dumpable), but the container's first
        execve is the exec trampoline's, from a memfd sealed against writing: an entrypoint
        resolving to /proc/self/exe runs that, which refuses (exit 127), and the host binary
        is untouched."""
        b = self.bundle(["/bin/evil"])
        os.symlink("/proc/self/exe", os.path.join(b.rootfs, "bin", "evil"))
        cid, pid = self.create_with_copy(b)
        self.assertEqual(os.readlink("/proc/%d/exe" % pid), self.hako)
        self.rt.ok("delete", "--force", cid)
        result = self.hako_cmd("run", "--bundle", b.dir, self.new_id(), check=False)
        self.assertEqual(result.returncode, 127, result.stderr)
        self.assertIn(TRAMPOLINE_REFUSAL, result.stderr)
        self.assertEqual(sha256(self.hako), self.hako_sha)

    @hako_only
    def test_cve_2019_5736_trampoline_reports_a_failing_execve(self):
        """An execve that fails only in the trampoline (a file the lookup accepted but the
        kernel cannot run) is reported as before: `start` and `exec` fail with runc's
        wording, `exec` with runc's exit status for a failed exec (255)."""
        b = self.bundle(["/bad"])
        with open(os.path.join(b.rootfs, "bad"), "w") as f:
            f.write("not a program\n")
        os.chmod(os.path.join(b.rootfs, "bad"), 0o755)
        cid, _ = self.create_with_copy(b)
        result = self.hako_cmd("start", cid, check=False)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn('exec: "/bad": exec format error', result.stderr)
        self.rt.ok("delete", "--force", cid)

        b.args = ["sh", "-c", KEEP_RUNNING]
        cid, _ = self.create_with_copy(b)
        self.hako_cmd("start", cid)
        result = self.hako_cmd("exec", cid, "/bad", check=False)
        self.assertEqual(result.returncode, 255, result.stderr)
        self.assertIn('exec: "/bad": exec format error', result.stderr)
        self.rt.ok("delete", "--force", cid)

    @hako_only
    def test_cve_2019_5736_waiting_init_runs_from_read_only_overlay(self):
        """As runc 1.2, for a container the trampoline cannot serve: hako re-executes itself
        through a read-only overlayfs of its own directory (nothing is copied), so the init
        waiting for start cannot be written through /proc/PID/exe, and the host binary is
        untouched."""
        b = self.sealed_binary_bundle(["true"])
        cid, pid = self.create_with_copy(b)
        self.assertOverlaySealed(pid)
        self.rt.ok("delete", "--force", cid)
        self.assertEqual(sha256(self.hako), self.hako_sha)

    @hako_only
    def test_cve_2019_5736_memfd_copy_where_overlayfs_refuses(self):
        """Where overlayfs cannot stack on the binary's filesystem (here: the binary lies two
        writable overlays deep, and a third level exceeds the kernel's stacking limit), hako
        falls back to the sealed memfd copy, as runc does."""
        levels = []
        lower = self.bin_dir
        for level in range(2):
            top = self.make_tempdir("ovl%d-" % level)
            for d in ("upper", "work", "merged"):
                os.makedirs(os.path.join(top, d))
            merged = os.path.join(top, "merged")
            self.host_mount("-t", "overlay", "hkt-overlay", "-o",
                            "lowerdir=%s,upperdir=%s/upper,workdir=%s/work" % (lower, top, top),
                            target=merged)
            levels.append(top)
            lower = merged
        self.hako = os.path.join(lower, "hako")
        b = self.sealed_binary_bundle(["true"])
        cid, pid = self.create_with_copy(b)
        self.assertTrue(os.readlink("/proc/%d/exe" % pid).startswith("/memfd:hako"))
        self.assertEqual((exe_seals(pid) or 0) & ALL_SEALS, ALL_SEALS)
        self.rt.ok("delete", "--force", cid)

    @hako_only
    def test_cve_2019_5736_read_only_binary_is_not_copied(self):
        """crun's rule: a binary on a read-only filesystem cannot be overwritten, so it runs
        as is (no memfd)."""
        ro_dir = self.make_tempdir("robin-")
        self.host_mount("--bind", self.bin_dir, target=ro_dir)
        subprocess.run(["mount", "-o", "remount,bind,ro", ro_dir], check=True)
        self.hako = os.path.join(ro_dir, "hako")
        b = self.sealed_binary_bundle(["true"])
        cid, pid = self.create_with_copy(b)
        self.assertEqual(os.readlink("/proc/%d/exe" % pid), self.hako)
        self.rt.ok("delete", "--force", cid)

    @hako_only
    def test_cve_2016_9962_setup_process_not_inspectable(self):
        """The created init waits between create and start with the container's uid and
        capabilities but stays non-dumpable: a process with the same credentials and no
        CAP_SYS_PTRACE can neither ptrace it nor list its fds. The same spy does see the
        container process once it runs (the control that the spy works)."""
        spy = build_helper("proc_spy")
        b = self.bundle(["sh", "-c", KEEP_RUNNING])
        cid, pid = self.create_with_copy(b)
        report = os.path.join(self.make_tempdir("spy-"), "report")
        subprocess.run([spy, "0.3", report, "only=%d" % pid], check=True, timeout=10)
        with open(report) as f:
            seen = f.read()
        self.assertIn("done scanned=", seen)
        self.assertNotIn("seize", seen, "ptrace of the waiting init worked")
        self.assertNotIn("fd pid=", seen, "the waiting init's fds were readable")

        self.rt.ok("start", cid)
        self.wait_out(b, "ready")
        subprocess.run([spy, "0.3", report, "only=%d" % pid], check=True, timeout=10)
        with open(report) as f:
            self.assertIn("fd pid=%d" % pid, f.read(), "control: the spy cannot see the "
                          "started container process either, so the test proves nothing")

    @hako_only
    def test_cve_2016_9962_exec_setup_race(self):
        """The container's pid 1 scans its pid namespace for new processes, ptraces them and
        lists their fds while `hako exec` runs repeatedly: it must never get hold of a hako
        process (comm "hako") before that execs the user's command."""
        b = self.bundle()
        spy = self.copy_helper(b, "proc_spy")
        b.args = [spy, "4", "/out/report", "keep"]
        cid, pid = self.create_with_copy(b)
        self.hako_cmd("start", cid)
        deadline = time.monotonic() + 3
        execs = 0
        while time.monotonic() < deadline and execs < 200:
            self.hako_cmd("exec", cid, "true")
            execs += 1
        wait_for(lambda: b.has_out("report") and "done" in b.read_out("report"), 10,
                 message="the spy wrote no report")
        report = b.read_out("report")
        self.assertGreaterEqual(execs, 3)
        hako_rows = [line for line in report.splitlines() if " comm=hako " in line + " "]
        self.assertEqual(hako_rows, [], "a hako setup process was inspected from inside")


if __name__ == "__main__":
    unittest.main()
