"""Advisories about what the runtime writes to /proc, the fds and cwd it hands to the
container, and its own IPC:

- CVE-2019-16884: LSM labels written to a fake /proc (src/core/security/lsm.cpp,
  security/private_procfs.cpp; the /proc mount rules of fs/rootfs.cpp).
- CVE-2025-52881: sysctl writes redirected to other procfs files
  (process/kernel_parameters.cpp through the private procfs).
- CVE-2024-21626: a leaked host fd reached through process.cwd (process/fd_hygiene.cpp,
  process/process_setup.cpp enter_cwd).
- CVE-2021-43784: oversized fields in the runtime's IPC (process/sync_channel.cpp)."""

import fcntl
import os
import subprocess
import sys
import tempfile
import unittest

from hakotest import (HAKO_BIN, KEEP_RUNNING, HakoTestCase, hako_only, is_runc,
                      snapshot_host)

# Host procfs files an attack could reach (sysrq exists only with CONFIG_MAGIC_SYSRQ).
HOST_PROC_FILES = tuple(p for p in ("/proc/sys/kernel/core_pattern", "/proc/sys/kernel/sysrq",
                                    "/proc/sys/kernel/core_uses_pid",
                                    "/proc/sys/net/ipv4/ip_forward") if os.path.exists(p))


def read(path):
    with open(path) as f:
        return f.read()


def host_proc_values():
    return {p: read(p) for p in HOST_PROC_FILES}


def apparmor_enabled():
    try:
        return (os.path.exists("/sys/kernel/security/apparmor")
                and read("/sys/module/apparmor/parameters/enabled").startswith("Y"))
    except OSError:
        return False


def selinux_enabled():
    return os.path.exists("/sys/fs/selinux/enforce")


# Runs argv with the given fds as 3, 4, ...: how a caller passes --preserve-fds.
FD_WRAPPER = """
import fcntl, os, sys
fds = [int(x) for x in sys.argv[1].split(",")]
high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 64) for fd in fds]
for i, fd in enumerate(high):
    os.dup2(fd, 3 + i)
for fd in high:
    os.close(fd)
os.execv(sys.argv[2], sys.argv[2:])
"""

F_GET_SEALS = 1034  # F_LINUX_SPECIFIC_BASE + 10
ALL_SEALS = 1 | 2 | 4 | 8  # F_SEAL_SEAL, SHRINK, GROW, WRITE


