"""linux.cgroupsPath: where the init lands in every hierarchy, and that delete removes
the directories again. Works on cgroup v1, v2 and hybrid hosts (this machine is hybrid:
one line per v1 controller plus the "0::" unified line in /proc/PID/cgroup)."""

import os
import posixpath
import unittest

from hakotest import (KEEP_RUNNING, HakoTestCase, cgroup, cgroup_dirs, mountinfo,
                      pid_alive, wait_for)


def hierarchy_mounts():
    """{controllers: mount point} of the host's cgroup mounts, keyed like /proc/PID/cgroup's
    second field ("cpu", "name=systemd", "" for cgroup2)."""
    with open("/proc/cgroups") as f:
        known = {line.split()[0] for line in f if line.strip() and not line.startswith("#")}
    out = {}
    for row in mountinfo("self"):
        if row.fstype == "cgroup2":
            out.setdefault("", row.mount_point)
        elif row.fstype == "cgroup":
            ctrls = sorted(o for o in row.super_options if o in known or o.startswith("name="))
            out.setdefault(",".join(ctrls), row.mount_point)
    return out


def mount_for(mounts, controllers):
    if controllers in mounts:
        return mounts[controllers]
    want = set(controllers.split(","))
    for key, mp in mounts.items():
        if key and set(key.split(",")) == want:
            return mp
    raise AssertionError("no cgroup mount for %r in %s" % (controllers, mounts))


class CgroupsLifecycleTest(HakoTestCase):

    def start_in(self, cgroups_path):
        b = self.bundle(["sh", "-c", "sleep 1000 & echo $! > /out/child; " + KEEP_RUNNING])
        cid = self.new_id()
        path = cgroups_path.format(id=cid)
        b.set("linux.cgroupsPath", path)
        self.addCleanup(self.rmdir_leftovers, path.strip("/").split("/")[-1])
        self.start_detached(b, cid)
        self.wait_out(b, "ready")
        self.last_bundle = b
        return cid, self.rt.state(cid)["pid"]

    def rmdir_leftovers(self, name):
        for d in sorted(cgroup_dirs(name), key=len, reverse=True):
            try:
                os.rmdir(d)
            except OSError:
                pass

    def assertInCgroups(self, pid, expected_path_for):
        """Checks every hierarchy of /proc/PID/cgroup; returns the host directories."""
        mounts = hierarchy_mounts()
        rows = cgroup(pid)
        self.assertTrue(rows)
        dirs = []
        for hid, controllers, path in rows:
            with self.subTest(hierarchy=controllers or "unified"):
                want = expected_path_for(controllers)
                self.assertEqual(path, want, "hierarchy %d (%s)" % (hid, controllers))
                d = os.path.join(mount_for(mounts, controllers), want.lstrip("/"))
                self.assertTrue(os.path.isdir(d), d)
                with open(os.path.join(d, "cgroup.procs")) as f:
                    self.assertIn(str(pid), f.read().split(), "pid not in %s" % d)
                dirs.append(d)
        return dirs

    def delete_and_check_gone(self, cid, pid, dirs, name):
        self.rt.ok("delete", "--force", cid)
        wait_for(lambda: not pid_alive(pid), message="init alive after delete")
        for d in dirs:
            self.assertFalse(os.path.exists(d), "cgroup dir left after delete: %s" % d)
        self.assertEqual(cgroup_dirs(name), set())

    def test_absolute_cgroups_path(self):
        cid, pid = self.start_in("/hako-it-{id}")
        name = "hako-it-" + cid
        dirs = self.assertInCgroups(pid, lambda controllers: "/" + name)
        # Each v1 hierarchy and the unified one (when mounted) were all used.
        mounts = hierarchy_mounts()
        self.assertEqual(len(dirs), len(mounts), "hierarchies without the container: %s"
                         % sorted(set(mounts.values()) -
                                  {d[:-len(name) - 1] for d in dirs}))
        self.assertEqual({d for d in cgroup_dirs(name)}, set(dirs))
        self.delete_and_check_gone(cid, pid, dirs, name)

    def test_children_share_the_cgroup(self):
        cid, pid = self.start_in("/hako-it-{id}")
        self.wait_out(self.last_bundle, "child")
        # The background sleep (a child of the init) shares its cgroup in every hierarchy.
        kids = [int(p) for p in os.listdir("/proc") if p.isdigit() and self._ppid(int(p)) == pid]
        self.assertTrue(kids, "the container's sh has no child")
        for k in kids:
            self.assertEqual(cgroup(k), cgroup(pid))

    def test_relative_cgroups_path(self):
        cid, pid = self.start_in("hako-it-rel-{id}")
        name = "hako-it-rel-" + cid
        own = {controllers: path for _, controllers, path in cgroup("self")}
        dirs = self.assertInCgroups(
            pid, lambda controllers: posixpath.join(own[controllers], name))
        self.delete_and_check_gone(cid, pid, dirs, name)

    def test_created_container_is_in_its_cgroup(self):
        b = self.bundle(["true"])
        cid = self.new_id()
        name = "hako-it-" + cid
        b.set("linux.cgroupsPath", "/" + name)
        self.addCleanup(self.rmdir_leftovers, name)
        self.create(b, cid)
        pid = self.rt.state(cid)["pid"]
        created_dirs = cgroup_dirs(name)
        self.assertTrue(created_dirs, "no cgroup dirs after create")
        for d in created_dirs:
            with open(os.path.join(d, "cgroup.procs")) as f:
                self.assertIn(str(pid), f.read().split(), d)
        self.rt.ok("start", cid)
        self.wait_status(cid, "stopped")
        self.rt.ok("delete", cid)
        wait_for(lambda: not cgroup_dirs(name), message="cgroup dirs left after delete: %s"
                 % cgroup_dirs(name))

    @staticmethod
    def _ppid(pid):
        try:
            with open("/proc/%d/stat" % pid) as f:
                return int(f.read().rpartition(")")[2].split()[1])
        except (OSError, ValueError, IndexError):
            return None


if __name__ == "__main__":
    unittest.main()
