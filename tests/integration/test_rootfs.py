"""The container's filesystem: mounts and their flags, masked and readonly paths, devices,
sysctls, propagation; read from inside the container (through /out) and from the host."""

import os
import unittest

from hakotest import HakoTestCase, find_mount, hako_only, mountinfo, parse_mountinfo

SAVE_MOUNTINFO = "cat /proc/self/mountinfo > /out/mountinfo"
STAT_FORMAT = "%n|%F|%t|%T|%a"  # busybox stat: name|type|major hex|minor hex|mode octal


def parse_stat(text):
    """{path: (type, major, minor, mode)} from `stat -c STAT_FORMAT` output."""
    out = {}
    for line in text.splitlines():
        parts = line.split("|")
        if len(parts) == 5:
            out[parts[0]] = (parts[1], int(parts[2], 16), int(parts[3], 16), parts[4])
    return out


def host_fstype(path):
    """The fs type of the mount holding path, from the host's mountinfo."""
    best = None
    with open("/proc/self/mountinfo") as f:
        for row in parse_mountinfo(f.read()):
            mp = row.mount_point.rstrip("/") + "/"
            if (path.rstrip("/") + "/").startswith(mp):
                if best is None or len(row.mount_point) >= len(best.mount_point):
                    best = row
    return best.fstype


