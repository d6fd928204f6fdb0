"""Advisories where a malicious rootfs (or a racing volume) redirects what the runtime mounts,
creates or masks to the host. Each test builds the attack into its bundle's private rootfs
copy, runs hako, and checks that the host is unchanged (marker dirs empty, /proc/sys values
equal) and, when the container ran, what it sees.

hako's defences: every in-rootfs path is resolved as an fd inside the root
(src/core/fs/safe_path.cpp), mounts attach to those fds (fs/mount_api.cpp, fs/rootfs.cpp),
device nodes replace whatever the image put at their path (fs/devices.cpp)."""

import os
import shutil
import subprocess
import time
import unittest

from hakotest import (KEEP_RUNNING, HakoTestCase, find_mount, hako_only, is_runc,
                      parse_mountinfo, snapshot_host, wait_for)
from helpers.build import build_helper, static_build_available

NO_DEV_TMPFS = ("/dev",)  # mount destinations to drop so the image's own /dev is used
USERNS = {
    "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
    "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
}


def read(path):
    with open(path) as f:
        return f.read()


def tree(path):
    """Every entry below path (relative), to compare a host dir before and after."""
    found = []
    for top, dirs, files in os.walk(path):
        for name in dirs + files:
            found.append(os.path.relpath(os.path.join(top, name), path))
    return sorted(found)


