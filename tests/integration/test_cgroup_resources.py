"""linux.resources at create: every value lands in the right file of the right hierarchy (v1
controllers here, hugetlb in the unified hierarchy of this hybrid host), and the kernel then
enforces it: the OOM killer, the pids limit on a fork bomb, cpuset pinning, device access.
Bad values fail with one line naming the field (or the file and value the kernel refused)
and leave nothing behind."""

import os
import unittest

from hakotest import (KEEP_RUNNING, HakoTestCase, cgroup, hako_only, is_runc, parse_status,
                      proc_status, snapshot_host, wait_for)
from test_cgroups_lifecycle import hierarchy_mounts, mount_for


def controller_dir(pid, controller):
    """The host directory of pid's cgroup in the hierarchy holding controller ("" means the
    cgroup2 hierarchy), or None when no hierarchy holds it."""
    mounts = hierarchy_mounts()
    for hid, controllers, path in cgroup(pid):
        if controller == "" and hid == 0 and controllers == "":
            return os.path.join(mounts[""], path.lstrip("/"))
        if controller and controller in controllers.split(","):
            return os.path.join(mount_for(mounts, controllers), path.lstrip("/"))
    return None


def read(path):
    with open(path) as f:
        return f.read().strip()


def read_keyed(path):
    """{key: value} of a "key value" per line file (memory.oom_control, pids.events)."""
    out = {}
    for line in read(path).splitlines():
        key, _, value = line.partition(" ")
        out[key] = value
    return out


def block_device():
    """(major, minor) of a real block device of the host, for the blkio throttles."""
    for name in ("vda", "sda", "nvme0n1", "loop0"):
        try:
            major, minor = read("/sys/block/%s/dev" % name).split(":")
            return int(major), int(minor)
        except OSError:
            continue
    raise unittest.SkipTest("no block device to throttle")


def hugepage_sizes():
    try:
        names = os.listdir("/sys/kernel/mm/hugepages")
    except OSError:
        return []
    sizes = []
    for name in names:  # hugepages-2048kB -> 2MB
        kb = int(name[len("hugepages-"):-2])
        sizes.append("%dGB" % (kb >> 20) if kb >= 1 << 20 else "%dMB" % (kb >> 10))
    return sizes