class RootfsTest(HakoTestCase):

    def run_script(self, bundle, script, expect_status=0):
        bundle.args = ["sh", "-c", script]
        return self.run_container(bundle, expect_status=expect_status)

    def mounts_inside(self, bundle, script=""):
        self.run_script(bundle, script + SAVE_MOUNTINFO)
        return parse_mountinfo(bundle.read_out("mountinfo"))

    def assertMount(self, rows, mount_point, fstypes, options=()):
        row = find_mount(rows, mount_point)
        self.assertIsNotNone(row, "nothing mounted at %s:\n%s" % (
            mount_point, "\n".join(r.line for r in rows)))
        if isinstance(fstypes, str):
            fstypes = (fstypes,)
        self.assertIn(row.fstype, fstypes, row.line)
        missing = set(options) - row.all_options
        self.assertEqual(missing, set(), "%s lacks %s: %s" % (mount_point, missing, row.line))
        return row

    # -- mounts -------------------------------------------------------------------------
    def test_spec_mounts_at_destinations(self):
        b = self.bundle()
        rows = self.mounts_inside(b)
        root = find_mount(rows, "/")
        self.assertIsNotNone(root, "no root mount")
        self.assertMount(rows, "/proc", "proc")
        self.assertMount(rows, "/dev", "tmpfs", {"nosuid", "mode=755"})
        self.assertMount(rows, "/dev/pts", "devpts", {"nosuid", "noexec"})
        self.assertMount(rows, "/dev/shm", "tmpfs", {"nosuid", "noexec", "nodev"})
        self.assertMount(rows, "/dev/mqueue", "mqueue", {"nosuid", "noexec", "nodev"})
        self.assertMount(rows, "/sys", "sysfs")
        self.assertMount(rows, "/out", host_fstype(b.out_dir))
        # cgroup v1 gives a tmpfs with one cgroup mount per hierarchy; v2 one cgroup2.
        self.assertMount(rows, "/sys/fs/cgroup", ("tmpfs", "cgroup", "cgroup2"))
        cg = [r for r in rows if r.fstype in ("cgroup", "cgroup2")
              and (r.mount_point + "/").startswith("/sys/fs/cgroup/")]
        self.assertTrue(cg, "no cgroup filesystem under /sys/fs/cgroup")
        for r in cg:
            self.assertIn("ro", r.options, r.line)
        # Every destination is a mount point in the container's own tree.
        for m in b.config["mounts"]:
            self.assertIsNotNone(find_mount(rows, m["destination"]), m["destination"])

    def test_sys_is_ro_nosuid_nodev_noexec(self):
        rows = self.mounts_inside(self.bundle())
        row = self.assertMount(rows, "/sys", "sysfs")
        self.assertTrue({"ro", "nosuid", "nodev", "noexec"} <= row.options, row.line)

    def test_tmpfs_options(self):
        b = self.bundle()
        b.add_mount("/tmp", "tmpfs", "tmpfs", ["nosuid", "nodev", "noexec", "ro", "size=1m"])
        b.add_mount("/var/tmp", "tmpfs", "tmpfs", ["nosuid", "nodev", "noexec", "mode=1777",
                                                   "size=2m"])
        b.add_mount("/home", "tmpfs", "tmpfs", ["nosuid", "nodev"])
        rows = self.mounts_inside(b, (
            "touch /tmp/x 2> /out/ro_err; echo $? > /out/ro_rc; "
            "cp /bin/busybox /var/tmp/true; /var/tmp/true 2> /out/noexec_err;"
            " echo $? > /out/noexec_rc; "
            "cp /bin/busybox /home/true; /home/true; echo $? > /out/exec_rc; "
            "stat -c %a /var/tmp > /out/modes; "))
        t = self.assertMount(rows, "/tmp", "tmpfs", {"size=1024k"})
        self.assertTrue({"ro", "nosuid", "nodev", "noexec"} <= t.options, t.line)
        v = self.assertMount(rows, "/var/tmp", "tmpfs", {"size=2048k"})
        self.assertTrue({"rw", "nosuid", "nodev", "noexec"} <= v.options, v.line)
        h = self.assertMount(rows, "/home", "tmpfs")
        self.assertNotIn("noexec", h.options, h.line)

        self.assertNotEqual(b.read_out("ro_rc").strip(), "0", "wrote to a ro tmpfs")
        self.assertIn("Read-only file system", b.read_out("ro_err"))
        self.assertNotEqual(b.read_out("noexec_rc").strip(), "0", "ran a noexec binary")
        self.assertIn("Permission denied", b.read_out("noexec_err"))
        self.assertEqual(b.read_out("exec_rc").strip(), "0")
        self.assertEqual(b.read_out("modes").split(), ["1777"])

    def test_bind_mounts_rw_and_ro(self):
        rw = self.make_tempdir("rw-")
        ro = self.make_tempdir("ro-")
        for d in (rw, ro):
            with open(os.path.join(d, "hello"), "w") as f:
                f.write("hello from %s\n" % os.path.basename(d))
        b = self.bundle()
        b.add_mount("/root", "bind", rw, ["rbind", "rw"])
        b.add_mount("/home", "bind", ro, ["rbind", "ro"])
        rows = self.mounts_inside(b, (
            "cat /root/hello > /out/rw_read; echo new > /root/written; echo $? > /out/rw_rc; "
            "cat /home/hello > /out/ro_read; echo new 2> /out/ro_err > /home/written;"
            " echo $? > /out/ro_rc; "))
        self.assertEqual(b.read_out("rw_read"), "hello from %s\n" % os.path.basename(rw))
        self.assertEqual(b.read_out("ro_read"), "hello from %s\n" % os.path.basename(ro))
        self.assertEqual(b.read_out("rw_rc").strip(), "0")
        with open(os.path.join(rw, "written")) as f:
            self.assertEqual(f.read(), "new\n")
        self.assertNotEqual(b.read_out("ro_rc").strip(), "0")
        self.assertIn("Read-only file system", b.read_out("ro_err"))
        self.assertFalse(os.path.exists(os.path.join(ro, "written")))
        self.assertIn("rw", self.assertMount(rows, "/root", host_fstype(rw)).options)
        self.assertIn("ro", self.assertMount(rows, "/home", host_fstype(ro)).options)
        # The host's view of the source is untouched: still writable by the host.
        self.assertTrue(os.access(ro, os.W_OK))

    def test_readonly_root(self):
        b = self.bundle()
        rows = self.mounts_inside(b, "touch /x 2> /out/err; echo $? > /out/rc; ")
        self.assertNotEqual(b.read_out("rc").strip(), "0")
        self.assertIn("Read-only file system", b.read_out("err"))
        self.assertIn("ro", find_mount(rows, "/").options)
        self.assertFalse(os.path.exists(os.path.join(b.rootfs, "x")))

    def test_writable_root(self):
        b = self.bundle(copy_rootfs=True)
        self.assertFalse(b.config["root"]["readonly"])
        rows = self.mounts_inside(b, "echo hi > /x; echo $? > /out/rc; ")
        self.assertEqual(b.read_out("rc").strip(), "0")
        self.assertIn("rw", find_mount(rows, "/").options)
        with open(os.path.join(b.rootfs, "x")) as f:
            self.assertEqual(f.read(), "hi\n")

    def test_tmpfs_without_mode_takes_the_mode_of_the_directory_it_covers(self):
        # As runc: the directory's mode when the rootfs has it, the kernel's 1777 when the
        # runtime made the mount point; an explicit mode= is covered by test_tmpfs_options.
        b = self.bundle()
        os.makedirs(os.path.join(b.rootfs, "srv", "data"))
        os.chmod(os.path.join(b.rootfs, "srv", "data"), 0o710)
        b.add_mount("/srv/data", "tmpfs", "tmpfs", ["nosuid", "size=1m"])
        b.add_mount("/srv/fresh", "tmpfs", "tmpfs", ["nosuid", "size=1m"])
        rows = self.mounts_inside(b, "stat -c %a /srv/data /srv/fresh > /out/modes; ")
        self.assertMount(rows, "/srv/data", "tmpfs")
        self.assertMount(rows, "/srv/fresh", "tmpfs")
        self.assertEqual(b.read_out("modes").split(), ["710", "1777"])

    def test_mount_target_created_when_missing(self):
        b = self.bundle(copy_rootfs=True)
        self.assertFalse(os.path.exists(os.path.join(b.rootfs, "new")))
        b.add_mount("/new/dir/deep", "tmpfs", "tmpfs", ["size=1m"])
        rows = self.mounts_inside(b, "echo x > /new/dir/deep/f; echo $? > /out/rc; ")
        self.assertMount(rows, "/new/dir/deep", "tmpfs")
        self.assertEqual(b.read_out("rc").strip(), "0")
        self.assertTrue(os.path.isdir(os.path.join(b.rootfs, "new", "dir", "deep")))
        # The file went to the tmpfs, not to the rootfs directory underneath.
        self.assertFalse(os.path.exists(os.path.join(b.rootfs, "new", "dir", "deep", "f")))

    def test_dev_shm_and_mqueue(self):
        b = self.bundle()
        rows = self.mounts_inside(b, (
            "echo x > /dev/shm/f && cat /dev/shm/f > /out/shm; "
            "stat -c %a /dev/shm > /out/shm_mode; "))
        self.assertMount(rows, "/dev/shm", "tmpfs", {"nosuid", "nodev", "noexec"})
        self.assertMount(rows, "/dev/mqueue", "mqueue")
        self.assertEqual(b.read_out("shm"), "x\n")
        self.assertEqual(b.read_out("shm_mode").strip(), "1777")

    # -- masked and readonly paths -----------------------------------------------------
    def test_masked_file_is_dev_null(self):
        candidates = [p for p in ("/proc/kcore", "/proc/keys", "/proc/timer_list")
                      if os.path.exists(p)]
        if not candidates:
            self.skipTest("no maskable /proc file on this kernel")
        b = self.bundle()
        self.assertTrue(set(candidates) <= set(b.config["linux"]["maskedPaths"]))
        script = "".join(
            "stat -c '%s' %s >> /out/stat; wc -c < %s >> /out/size; "
            % (STAT_FORMAT, p, p) for p in candidates)
        self.run_script(b, script)
        stats = parse_stat(b.read_out("stat"))
        for p, size in zip(candidates, b.read_out("size").split()):
            with self.subTest(path=p):
                self.assertEqual(stats[p][:3], ("character special file", 1, 3))
                self.assertEqual(size, "0")

    def test_masked_directory_is_empty(self):
        dirs = [d for d in ("/proc/scsi", "/sys/firmware", "/proc/acpi")
                if os.path.isdir(d) and os.listdir(d)]
        if not dirs:
            self.skipTest("no non-empty maskable directory on this host")
        b = self.bundle()
        self.run_script(b, "".join("ls -A %s > /out/%s; " % (d, d.replace("/", "_"))
                                   for d in dirs))
        for d in dirs:
            with self.subTest(path=d):
                self.assertEqual(b.read_out(d.replace("/", "_")), "",
                                 "masked %s is not empty inside" % d)

    def test_readonly_paths(self):
        b = self.bundle(hostname="hkt-ro")
        rows = self.mounts_inside(b, (
            "echo changed 2> /out/err > /proc/sys/kernel/hostname; echo $? > /out/rc; "
            "hostname > /out/hostname; "))
        self.assertNotEqual(b.read_out("rc").strip(), "0", "/proc/sys is writable")
        self.assertIn("Read-only file system", b.read_out("err"))
        self.assertEqual(b.read_out("hostname").strip(), "hkt-ro")
        for p in b.config["linux"]["readonlyPaths"]:
            if os.path.exists(p):
                with self.subTest(path=p):
                    row = find_mount(rows, p)
                    self.assertIsNotNone(row, "%s is not a mount point" % p)
                    self.assertIn("ro", row.options, row.line)

    # -- devices ------------------------------------------------------------------------
    def test_default_devices(self):
        b = self.bundle()
        self.run_script(b, "stat -c '%s' /dev/* > /out/stat; " % STAT_FORMAT +
                        "for l in fd stdin stdout stderr ptmx; do"
                        " echo \"$l $(readlink /dev/$l)\"; done > /out/links")
        stats = parse_stat(b.read_out("stat"))
        for name, major, minor in (("null", 1, 3), ("zero", 1, 5), ("full", 1, 7),
                                   ("random", 1, 8), ("urandom", 1, 9), ("tty", 5, 0)):
            with self.subTest(device=name):
                self.assertIn("/dev/" + name, stats)
                self.assertEqual(stats["/dev/" + name][:3],
                                 ("character special file", major, minor))
                self.assertEqual(stats["/dev/" + name][3], "666")
        links = dict(line.split(" ", 1) for line in b.read_out("links").splitlines())
        self.assertEqual(links["fd"], "/proc/self/fd")
        self.assertEqual(links["stdin"], "/proc/self/fd/0")
        self.assertEqual(links["stdout"], "/proc/self/fd/1")
        self.assertEqual(links["stderr"], "/proc/self/fd/2")
        if links["ptmx"]:
            self.assertEqual(links["ptmx"], "pts/ptmx")
        else:
            self.assertEqual(stats["/dev/ptmx"][:3], ("character special file", 5, 2))
        # Nothing of the host's /dev beyond the defaults.
        self.assertNotIn("/dev/fuse", stats)
        self.assertNotIn("/dev/vda", stats)

    def test_spec_device(self):
        b = self.bundle()
        b.patch({"linux": {"devices": [
            {"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 0o666,
             "uid": 0, "gid": 0},
        ]}})
        self.run_script(b, "stat -c '%s' /dev/fuse > /out/stat" % STAT_FORMAT)
        stats = parse_stat(b.read_out("stat"))
        self.assertEqual(stats["/dev/fuse"], ("character special file", 10, 229, "666"))

    # -- kernel parameters ----------------------------------------------------------------
    def test_sysctl_in_new_netns(self):
        with open("/proc/sys/net/ipv4/ip_forward") as f:
            host_before = f.read()
        b = self.bundle(["sh", "-c", "cat /proc/sys/net/ipv4/ip_forward > /out/fwd"])
        b.patch({"linux": {"sysctl": {"net.ipv4.ip_forward": "1" if host_before.strip() == "0"
                                      else "0"}}})
        want = b.config["linux"]["sysctl"]["net.ipv4.ip_forward"]
        self.run_container(b)
        self.assertEqual(b.read_out("fwd").strip(), want)
        with open("/proc/sys/net/ipv4/ip_forward") as f:
            self.assertEqual(f.read(), host_before, "the host's sysctl changed")

    @hako_only  # runc 1.1.5 ignores "domainname"
    def test_domainname(self):
        with open("/proc/sys/kernel/domainname") as f:
            host_before = f.read()
        b = self.bundle(["sh", "-c", "cat /proc/sys/kernel/domainname > /out/dn"])
        b.set("domainname", "hkt.example")
        self.run_container(b)
        self.assertEqual(b.read_out("dn").strip(), "hkt.example")
        with open("/proc/sys/kernel/domainname") as f:
            self.assertEqual(f.read(), host_before)

    # -- propagation --------------------------------------------------------------------
    def propagation_probe(self, propagation):
        """Whether a host mount made under the rootfs after start shows up inside.

        The bundle's rootfs is a fresh tmpfs holding a copy of the test rootfs, shared in
        a peer group of its own (made private first, so it never joins the host's peer
        group, and the shared test rootfs is never bound anywhere). The container's root
        mount receives host mounts made under it unless rootfsPropagation stops them.
        Both mounts are unmounted by the harness before the bundle dir is removed."""
        b = self.bundle(["sh", "-c",
                         "echo ready > /out/ready; while [ ! -e /out/go ]; do sleep 0.05; done;"
                         " ls -A /root > /out/ls; " + SAVE_MOUNTINFO], rootfs=False)
        rootfs = b.rootfs
        os.mkdir(rootfs, 0o755)
        self.mount_tmpfs(rootfs, size="64m", shared=True)
        row = find_mount(mountinfo("self"), rootfs)
        self.assertIsNotNone(row, "tmpfs not mounted at %s" % rootfs)
        self.assertEqual(row.fstype, "tmpfs", row.line)
        tags = [o for o in row.optional if o.startswith(("shared:", "master:"))]
        root_tags = [o for o in (find_mount(mountinfo("self"), "/").optional)
                     if o.startswith("shared:")]
        self.assertEqual(len(tags), 1, row.line)
        self.assertTrue(tags[0].startswith("shared:"), row.line)
        self.assertNotIn(tags[0], root_tags, "the bundle rootfs joined the host's peer group")
        b.populate_rootfs()
        b.set("root.path", "rootfs")
        if propagation:
            b.set("linux.rootfsPropagation", propagation)
        cid, _ = self.start_detached(b)
        self.wait_out(b, "ready")
        sub = os.path.join(rootfs, "root")
        self.host_mount("-t", "tmpfs", "-o", "size=1m", "hkt-prop", target=sub)
        open(os.path.join(sub, "marker"), "w").close()
        open(b.out_path("go"), "w").close()
        self.wait_status(cid, "stopped")
        rows = parse_mountinfo(b.read_out("mountinfo"))
        seen = find_mount(rows, "/root") is not None
        self.assertEqual(seen, "marker" in b.read_out("ls").split())
        return seen, rows

    def test_rootfs_propagation_private(self):
        seen, rows = self.propagation_probe("private")
        self.assertFalse(seen, "a host mount propagated into a private rootfs")
        root = find_mount(rows, "/")
        self.assertFalse([o for o in root.optional if o.startswith(("shared:", "master:"))],
                         "propagation tag on a private root: " + root.line)

    def test_rootfs_propagation_default_is_slave(self):
        seen, rows = self.propagation_probe(None)
        self.assertTrue(seen, "host mounts must propagate into the container (rslave)")
        root = find_mount(rows, "/")
        self.assertTrue([o for o in root.optional if o.startswith("master:")], root.line)

    @hako_only  # runc 1.1.5 leaves the root private whatever the mode (runc#1755)
    def test_rootfs_propagation_shared(self):
        _, rows = self.propagation_probe("shared")
        root = find_mount(rows, "/")
        groups = [o for o in root.optional if o.startswith("shared:")]
        self.assertTrue(groups, "rootfsPropagation shared not applied: " + root.line)
        # A peer group of the container's own: nothing it mounts reaches the host.
        host_groups = {o for r in mountinfo("self") for o in r.optional}
        self.assertNotIn(groups[0], host_groups, root.line)

    @hako_only  # runc 1.1.5 fails: its rootfs bind meets the unbindable tree (EINVAL)
    def test_rootfs_propagation_runbindable(self):
        _, rows = self.propagation_probe("runbindable")
        for point in ("/", "/proc", "/dev", "/out"):
            row = find_mount(rows, point)
            self.assertIn("unbindable", row.optional, row.line)


if __name__ == "__main__":
    unittest.main()
