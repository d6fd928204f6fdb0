"""Bad input: a non-zero exit, a one-line error naming the culprit, and nothing left behind
(no host mount, no cgroup directory, no state, no process)."""

import os
import unittest

from hakotest import HakoTestCase, is_runc, snapshot_host


class ErrorsTest(HakoTestCase):

    def expect_create_failure(self, bundle, needles=(), runc_needles=None, cid=None,
                              write=True):
        """Creates a container from bundle, expects failure, checks the message and that
        nothing was left behind. needles must appear in hako's one-line error; runc's
        messages are only checked for runc_needles (default: the same needles)."""
        cid = cid or self.new_id()
        if write:
            bundle.write()
        before = snapshot_host(self, cid, (bundle.dir,))
        p = self.rt.create(cid, bundle)
        self.assertOneLineError(p, *needles)
        if is_runc():
            for n in (needles if runc_needles is None else runc_needles):
                self.assertIn(n.lower(), p.stderr.lower(), "runc's error lacks %r" % n)
        self.assertNothingLeftBehind(before, cid, (bundle.dir,))
        return p

    def test_broken_json(self):
        b = self.bundle(["true"])
        b.write('{"ociVersion": "1.2.0", "process": {"args": ["true"]')
        self.expect_create_failure(b, ["config.json"], runc_needles=[], write=False)

    def test_json_not_an_object(self):
        b = self.bundle(["true"])
        b.write('["not", "an", "object"]')
        self.expect_create_failure(b, ["config.json"], runc_needles=[], write=False)

    def test_wrong_type(self):
        b = self.bundle(["true"])
        b.set("process.user.uid", "abc")
        self.expect_create_failure(b, ["process.user.uid"])

    def test_missing_rootfs(self):
        missing = os.path.join(self.make_tempdir("norootfs-"), "rootfs")
        b = self.bundle(["true"], out=False)
        b.set("root.path", missing)
        self.expect_create_failure(b, [missing])

    def test_missing_config(self):
        b = self.bundle(["true"])
        self.assertFalse(os.path.exists(b.config_path))
        self.expect_create_failure(b, ["config.json"], write=False)

    def test_unknown_namespace_type(self):
        b = self.bundle(["true"])
        b.add_namespace("bogus")
        self.expect_create_failure(b, ["bogus"])

    def test_duplicate_namespace(self):
        b = self.bundle(["true"])
        b.config["linux"]["namespaces"].append({"type": "network"})
        self.expect_create_failure(b, ["network"])

    def test_failing_mount(self):
        # Fails late: after namespaces and cgroups exist, inside the container's setup.
        b = self.bundle(["true"])
        b.add_mount("/tmp", "nosuchfs", "none")
        self.expect_create_failure(b, ["/tmp"])

    def test_failing_mount_with_cgroups_path(self):
        b = self.bundle(["true"])
        cid = self.new_id()
        b.set("linux.cgroupsPath", "/hako-it-" + cid)
        b.add_mount("/var/tmp", "nosuchfs", "none")
        self.expect_create_failure(b, ["/var/tmp"], cid=cid)

    def test_failing_mount_in_user_namespace(self):
        b = self.bundle(["true"], copy_rootfs=True)
        b.set("root.readonly", True)
        b.add_namespace("user")
        b.patch({"linux": {
            "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
            "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
        }})
        b.add_mount("/tmp", "nosuchfs", "none")
        self.expect_create_failure(b, ["/tmp"])

    def test_nonexistent_executable(self):
        for exe in ("/no/such/exe", "nosuchcmd"):
            with self.subTest(exe=exe):
                b = self.bundle([exe])
                b.write()
                cid = self.new_id()
                before = snapshot_host(self, cid, (b.dir,))
                p = self.rt.create(cid, b)
                if p.returncode == 0:
                    # Allowed: the exec fails at start instead.
                    p = self.rt.start(cid)
                self.assertOneLineError(p, exe)
                self.assertIn(exe, p.stderr)
                self.rt.delete(cid, force=True)
                self.assertNothingLeftBehind(before, cid, (b.dir,))

    def test_run_of_a_nonexistent_executable(self):
        # run's init goes on to exec once ready and reports the failure on its sync channel
        # (no exec gate): the same one line, and nothing left behind.
        # An absolute path fails at the execve itself; a name already in the PATH lookup.
        for exe, reason in (("/no/such/exe", "no such file or directory"),
                            ("nosuchcmd", "executable file not found")):
            with self.subTest(exe=exe):
                b = self.bundle([exe])
                b.write()
                cid = self.new_id()
                before = snapshot_host(self, cid, (b.dir,))
                p = self.rt.run(cid, b)
                self.assertNotEqual(p.returncode, 0)
                self.assertOneLineError(p, exe)
                self.assertIn(reason, p.stderr.lower())
                self.assertIsNone(self.rt.state(cid))
                self.assertNothingLeftBehind(before, cid, (b.dir,))

    def test_invalid_container_id(self):
        for bad in ("a/b", "..", "../escape", "a b", ""):
            with self.subTest(id=bad):
                b = self.bundle(["true"])
                b.write()
                before_root = sorted(os.listdir(self.state_root))
                p = self.rt("create", "--bundle", b.dir, bad)
                self.assertOneLineError(p)
                if bad and not is_runc():
                    self.assertIn(bad, p.stderr)
                self.assertEqual(sorted(os.listdir(self.state_root)), before_root)
                self.assertFalse(os.path.exists(os.path.join(os.path.dirname(self.state_root),
                                                             "escape")))

    def test_failed_create_allows_reusing_id(self):
        b = self.bundle(["true"])
        b.add_mount("/tmp", "nosuchfs", "none")
        cid = self.expect_create_failure(b, ["/tmp"]).args[-1]
        good = self.bundle(["sh", "-c", "echo ok > /out/ok"])
        self.create(good, cid)
        self.rt.ok("start", cid)
        self.assertEqual(self.wait_out(good, "ok"), "ok\n")


if __name__ == "__main__":
    unittest.main()