class CgroupResourcesTest(HakoTestCase):

    def start(self, resources, script=KEEP_RUNNING, **patch):
        """Starts a container with linux.resources and the script; returns (b, cid, pid)."""
        b = self.bundle(["sh", "-c", script])
        b.set("linux.resources", resources)
        if patch:
            b.patch(patch)
        cid = self.new_id()
        self.start_detached(b, cid)
        self.wait_out(b, "ready")
        return b, cid, self.rt.state(cid)["pid"]

    def assertFiles(self, directory, expected):
        for name, value in expected.items():
            with self.subTest(file=name):
                self.assertEqual(read(os.path.join(directory, name)), value)

    def assertCreateFails(self, resources, *needles, **patch):
        """create refuses the resources with one line naming the needles; nothing is left."""
        b = self.bundle(["true"])
        b.set("linux.resources", resources)
        if patch:
            b.patch(patch)
        b.write()
        cid = self.new_id()
        before = snapshot_host(self, cid)
        p = self.rt.create(cid, b)
        self.assertOneLineError(p, *needles)
        self.assertNothingLeftBehind(before, cid)
        return p

    # -- memory -----------------------------------------------------------------------------
    def test_memory_values_land_in_the_v1_files(self):
        _, _, pid = self.start({"memory": {
            "limit": 64 << 20, "reservation": 32 << 20, "swap": 96 << 20, "swappiness": 10,
            "kernelTCP": 16 << 20, "disableOOMKiller": False}})
        d = controller_dir(pid, "memory")
        if not os.path.exists(os.path.join(d, "memory.limit_in_bytes")):
            self.skipTest("memory is not a v1 controller here")
        self.assertFiles(d, {
            "memory.limit_in_bytes": str(64 << 20),
            "memory.soft_limit_in_bytes": str(32 << 20),
            "memory.memsw.limit_in_bytes": str(96 << 20),
            "memory.swappiness": "10",
        })
        if not is_runc():  # runc ignores kernelTCP
            self.assertFiles(d, {"memory.kmem.tcp.limit_in_bytes": str(16 << 20)})
        self.assertEqual(read_keyed(os.path.join(d, "memory.oom_control"))["oom_kill_disable"], "0")

    def test_a_process_over_the_memory_limit_is_oom_killed(self):
        # dd's 64 MiB buffer does not fit in 16 MiB (and there is no swap to spill to).
        b, _, pid = self.start(
            {"memory": {"limit": 16 << 20, "swap": 16 << 20}},
            "dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null; echo $? > /out/rc; "
            + KEEP_RUNNING)
        self.assertEqual(b.read_out("rc").strip(), "137")  # 128 + SIGKILL
        d = controller_dir(pid, "memory")
        if os.path.exists(os.path.join(d, "memory.oom_control")):
            self.assertGreaterEqual(int(read_keyed(os.path.join(d, "memory.oom_control"))["oom_kill"]), 1)
        else:
            self.assertGreaterEqual(int(read_keyed(os.path.join(d, "memory.events"))["oom_kill"]), 1)

    def test_an_init_over_the_memory_limit_exits_137(self):
        b = self.bundle(["dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"])
        b.set("linux.resources", {"memory": {"limit": 16 << 20, "swap": 16 << 20}})
        self.run_container(b, expect_status=137)

    @hako_only
    def test_kernel_memory_is_ignored_with_a_warning(self):
        b = self.bundle(["true"])
        b.set("linux.resources", {"memory": {"kernel": 1 << 20}})
        b.write()
        cid = self.new_id()
        p = self.rt.create(cid, b)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("linux.resources.memory.kernel", p.stderr)
        self.assertIn("ignored", p.stderr)

    # -- pids -------------------------------------------------------------------------------
    def test_a_fork_bomb_stops_at_pids_limit(self):
        script = ("mkfifo /dev/shm/f; "
                  "sh -c 'i=0; while [ $i -lt 40 ]; do sleep 1000 & i=$((i+1)); done' "
                  "2> /out/err; echo ready > /out/ready; read x < /dev/shm/f")
        b, _, pid = self.start({"pids": {"limit": 8}}, script)
        d = controller_dir(pid, "pids")
        self.assertEqual(read(os.path.join(d, "pids.max")), "8")
        procs = read(os.path.join(d, "cgroup.procs")).split()
        self.assertLessEqual(len(procs), 8)
        self.assertGreaterEqual(len(procs), 2)  # the init and some sleeps got through
        self.assertGreater(int(read_keyed(os.path.join(d, "pids.events"))["max"]), 0)
        self.assertIn("fork", b.read_out("err"))  # "sh: can't fork: Resource temporarily ..."

    def test_negative_pids_limit_is_max(self):
        _, _, pid = self.start({"pids": {"limit": -1}})
        self.assertEqual(read(os.path.join(controller_dir(pid, "pids"), "pids.max")), "max")

    # -- cpu and cpuset ---------------------------------------------------------------------
    def test_cpu_values_land_in_the_v1_files(self):
        _, _, pid = self.start({"cpu": {
            "shares": 512, "quota": 50000, "period": 200000, "burst": 10000,
            "realtimeRuntime": 10000, "realtimePeriod": 1000000}})
        d = controller_dir(pid, "cpu")
        if not os.path.exists(os.path.join(d, "cpu.shares")):
            self.skipTest("cpu is not a v1 controller here")
        self.assertFiles(d, {"cpu.shares": "512", "cpu.cfs_quota_us": "50000",
                             "cpu.cfs_period_us": "200000", "cpu.rt_runtime_us": "10000",
                             "cpu.rt_period_us": "1000000"})
        if os.path.exists(os.path.join(d, "cpu.cfs_burst_us")) and not is_runc():
            self.assertFiles(d, {"cpu.cfs_burst_us": "10000"})

    def test_cpuset_pins_the_process(self):
        if os.cpu_count() < 2:
            self.skipTest("needs two CPUs")
        b, _, pid = self.start({"cpu": {"cpus": "1", "mems": "0"}},
                               "cat /proc/self/status > /out/status; " + KEEP_RUNNING)
        self.assertEqual(parse_status(b.read_out("status"))["Cpus_allowed_list"], "1")
        self.assertEqual(proc_status(pid)["Cpus_allowed_list"], "1")
        self.assertFiles(controller_dir(pid, "cpuset"), {"cpuset.cpus": "1", "cpuset.mems": "0"})

    # -- block IO ---------------------------------------------------------------------------
    def test_block_io_values_land_in_the_v1_files(self):
        major, minor = block_device()
        dev = "%d:%d" % (major, minor)
        _, _, pid = self.start({"blockIO": {
            "weight": 300,
            "throttleReadBpsDevice": [{"major": major, "minor": minor, "rate": 1048576}],
            "throttleWriteBpsDevice": [{"major": major, "minor": minor, "rate": 2097152}],
            "throttleReadIOPSDevice": [{"major": major, "minor": minor, "rate": 100}],
            "throttleWriteIOPSDevice": [{"major": major, "minor": minor, "rate": 200}]}})
        d = controller_dir(pid, "blkio")
        if d is None:
            self.skipTest("no v1 blkio hierarchy")
        self.assertFiles(d, {"blkio.throttle.read_bps_device": dev + " 1048576",
                             "blkio.throttle.write_bps_device": dev + " 2097152",
                             "blkio.throttle.read_iops_device": dev + " 100",
                             "blkio.throttle.write_iops_device": dev + " 200"})
        weight_file = "blkio.weight" if os.path.exists(os.path.join(d, "blkio.weight")) \
            else "blkio.bfq.weight"
        self.assertIn("300", read(os.path.join(d, weight_file)).split())

    # -- hugetlb: the unified hierarchy on this hybrid host ---------------------------------
    @hako_only  # runc 1.1.5 has no hugetlb on a hybrid host's unified hierarchy
    def test_hugepage_limits_land_where_hugetlb_lives(self):
        sizes = hugepage_sizes()
        if not sizes:
            self.skipTest("no huge page sizes")
        size = sorted(sizes, key=len)[0]
        _, _, pid = self.start({"hugepageLimits": [{"pageSize": size, "limit": 0}]})
        v1 = controller_dir(pid, "hugetlb")
        if v1 is not None:
            self.assertEqual(read(os.path.join(v1, "hugetlb.%s.limit_in_bytes" % size)), "0")
        else:
            unified = controller_dir(pid, "")
            self.assertEqual(read(os.path.join(unified, "hugetlb.%s.max" % size)), "0")
            if os.path.exists(os.path.join(unified, "hugetlb.%s.rsvd.max" % size)):
                self.assertEqual(read(os.path.join(unified, "hugetlb.%s.rsvd.max" % size)), "0")

    @hako_only
    def test_unified_files_present_in_the_hybrid_unified_hierarchy(self):
        sizes = hugepage_sizes()
        if not sizes or controller_dir(os.getpid(), "hugetlb") is not None:
            self.skipTest("hugetlb is not in the unified hierarchy here")
        size = sorted(sizes, key=len)[0]
        _, _, pid = self.start({"unified": {"hugetlb.%s.max" % size: "0"}})
        self.assertEqual(read(os.path.join(controller_dir(pid, ""), "hugetlb.%s.max" % size)), "0")

    # -- devices ----------------------------------------------------------------------------
    DEVICES = {"linux": {"devices": [
        {"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11, "fileMode": 0o666},
        {"path": "/dev/full", "type": "c", "major": 1, "minor": 7, "fileMode": 0o666}]}}

    def test_denied_devices_cannot_be_opened(self):
        # /dev/full is in linux.devices, so runc's default rule for it is dropped and the
        # deny-all rule holds; /dev/kmsg has no rule at all; /dev/null keeps its default.
        script = ("(echo x > /dev/full) 2> /out/full; (: > /dev/kmsg) 2> /out/kmsg; "
                  "echo x > /dev/null && echo ok > /out/null; " + KEEP_RUNNING)
        b, _, pid = self.start({"devices": [{"allow": False, "access": "rwm"}]}, script,
                               **self.DEVICES)
        self.assertIn("Operation not permitted", b.read_out("full"))
        self.assertIn("Operation not permitted", b.read_out("kmsg"))
        self.assertEqual(b.read_out("null").strip(), "ok")
        d = controller_dir(pid, "devices")
        if d is not None:
            rules = set(read(os.path.join(d, "devices.list")).splitlines())
            self.assertNotIn("a *:* rwm", rules)
            self.assertIn("c 1:3 rwm", rules)       # /dev/null, a runc default
            self.assertIn("c 136:* rwm", rules)     # /dev/pts/*
            self.assertNotIn("c 1:7 rwm", rules)    # /dev/full: dropped, see above

    def test_an_allow_rule_grants_exactly_its_access(self):
        script = ("(: > /dev/kmsg) 2> /out/kmsg_w && echo ok >> /out/kmsg_w; "
                  "(echo x > /dev/full) 2> /out/full; " + KEEP_RUNNING)
        b, _, _ = self.start({"devices": [
            {"allow": False, "access": "rwm"},
            {"allow": True, "type": "c", "major": 1, "minor": 11, "access": "w"}]},
            script, linux={"devices": self.DEVICES["linux"]["devices"][:1]})
        self.assertEqual(b.read_out("kmsg_w").strip(), "ok")
        # Without a linux.devices entry, /dev/full keeps runc's default allow rule.
        self.assertIn("No space left on device", b.read_out("full"))

    # -- what this host lacks, and bad values -----------------------------------------------
    def test_net_cls_missing_is_an_error(self):
        if controller_dir(os.getpid(), "net_cls") is not None:
            self.skipTest("this host has net_cls")
        self.assertCreateFails({"network": {"classID": 1048577}}, "network.classID", "net_cls")

    def test_rdma_missing_is_an_error(self):
        if os.path.exists("/sys/fs/cgroup/rdma") or "rdma" in read("/proc/cgroups"):
            self.skipTest("this host has rdma")
        self.assertCreateFails({"rdma": {"mlx5_0": {"hcaHandles": 1}}}, "rdma")

    def test_bad_json_values_name_the_field(self):
        self.assertCreateFails({"memory": {"limit": "64m"}},
                               "linux.resources.memory.limit: expected integer")
        self.assertCreateFails({"cpu": {"shares": -1}},
                               "linux.resources.cpu.shares: expected unsigned integer")
        self.assertCreateFails({"devices": [{"allow": True, "type": "c", "major": 1, "minor": 3,
                                             "access": "rwx"}]},
                               "linux.resources.devices[0].access")

    def test_a_value_the_kernel_refuses_names_file_and_value(self):
        cpus = os.cpu_count() + 7
        p = self.assertCreateFails({"cpu": {"cpus": str(cpus)}}, "cpuset.cpus", '"%d"' % cpus)
        if not is_runc():  # the kernel says ERANGE or EINVAL, depending on the version
            self.assertRegex(p.stderr, r'write /sys/fs/cgroup/\S+/cpuset\.cpus "%d": '
                             r'(Numerical result out of range|Invalid argument)$' % cpus)

    @hako_only
    def test_unified_file_not_in_the_hybrid_unified_hierarchy(self):
        if controller_dir(os.getpid(), "memory") is None or controller_dir(os.getpid(), "") is None:
            self.skipTest("not a hybrid host with v1 memory")
        self.assertCreateFails({"unified": {"memory.max": "1"}}, 'unified["memory.max"]',
                               "no such file")


if __name__ == "__main__":
    unittest.main()