class SecurityFsTest(HakoTestCase):

    # -- helpers -------------------------------------------------------------------------
    def drop_mounts(self, bundle, *destinations):
        bundle.config["mounts"] = [m for m in bundle.config["mounts"]
                                   if m["destination"] not in destinations]

    def host_dir(self):
        d = self.make_tempdir("hostdir-")
        with open(os.path.join(d, "marker"), "w") as f:
            f.write("host\n")
        return d

    def assertHostDirUnchanged(self, d):
        self.assertEqual(tree(d), ["marker"], "hako wrote into the host dir %s" % d)

    def attempt(self, bundle, run=True):
        """`run` (or `create` with run=False) that may fail; returns (proc, id)."""
        cid = self.new_id()
        bundle.write()
        if run:
            return self.rt.run(cid, bundle), cid
        return self.rt.create(cid, bundle), cid

    def replace_with_symlink(self, bundle, path, target):
        full = os.path.join(bundle.rootfs, path.lstrip("/"))
        if os.path.isdir(full) and not os.path.islink(full):
            shutil.rmtree(full)
        elif os.path.lexists(full):
            os.unlink(full)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        os.symlink(target, full)

    def userns(self, bundle):
        bundle.add_namespace("user")
        bundle.patch({"linux": dict(USERNS)})

    # -- /proc and /sys must be plain directories ----------------------------------------
    def assertSymlinkedMountTargetRefused(self, bundle, name):
        before = snapshot_host(self, "x")
        p, cid = self.attempt(bundle, run=False)
        self.assertOneLineError(p, name)
        if not is_runc():
            self.assertIn("symlink", p.stderr.lower())
        self.assertNothingLeftBehind(before, cid)

    def test_cve_2019_19921_proc_symlink(self):
        """rootfs/proc -> a directory of the image: the procfs mount (and the runtime's later
        checks of it) would land somewhere the image controls."""
        b = self.bundle(["true"])
        os.makedirs(os.path.join(b.rootfs, "bad-proc"))
        self.replace_with_symlink(b, "/proc", "/bad-proc")
        self.assertSymlinkedMountTargetRefused(b, "/proc")

    def test_cve_2023_27561_proc_symlink_regression(self):
        """The regression of runc rc95-1.1.4: a relative /proc symlink."""
        b = self.bundle(["true"])
        os.makedirs(os.path.join(b.rootfs, "var", "fake-proc"))
        self.replace_with_symlink(b, "/proc", "var/fake-proc")
        self.assertSymlinkedMountTargetRefused(b, "/proc")

    def test_cve_2023_28642_proc_symlink_into_volume(self):
        """/proc is a symlink into a shared volume, where another container can change it."""
        volume = self.make_tempdir("volume-")
        os.makedirs(os.path.join(volume, "proc"))
        b = self.bundle(["true"])
        b.config["mounts"].insert(0, {"destination": "/vol", "type": "bind", "source": volume,
                                      "options": ["rbind", "rw"]})
        self.replace_with_symlink(b, "/proc", "/vol/proc")
        self.assertSymlinkedMountTargetRefused(b, "/proc")
        self.assertEqual(tree(volume), ["proc"])

    def test_cve_2025_54867_sys_symlink(self):
        b = self.bundle(["true"])
        host = self.host_dir()
        self.replace_with_symlink(b, "/sys", host)
        self.assertSymlinkedMountTargetRefused(b, "/sys")
        self.assertHostDirUnchanged(host)

    # -- races on mount destinations -----------------------------------------------------
    def race(self, rootfs_dir, a, b, seconds):
        racer = build_helper("swap_race")
        return subprocess.Popen([racer, rootfs_dir, a, b, str(seconds)],
                                stdout=subprocess.PIPE, text=True)

    def racing_bundle(self, host, destinations, command):
        """A bundle whose rootfs has /vol/a (a directory) and /vol/b (a symlink to the host
        dir), and mounts a tmpfs at each destination."""
        b = self.bundle(["sh", "-c", command])
        vol = os.path.join(b.rootfs, "vol")
        os.makedirs(os.path.join(vol, "a"))
        os.symlink(host, os.path.join(vol, "b"))
        for d in destinations:
            b.add_mount(d, "tmpfs", "tmpfs", ["size=64k"])
        return b, vol

    @unittest.skipUnless(static_build_available(), "needs cc and a static libc")
    def test_cve_2021_30465_mount_destination_swap_race(self):
        """While containers with 20 tmpfs mounts below /vol/a start, a racer swaps /vol/a with
        a symlink to a host dir (renameat2 RENAME_EXCHANGE). No mount or directory may
        appear in the host dir, and no container may see the host dir's marker."""
        host = self.host_dir()
        destinations = ["/vol/a/m%d" % i for i in range(10)]
        destinations += ["/vol/a/../a/n%d" % i for i in range(10)]
        find = ("find / -path /proc -prune -o -path /sys -prune -o -name marker -print "
                "> /out/found")
        b, vol = self.racing_bundle(host, destinations, find)
        racer = self.race(vol, "a", "b", 3)
        ran = failed = 0
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and ran + failed < 200:
            p, cid = self.attempt(b)
            if p.returncode == 0:
                ran += 1
                self.assertEqual(b.read_out("found").split(), [],
                                 "the host marker is visible in the container")
            else:
                failed += 1
            self.rt.delete(cid, force=True)
        swaps = int(racer.communicate(timeout=10)[0])
        self.assertGreater(swaps, 1000, "the racer did not race")
        self.assertGreater(ran + failed, 5, "too few containers tried during the race")
        # Whether any container wins the race (all 20 destinations resolved while /vol/a was
        # the directory) depends on the machine's speed, so the race itself need not produce a
        # running container. Once the racer has put /vol/a back, the same bundle must run:
        # that proves the failures came from the race and not from a broken config.
        p, cid = self.attempt(b)
        self.assertEqual(p.returncode, 0, "the bundle does not run without the racer")
        self.assertEqual(b.read_out("found").split(), [])
        self.rt.delete(cid, force=True)
        self.assertHostDirUnchanged(host)
        self.assertEqual([r.line for r in parse_mountinfo(read("/proc/self/mountinfo"))
                          if r.mount_point.startswith(host)], [])

    @unittest.skipUnless(static_build_available(), "needs cc and a static libc")
    def test_cve_2024_45310_mkdir_all_race(self):
        """Missing directories of mount destinations are created while a racer swaps a
        component with a symlink to the host: no new inode may appear outside the rootfs."""
        host = self.host_dir()
        destinations = ["/vol/a/x%d/y/z" % i for i in range(20)]
        b, vol = self.racing_bundle(host, destinations, "true")
        racer = self.race(vol, "a", "b", 2.5)
        attempts = 0
        deadline = time.monotonic() + 2.5
        while time.monotonic() < deadline and attempts < 200:
            p, cid = self.attempt(b, run=False)
            self.rt.delete(cid, force=True)
            attempts += 1
        racer.communicate(timeout=10)
        self.assertGreater(attempts, 3)
        self.assertHostDirUnchanged(host)

    # -- /dev ------------------------------------------------------------------------------
    def core_pattern(self):
        return read("/proc/sys/kernel/core_pattern")

    def masked_keys_bundle(self):
        b = self.bundle(["sh", "-c",
                         "stat -c '%t:%T %F' /proc/keys > /out/keys; "
                         "echo hkt-pwned > /proc/keys; wc -c < /proc/keys > /out/size; "
                         "stat -L -c '%t:%T' /dev/null > /out/null"])
        b.config["linux"]["maskedPaths"] = ["/proc/keys"]
        return b

    def assertKeysMasked(self, b):
        self.assertEqual(b.read_out("keys").strip(), "1:3 character special file")
        # Writes vanish into the null device, reads are empty.
        self.assertEqual(b.read_out("size").strip(), "0")
        self.assertEqual(b.read_out("null").strip(), "1:3")

    @hako_only  # runc 1.1.5 keeps the image's /dev/null symlink (mknod: EEXIST); fixed 1.2.8
    def test_cve_2025_31133_dev_null_symlink_masks(self):
        """The image's /dev/null is a symlink to /proc/sys/kernel/core_pattern and the config
        uses the image's /dev: masking /proc/keys with it would bind core_pattern, writable.
        hako replaces the symlink by a real node and masks with a verified 1:3."""
        before = self.core_pattern()
        for variant in ("mknod", "userns-bind"):
            with self.subTest(variant=variant):
                b = self.masked_keys_bundle()
                self.drop_mounts(b, *NO_DEV_TMPFS)
                self.replace_with_symlink(b, "/dev/null", "/proc/sys/kernel/core_pattern")
                if variant == "userns-bind":
                    self.userns(b)
                    os.chown(os.path.join(b.rootfs, "dev"), 100000, 100000)
                p, cid = self.attempt(b)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertKeysMasked(b)
                self.assertEqual(self.core_pattern(), before)

    @hako_only
    def test_cve_2025_31133_dev_null_swapped_by_hook(self):
        """The race variant: a createContainer hook (in the container's mount namespace,
        after the devices exist) makes /dev/null a symlink to core_pattern, or binds
        core_pattern over it. The mask must refuse to use it; the host is unchanged."""
        before = self.core_pattern()
        swaps = {
            "symlink": "rm -f dev/null && ln -s /proc/sys/kernel/core_pattern dev/null",
            "bind": "mount --bind /proc/sys/kernel/core_pattern dev/null",
        }
        for name, script in swaps.items():
            with self.subTest(swap=name):
                b = self.masked_keys_bundle()
                b.patch({"hooks": {"createContainer": [
                    {"path": "/bin/sh", "args": ["sh", "-c", script]}]}})
                p, cid = self.attempt(b)
                self.assertOneLineError(p, "/dev/null")
                self.assertEqual(self.core_pattern(), before)

    @hako_only  # runc 1.1.5 follows the /dev symlink; fixed in 1.3.6/1.4.3
    def test_cve_2026_41579_cve_2026_47766_dev_symlink(self):
        """rootfs/dev -> a host directory: device nodes, /dev symlinks and the devpts, shm and
        mqueue mount points must all stay inside the rootfs, whether /dev is a tmpfs of the
        config or the image's own, with or without a user namespace."""
        for variant in ("tmpfs", "image-dev", "userns"):
            with self.subTest(variant=variant):
                host = self.host_dir()
                b = self.bundle(["sh", "-c", "ls -l /dev/ > /out/dev"])
                if variant == "image-dev":
                    self.drop_mounts(b, *NO_DEV_TMPFS)
                if variant == "userns":
                    self.userns(b)
                self.replace_with_symlink(b, "/dev", host)
                p, cid = self.attempt(b)
                self.assertHostDirUnchanged(host)
                if p.returncode == 0:
                    self.assertIn("null", b.read_out("dev"))

    def test_cve_2025_52565_console_symlink(self):
        """terminal: true with an image whose /dev/console and /dev/pts entries are symlinks
        to host files: the console bind must come from the container's devpts (major 136)
        and never land on the host."""
        from test_terminal import ConsoleReceiver
        host = self.host_dir()
        target = os.path.join(host, "console")
        b = self.bundle(["sh", "-c",
                         "stat -c '%t' /dev/console > /out/major; "
                         "grep ' /dev/console ' /proc/self/mountinfo > /out/mnt; "
                         "tty > /out/tty"])
        b.set("process.terminal", True)
        self.drop_mounts(b, *NO_DEV_TMPFS)
        self.replace_with_symlink(b, "/dev/console", target)
        for i in range(4):
            self.replace_with_symlink(b, "/dev/pts/%d" % i, os.path.join(host, "pts%d" % i))
        receiver = ConsoleReceiver(self)
        cid = self.new_id()
        b.write()
        p = self.rt.create(cid, b, "--console-socket", receiver.path)
        self.assertHostDirUnchanged(host)
        if p.returncode != 0:
            self.assertOneLineError(p, "/dev/console")
            return
        receiver.wait()
        self.rt.ok("start", cid)
        wait_for(lambda: b.has_out("tty") and b.read_out("tty").strip(), 10,
                 message="the container did not run")
        self.assertEqual(int(b.read_out("major").strip(), 16), 136)
        self.assertIn("devpts", b.read_out("mnt"))
        self.assertHostDirUnchanged(host)

    # -- mount targets and created files ---------------------------------------------------
    def test_cve_2019_18837_mount_target_symlink(self):
        """rootfs/a -> ../../../<host dir>: a tmpfs mount at /a and a file bind at /a/f must
        land inside the rootfs, where the symlink leads when resolved in the root."""
        host = self.host_dir()
        src = os.path.join(self.make_tempdir("src-"), "file")
        with open(src, "w") as f:
            f.write("bound\n")
        b = self.bundle(["sh", "-c", "grep ' tmpfs ' /proc/self/mountinfo > /out/mnt; "
                         "cat /a/f > /out/f; readlink -f /a > /out/real"])
        self.replace_with_symlink(b, "/a", "../../../../../../.." + host)
        b.add_mount("/a", "tmpfs", "tmpfs", ["size=64k"])
        b.add_mount("/a/f", "bind", src, ["bind", "ro"])
        p, cid = self.attempt(b)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertHostDirUnchanged(host)
        self.assertEqual(b.read_out("f"), "bound\n")
        self.assertEqual(b.read_out("real").strip(), host)  # the path inside the container
        self.assertIn(" %s " % host, b.read_out("mnt"))

    def test_cve_2025_24965_created_files_do_not_follow_symlinks(self):
        """Every file and directory hako itself creates in the rootfs (device nodes of the
        image's /dev, /dev symlinks, mount points of the devpts/shm/mqueue mounts, a file
        bind's target, process.cwd) is an absolute symlink to a host path in the image: the
        host dir stays empty."""
        host = self.host_dir()
        src = os.path.join(self.make_tempdir("src-"), "file")
        with open(src, "w") as f:
            f.write("bound\n")
        b = self.bundle(["sh", "-c", "pwd > /out/pwd; cat /etc/hkt-bound > /out/bound"])
        self.drop_mounts(b, *NO_DEV_TMPFS)
        created = ["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom",
                   "/dev/tty", "/dev/fd", "/dev/stdin", "/dev/ptmx", "/dev/pts", "/dev/shm",
                   "/dev/mqueue", "/etc/hkt-bound", "/work"]
        for path in created:
            self.replace_with_symlink(b, path, os.path.join(host, path.strip("/").replace(
                "/", "-")))
        b.add_mount("/etc/hkt-bound", "bind", src, ["bind", "ro"])
        b.set("process.cwd", "/work")
        p, cid = self.attempt(b)
        self.assertHostDirUnchanged(host)
        if is_runc():
            return  # runc fails safely here ("mkdir /work: file exists")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(b.read_out("bound"), "bound\n")

    # -- cgroups ---------------------------------------------------------------------------
    @hako_only  # runc 1.1.5 fixed only the rootless case; as root the submounts stay rw
    def test_cve_2023_25809_sys_rbind_ro_keeps_cgroups_read_only(self):
        """No cgroup namespace and /sys bound from the host with "rbind,ro": the host's cgroup
        hierarchies below it must be read-only too (creating a cgroup fails), as must the
        config's own cgroup mount."""
        name = "hkt-25809-%d" % os.getpid()
        probe = ("grep -E ' /sys/fs/cgroup' /proc/self/mountinfo > /out/mnt; "
                 "mkdir /sys/fs/cgroup/pids/%s 2>/out/err && echo made > /out/made; true" % name)
        for variant in ("rbind-sys", "cgroup-mount"):
            with self.subTest(variant=variant):
                b = self.bundle(["sh", "-c", probe])
                b.remove_namespace("cgroup")
                b.set("process.capabilities", {k: ["CAP_SYS_ADMIN", "CAP_DAC_OVERRIDE"]
                                               for k in ("bounding", "effective",
                                                         "permitted")})
                if variant == "rbind-sys":
                    self.drop_mounts(b, "/sys", "/sys/fs/cgroup")
                    b.add_mount("/sys", "bind", "/sys", ["rbind", "ro", "nosuid", "nodev",
                                                         "noexec"])
                self.addCleanup(self.remove_host_cgroup, name)
                self.run_container(b)
                made = os.path.exists("/sys/fs/cgroup/pids/" + name)
                self.remove_host_cgroup(name)
                self.assertFalse(b.has_out("made"), "created a host cgroup from inside")
                self.assertFalse(made)
                rows = parse_mountinfo(b.read_out("mnt"))
                self.assertTrue(rows)
                for row in rows:
                    self.assertIn("ro", row.options, row.line)

    @staticmethod
    def remove_host_cgroup(name):
        path = "/sys/fs/cgroup/pids/" + name
        if os.path.isdir(path):
            os.rmdir(path)


if __name__ == "__main__":
    unittest.main()
