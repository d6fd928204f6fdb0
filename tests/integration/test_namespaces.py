"""Namespaces as the host sees them (/proc/PID/ns/*) and as the container sees them."""

import os
import subprocess
import tempfile
import unittest

from hakotest import (DELETE, KEEP_RUNNING, HakoTestCase, hako_only, ns_inode,
                      proc_status)

# Spec namespace type -> /proc/PID/ns entry.
NS_FILES = {"pid": "pid", "network": "net", "ipc": "ipc", "uts": "uts", "mount": "mnt",
            "cgroup": "cgroup", "user": "user", "time": "time"}


def map_rows(text):
    return [line.split() for line in text.splitlines() if line.strip()]


class NamespacesTest(HakoTestCase):

    def start_waiting(self, bundle):
        cid, pid = self.start_detached(bundle)
        self.wait_out(bundle, "ready")
        return cid, pid

    def test_new_namespaces_differ_from_host(self):
        b = self.bundle(["sh", "-c", KEEP_RUNNING])
        b.add_namespace("cgroup")
        types = ("pid", "network", "ipc", "uts", "mount", "cgroup")
        self.assertEqual(sorted(b.namespaces()), sorted(types))
        cid, pid = self.start_waiting(b)
        me = os.getpid()
        for t in types:
            with self.subTest(namespace=t):
                self.assertNotEqual(ns_inode(pid, NS_FILES[t]), ns_inode(me, NS_FILES[t]),
                                    "%s namespace is the host's" % t)
        # Not asked for: shared with the host.
        for t in ("user", "time"):
            with self.subTest(namespace=t):
                self.assertEqual(ns_inode(pid, NS_FILES[t]), ns_inode(me, NS_FILES[t]))

    def test_omitted_namespaces_equal_host(self):
        b = self.bundle(["sh", "-c", KEEP_RUNNING])
        for t in ("pid", "network", "ipc", "uts"):
            b.remove_namespace(t)
        b.set("hostname", DELETE)  # a hostname needs a private uts namespace
        self.assertEqual(b.namespaces(), ["mount"])
        cid, pid = self.start_waiting(b)
        me = os.getpid()
        for t in ("pid", "network", "ipc", "uts", "cgroup", "user"):
            with self.subTest(namespace=t):
                self.assertEqual(ns_inode(pid, NS_FILES[t]), ns_inode(me, NS_FILES[t]),
                                 "%s namespace unshared although omitted" % t)
        self.assertNotEqual(ns_inode(pid, "mnt"), ns_inode(me, "mnt"))

    def test_pid_namespace_init_is_pid_1(self):
        b = self.bundle(["sh", "-c", "echo $$ > /out/pid; ls /proc | grep -c '^[0-9]' > /out/n"])
        self.run_container(b)
        self.assertEqual(b.read_out("pid").strip(), "1")
        # sh and ls/grep at most: the host's processes are invisible.
        self.assertLessEqual(int(b.read_out("n")), 4)

    def test_hostname(self):
        b = self.bundle(["sh", "-c", "hostname > /out/hostname; cat /proc/sys/kernel/hostname"
                         " > /out/kernel"], hostname="hkt-host-name")
        host_before = os.uname().nodename
        self.run_container(b)
        self.assertEqual(b.read_out("hostname").strip(), "hkt-host-name")
        self.assertEqual(b.read_out("kernel").strip(), "hkt-host-name")
        self.assertEqual(os.uname().nodename, host_before, "host hostname changed")

    def test_user_namespace_mappings(self):
        # A private rootfs copy under /tmp: the mapped root (host uid 100000) must be able
        # to reach it, wherever HAKO_TEST_ROOTFS lives. Still read-only.
        b = self.bundle(["sh", "-c",
                         "id -u > /out/uid; id -g > /out/gid; cat /proc/self/uid_map > /out/map; "
                         + KEEP_RUNNING], copy_rootfs=True)
        b.set("root.readonly", True)
        b.add_namespace("user")
        b.patch({"linux": {
            "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
            "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
        }})
        cid, pid = self.start_waiting(b)
        with open("/proc/%d/uid_map" % pid) as f:
            self.assertEqual(map_rows(f.read()), [["0", "100000", "65536"]])
        with open("/proc/%d/gid_map" % pid) as f:
            self.assertEqual(map_rows(f.read()), [["0", "100000", "65536"]])
        self.assertNotEqual(ns_inode(pid, "user"), ns_inode(os.getpid(), "user"))
        status = proc_status(pid)
        self.assertEqual(status["Uid"].split(), ["100000"] * 4)
        self.assertEqual(status["Gid"].split(), ["100000"] * 4)
        self.assertEqual(b.read_out("uid").strip(), "0")
        self.assertEqual(b.read_out("gid").strip(), "0")
        self.assertEqual(map_rows(b.read_out("map")), [["0", "100000", "65536"]])
        # Files the container creates belong to the mapped host uid.
        self.assertEqual(os.stat(b.out_path("uid")).st_uid, 100000)

    def test_join_namespace_by_path(self):
        b1 = self.bundle(["sh", "-c", KEEP_RUNNING])
        c1, pid1 = self.start_waiting(b1)

        b2 = self.bundle(["sh", "-c", KEEP_RUNNING])
        b2.add_namespace("network", "/proc/%d/ns/net" % pid1)
        b2.add_namespace("ipc", "/proc/%d/ns/ipc" % pid1)
        c2, pid2 = self.start_waiting(b2)

        me = os.getpid()
        for name in ("net", "ipc"):
            with self.subTest(namespace=name):
                self.assertEqual(ns_inode(pid2, name), ns_inode(pid1, name))
                self.assertNotEqual(ns_inode(pid2, name), ns_inode(me, name))
        # Private namespaces stay private.
        for name in ("pid", "uts", "mnt"):
            with self.subTest(namespace=name):
                self.assertNotEqual(ns_inode(pid2, name), ns_inode(pid1, name))

    def test_mqueue_mount_shows_the_containers_ipc_namespace(self):
        """hako makes the /dev/mqueue filesystem ahead, on the thread that makes the ipc
        namespace: a queue made through it must be in the container's namespace only."""
        b = self.bundle(["sh", "-c", "touch /dev/mqueue/hkq && " + KEEP_RUNNING])
        _, pid = self.start_waiting(b)
        mnt = tempfile.mkdtemp(prefix="hkq-")
        self.addCleanup(os.rmdir, mnt)
        listing = "mount -t mqueue none %s && ls %s" % (mnt, mnt)
        inside = subprocess.run(["nsenter", "--ipc=/proc/%d/ns/ipc" % pid, "unshare", "-m",
                                 "sh", "-c", listing], capture_output=True, text=True,
                                check=True)
        self.assertIn("hkq", inside.stdout.split())
        host = subprocess.run(["unshare", "-m", "sh", "-c", listing], capture_output=True,
                              text=True, check=True)
        self.assertNotIn("hkq", host.stdout.split())

    def test_network_namespace_has_only_loopback(self):
        b = self.bundle(["sh", "-c", "ls /sys/class/net > /out/ifaces"])
        self.run_container(b)
        self.assertEqual(b.read_out("ifaces").split(), ["lo"])

    @hako_only
    def test_time_namespace_offsets(self):
        boot_offset = 10 * 86400
        mono_offset = 3600
        b = self.bundle(["sh", "-c", "cat /proc/uptime > /out/uptime; " + KEEP_RUNNING])
        b.add_namespace("time")
        b.patch({"linux": {"timeOffsets": {
            "boottime": {"secs": boot_offset, "nanosecs": 0},
            "monotonic": {"secs": mono_offset, "nanosecs": 0},
        }}})
        with open("/proc/uptime") as f:
            host_uptime = float(f.read().split()[0])
        cid, pid = self.start_waiting(b)
        self.assertNotEqual(ns_inode(pid, "time"), ns_inode(os.getpid(), "time"))
        with open("/proc/%d/timens_offsets" % pid) as f:
            offsets = {row[0]: (int(row[1]), int(row[2])) for row in map_rows(f.read())}
        self.assertEqual(offsets.get("boottime"), (boot_offset, 0))
        self.assertEqual(offsets.get("monotonic"), (mono_offset, 0))
        inside = float(self.wait_out(b, "uptime").split()[0])
        delta = inside - host_uptime
        self.assertGreaterEqual(delta, boot_offset - 1)
        self.assertLess(delta, boot_offset + 30)


if __name__ == "__main__":
    unittest.main()