def sealed_memfd(path):
    """True when path opens a memfd sealed against writing, growing and shrinking."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        return fcntl.fcntl(fd, F_GET_SEALS) & ALL_SEALS == ALL_SEALS
    except OSError:
        return False
    finally:
        os.close(fd)

class SecurityProcTest(HakoTestCase):

    # -- CVE-2019-16884 --------------------------------------------------------------------
    def test_cve_2019_16884_lsm_label_to_fake_proc(self):
        """A tmpfs at /proc with an AppArmor profile: the label would go to a plain file.
        hako refuses any non-procfs mount at /proc, and writes labels only through its
        private procfs, never the container's."""
        before = snapshot_host(self, "x")
        b = self.bundle(["true"])
        b.set("process.apparmorProfile", "hkt-profile")
        b.config["mounts"] = [m for m in b.config["mounts"] if m["destination"] != "/proc"]
        b.config["mounts"].insert(0, {"destination": "/proc", "type": "tmpfs",
                                      "source": "tmpfs", "options": ["size=64k"]})
        cid = self.new_id()
        b.write()
        p = self.rt.create(cid, b)
        self.assertOneLineError(p, "/proc", "not of type proc")
        self.assertNothingLeftBehind(before, cid)

        # A bind of another procfs file inside /proc (the attr or sysctl file to redirect).
        b = self.bundle(["true"])
        b.add_mount("/proc/self/attr/exec", "bind", "/proc/sys/kernel/core_pattern", ["bind"])
        cid = self.new_id()
        b.write()
        p = self.rt.create(cid, b)
        self.assertOneLineError(p, "inside /proc")
        self.assertNothingLeftBehind(before, cid)

    @hako_only
    def test_cve_2019_16884_apparmor_profile_without_apparmor(self):
        """runc 1.1.5 on a host without AppArmor fails writing the profile (EINVAL); hako
        fails the same way, saying so, with nothing left behind."""
        if apparmor_enabled():
            self.skipTest("AppArmor is enabled here; no profile to load in a test")
        before = snapshot_host(self, "x")
        b = self.bundle(["true"])
        b.set("process.apparmorProfile", "hkt-profile")
        cid = self.new_id()
        b.write()
        p = self.rt.create(cid, b)
        self.assertOneLineError(p, "apparmorProfile", "hkt-profile", "AppArmor is not enabled")
        self.assertNothingLeftBehind(before, cid)

    def test_cve_2019_16884_selinux_labels_without_selinux(self):
        """runc 1.1.5: "selinux label is specified in config, but selinux is disabled or not
        supported"; a mount label fails as well."""
        if selinux_enabled():
            self.skipTest("SELinux is enabled here")
        for field, value in (("process.selinuxLabel", "system_u:system_r:container_t:s0"),
                             ("linux.mountLabel", "system_u:object_r:container_file_t:s0")):
            with self.subTest(field=field):
                before = snapshot_host(self, "x")
                b = self.bundle(["true"])
                b.set(field, value)
                cid = self.new_id()
                b.write()
                p = self.rt.create(cid, b)
                if is_runc():
                    self.assertNotEqual(p.returncode, 0)
                else:
                    self.assertOneLineError(p, field.split(".")[1], "selinux")
                self.assertNothingLeftBehind(before, cid)

    # -- CVE-2025-52881 --------------------------------------------------------------------
    def netns_value(self, pid, key):
        return subprocess.run(["nsenter", "-t", str(pid), "-n", "cat",
                               "/proc/sys/" + key.replace(".", "/")],
                              capture_output=True, text=True, check=True).stdout

    @hako_only
    def test_cve_2025_52881_sysctl_write_redirected(self):
        """net.ipv4.ip_forward=1 while the container's /proc/sys/net/ipv4/ip_forward is
        redirected: bound over with the host's core_pattern by a createContainer hook, or
        (no procfs mounted) a symlink to core_pattern in the image. The value must change in
        the container's network namespace only; the host's procfs files are unchanged."""
        before = host_proc_values()
        self.addCleanup(self.restore_host_proc_values, before)
        attacks = {
            "hook-bind": lambda b: b.patch({"hooks": {"createContainer": [{
                "path": "/bin/sh", "args": ["sh", "-c",
                                            "mount --bind /proc/sys/kernel/core_pattern "
                                            "proc/sys/net/ipv4/ip_forward"]}]}}),
            "image-symlink": self.symlinked_sysctl,
        }
        for name, attack in attacks.items():
            with self.subTest(attack=name):
                b = self.bundle(["sh", "-c", "cat /proc/sys/net/ipv4/ip_forward > /out/seen; "
                                 + KEEP_RUNNING])
                b.patch({"linux": {"sysctl": {"net.ipv4.ip_forward": "1"}}})
                attack(b)
                cid, pid = self.start_detached(b)
                self.wait_out(b, "ready")
                if name == "hook-bind":
                    # The attack was in place: the container's file is the host's.
                    self.assertEqual(b.read_out("seen"), before[HOST_PROC_FILES[0]])
                self.assertEqual(self.netns_value(pid, "net.ipv4.ip_forward").strip(), "1")
                self.assertEqual(host_proc_values(), before)
                self.rt.ok("delete", "--force", cid)

    @staticmethod
    def restore_host_proc_values(values):
        for path, value in values.items():
            if read(path) != value:
                with open(path, "w") as f:
                    f.write(value)

    def symlinked_sysctl(self, b):
        b.config["mounts"] = [m for m in b.config["mounts"] if m["destination"] != "/proc"]
        b.config["linux"]["maskedPaths"] = []
        b.config["linux"]["readonlyPaths"] = []
        d = os.path.join(b.rootfs, "proc", "sys", "net", "ipv4")
        os.makedirs(d)
        os.symlink("/proc/sys/kernel/core_pattern", os.path.join(d, "ip_forward"))

    # -- CVE-2024-21626 --------------------------------------------------------------------
    def test_cve_2024_21626_cwd_through_leaked_fd(self):
        """process.cwd=/proc/self/fd/N/../../.. for N in 3..32: create fails, or the
        process's cwd (seen from the host) lies inside the bundle's rootfs."""
        rootfs_real = None
        for fd in range(3, 33):
            with self.subTest(fd=fd):
                b = self.bundle(["sh", "-c", KEEP_RUNNING])
                rootfs_real = os.path.realpath(b.rootfs)
                b.set("process.cwd", "/proc/self/fd/%d/../../.." % fd)
                cid = self.new_id()
                b.write()
                p = self.rt.create(cid, b)
                if p.returncode != 0:
                    self.assertTrue(p.stderr.strip())
                    continue
                pid = self.rt.state(cid)["pid"]
                self.rt.ok("start", cid)
                self.wait_out(b, "ready")
                cwd = os.readlink("/proc/%d/cwd" % pid)
                self.assertTrue(cwd == rootfs_real or cwd.startswith(rootfs_real + "/"),
                                "cwd %s is outside the rootfs" % cwd)
                self.rt.ok("delete", "--force", cid)

    def init_fds(self, pid):
        fds = {}
        for name in os.listdir("/proc/%d/fd" % pid):
            try:
                fds[int(name)] = os.readlink("/proc/%d/fd/%s" % (pid, name))
            except OSError:
                pass
        return fds

    @hako_only
    def test_cve_2024_21626_init_fd_audit(self):
        """After create, the waiting init holds stdio, the preserved fds, the exec gate
        socket and the sealed exec trampoline, nothing else; --preserve-fds 2 gives the process exactly fds 3 and 4."""
        b = self.bundle(["sh", "-c", "ls /proc/self/fd > /out/fds; " + KEEP_RUNNING])
        cid = self.new_id()
        b.write()
        r, w = os.pipe()
        host_file = os.open("/etc/hostname", os.O_RDONLY)
        leak = os.open("/sys/fs/cgroup", os.O_RDONLY | os.O_DIRECTORY)  # not preserved
        try:
            wrapper = [sys.executable, "-c", FD_WRAPPER, "%d,%d,%d" % (w, host_file, leak),
                       HAKO_BIN, "--root", self.state_root, "create", "--bundle", b.dir,
                       "--preserve-fds", "2", cid]
            # stderr to a file, not a pipe: the init inherits it and never closes it.
            with tempfile.TemporaryFile("w+") as err:
                p = subprocess.run(wrapper, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=err,
                                   pass_fds=(w, host_file, leak), timeout=30)
                err.seek(0)
                stderr = err.read()
        finally:
            for fd in (w, host_file, leak):
                os.close(fd)
        self.assertEqual(p.returncode, 0, stderr)
        pid = self.rt.state(cid)["pid"]
        fds = self.init_fds(pid)
        self.assertIn(3, fds)
        self.assertTrue(fds[3].startswith("pipe:"), fds)
        self.assertEqual(fds.get(4), "/etc/hostname")
        for fd, target in fds.items():
            if fd in (0, 1, 2, 3, 4):
                continue
            with self.subTest(fd=fd, target=target):
                if target.startswith("/memfd:hako-exec"):
                    # The exec trampoline (security/exec_trampoline.hpp), sealed and
                    # close-on-exec: gone once the process runs (checked below).
                    self.assertTrue(sealed_memfd("/proc/%d/fd/%d" % (pid, fd)), target)
                    continue
                self.assertTrue(target.startswith("socket:"),
                                "unexpected fd %d -> %s in the created init" % (fd, target))
        self.assertNotIn("/sys/fs/cgroup", fds.values())
        self.rt.ok("start", cid)
        self.wait_out(b, "ready")
        os.close(r)
        seen = sorted(int(x) for x in b.read_out("fds").split())
        # 0-4, plus the fd ls opened to list /proc/self/fd.
        self.assertEqual(seen[:5], [0, 1, 2, 3, 4])
        self.assertLessEqual(len(seen), 6, "more fds than stdio + 2 reached the process: %s"
                             % seen)

    @hako_only
    def test_cve_2024_21626_exec_cwd_through_leaked_fd(self):
        """The exec variant: `exec --cwd /proc/self/fd/N/../../..` fails or stays inside."""
        b = self.bundle(["sh", "-c", KEEP_RUNNING])
        cid, pid = self.start_detached(b)
        self.wait_out(b, "ready")
        rootfs_real = os.path.realpath(b.rootfs)
        for fd in range(3, 13):
            with self.subTest(fd=fd):
                name = "cwd-%d" % fd
                p = self.rt("exec", "--cwd", "/proc/self/fd/%d/../../.." % fd, cid, "sh", "-c",
                            "ls -a > /out/%s" % name)
                if p.returncode != 0:
                    continue
                # ls of a host dir would list the host's entries, e.g. this bundle's dir.
                listing = b.read_out(name).split()
                self.assertNotIn(os.path.basename(b.dir), listing)
                self.assertNotIn("config.json", listing)
        self.assertTrue(os.path.isdir(rootfs_real))

    # -- CVE-2021-43784 --------------------------------------------------------------------
    def test_cve_2021_43784_oversized_ipc_fields(self):
        """Fields far larger than any IPC length field (70,000 characters): a namespace path
        and a mount destination give one clean error and leave nothing behind; a 100 KiB
        environment variable reaches the process intact."""
        before = snapshot_host(self, "x")
        cases = {
            "namespace": lambda b: b.add_namespace("network", "/" + "n" * 70000),
            "mount": lambda b: b.add_mount("/" + "/".join(["d" * 200] * 350), "tmpfs",
                                           "tmpfs"),
        }
        for name, breaker in cases.items():
            with self.subTest(field=name):
                b = self.bundle(["true"])
                breaker(b)
                cid = self.new_id()
                b.write()
                p = self.rt.create(cid, b)
                self.assertNotEqual(p.returncode, 0)
                if not is_runc():
                    lines = [l for l in p.stderr.splitlines() if l.strip()]
                    self.assertEqual(len(lines), 1, p.stderr[:500])
                    self.assertLess(len(lines[0]), 100000)
                self.assertNothingLeftBehind(before, cid)
        big = "x" * 100000
        b = self.bundle(["sh", "-c", 'printf %s "$HKT_BIG" | wc -c > /out/len'])
        b.add_env("HKT_BIG=" + big)
        self.run_container(b)
        self.assertEqual(b.read_out("len").strip(), str(len(big)))


if __name__ == "__main__":
    unittest.main()
