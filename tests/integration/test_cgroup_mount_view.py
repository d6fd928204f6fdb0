"""What a container sees at /sys/fs/cgroup through the spec's "cgroup" mount on a v1 or hybrid
host. Without a cgroup namespace (Docker's default on cgroup v1) each hierarchy must be the
container's own directory bound from the host, as runc and crun do: a fresh cgroup mount would
show the host's whole tree, and tools reading their own limits at
/sys/fs/cgroup/memory/memory.limit_in_bytes (JVMs, Docker's own tests) would read the root's.
With a cgroup namespace the fresh mounts show its root, which is the container's cgroup too."""

import os
import unittest

from hakotest import HakoTestCase, cgroup_dirs, parse_cgroup, parse_mountinfo, wait_for

MIB = 1024 * 1024
PROBE = ("cat /proc/self/cgroup > /out/cgroup; "
         "grep ' /sys/fs/cgroup/' /proc/self/mountinfo > /out/mnt; "
         "cat /sys/fs/cgroup/memory/memory.limit_in_bytes > /out/limit; "
         "cat /sys/fs/cgroup/pids/pids.max > /out/pids; "
         "ls -p /sys/fs/cgroup/memory > /out/ls")


def is_cgroup_v2_only():
    return os.path.exists("/sys/fs/cgroup/cgroup.controllers")


@unittest.skipIf(is_cgroup_v2_only(), "the per-hierarchy mounts exist on v1 and hybrid hosts")
class CgroupMountView(HakoTestCase):

    def probe(self, with_cgroupns):
        cid = self.new_id()
        b = self.bundle(["sh", "-c", PROBE])
        b.set("linux.cgroupsPath", "/" + cid)
        b.set("linux.resources", {"memory": {"limit": 48 * MIB}, "pids": {"limit": 33}})
        if with_cgroupns:
            b.add_namespace("cgroup")
        else:
            b.remove_namespace("cgroup")
        self.addCleanup(self.rmdir_leftovers, cid)
        self.run_container(b, cid)
        wait_for(lambda: not cgroup_dirs(cid), message="cgroup dirs left: %s" % cgroup_dirs(cid))
        return cid, b

    @staticmethod
    def rmdir_leftovers(name):
        for d in sorted(cgroup_dirs(name), key=len, reverse=True):
            os.rmdir(d)

    def assert_own_limits_visible(self, b):
        self.assertEqual(str(48 * MIB), b.read_out("limit").strip())
        self.assertEqual("33", b.read_out("pids").strip())
        # Only the container's cgroup: no child directory (the host's tree has many).
        names = b.read_out("ls").split()
        self.assertIn("memory.limit_in_bytes", names)
        self.assertEqual([], [n for n in names if n.endswith("/")], names)

    def test_without_cgroupns_binds_the_containers_own_dirs(self):
        cid, b = self.probe(with_cgroupns=False)
        self.assert_own_limits_visible(b)
        own = {controllers: path for _, controllers, path in parse_cgroup(b.read_out("cgroup"))}
        rows = parse_mountinfo(b.read_out("mnt"))
        self.assertTrue(rows)
        for row in rows:
            self.assertIn("ro", row.options, row.line)
            if row.fstype == "cgroup":
                controllers = ",".join(sorted(o for o in row.super_options
                                              if o not in ("rw", "ro")))
                path = [p for c, p in own.items() if ",".join(sorted(c.split(","))) ==
                        controllers]
                self.assertEqual(1, len(path), (row.line, own))
                self.assertEqual(path[0], row.root, row.line)
                self.assertEqual("/" + cid, row.root)
            elif row.fstype == "cgroup2":  # hako mounts the hybrid unified one, runc does not
                self.assertEqual(own[""], row.root, row.line)

    def test_with_cgroupns_fresh_mounts_show_its_root(self):
        _, b = self.probe(with_cgroupns=True)
        self.assert_own_limits_visible(b)
        for _, _, path in parse_cgroup(b.read_out("cgroup")):
            self.assertEqual("/", path)
        for row in parse_mountinfo(b.read_out("mnt")):
            self.assertIn("ro", row.options, row.line)
            self.assertEqual("/", row.root, row.line)


if __name__ == "__main__":
    unittest.main()
