"""`update`: runc's flags and `-r FILE|-` (a LinuxResources document, as containerd and
Podman send it) change the cgroup files of a running (or paused) container. Updates merge
into the resources in force, so a later one keeps what an earlier one set; a refused update
names the file and value and leaves the previous values in place."""

import json
import os
import tempfile
import unittest

from hakotest import KEEP_RUNNING, HakoTestCase, hako_only, is_runc
from test_cgroup_resources import controller_dir, read


class UpdateTest(HakoTestCase):

    def start(self, resources=None, script=KEEP_RUNNING):
        b = self.bundle(["sh", "-c", script])
        if resources is not None:
            b.set("linux.resources", resources)
        cid = self.new_id()
        self.start_detached(b, cid)
        self.wait_out(b, "ready")
        return b, cid, self.rt.state(cid)["pid"]

    def file(self, pid, controller, name):
        return read(os.path.join(controller_dir(pid, controller), name))

    def update_stdin(self, cid, resources, *extra):
        with tempfile.TemporaryFile("w+") as f:
            json.dump(resources, f)
            f.seek(0)
            return self.rt("update", *extra, "-r", "-", cid, stdin=f)

    def test_flags_change_the_files_of_a_running_container(self):
        _, cid, pid = self.start({"memory": {"limit": 256 << 20}, "pids": {"limit": 100}})
        self.rt.ok("update", "--memory", "128m", "--memory-swap", "256M",
                   "--memory-reservation", "64m", "--cpu-quota", "20000", "--cpu-period", "100000",
                   "--cpu-share", "256", "--pids-limit", "50", "--cpuset-cpus", "0",
                   "--cpuset-mems", "0", "--blkio-weight", "300", cid)
        self.assertEqual(self.file(pid, "memory", "memory.limit_in_bytes"), str(128 << 20))
        self.assertEqual(self.file(pid, "memory", "memory.memsw.limit_in_bytes"), str(256 << 20))
        self.assertEqual(self.file(pid, "memory", "memory.soft_limit_in_bytes"), str(64 << 20))
        self.assertEqual(self.file(pid, "cpu", "cpu.cfs_quota_us"), "20000")
        self.assertEqual(self.file(pid, "cpu", "cpu.cfs_period_us"), "100000")
        self.assertEqual(self.file(pid, "cpu", "cpu.shares"), "256")
        self.assertEqual(self.file(pid, "pids", "pids.max"), "50")
        self.assertEqual(self.file(pid, "cpuset", "cpuset.cpus"), "0")
        blkio = controller_dir(pid, "blkio")
        weight = "blkio.weight" if os.path.exists(os.path.join(blkio, "blkio.weight")) \
            else "blkio.bfq.weight"
        self.assertIn("300", read(os.path.join(blkio, weight)).split())
        self.assertEqual(self.rt.status(cid), "running")

    def test_updates_merge_into_the_resources_in_force(self):
        _, cid, pid = self.start({"memory": {"limit": 64 << 20}})
        self.rt.ok("update", "--cpu-quota", "30000", cid)
        self.rt.ok("update", "--pids-limit", "40", cid)
        self.assertEqual(self.file(pid, "memory", "memory.limit_in_bytes"), str(64 << 20))
        self.assertEqual(self.file(pid, "cpu", "cpu.cfs_quota_us"), "30000")
        self.assertEqual(self.file(pid, "pids", "pids.max"), "40")
        if not is_runc():
            with open(os.path.join(self.state_root, cid, "state.json")) as f:
                resources = json.load(f)["hako"]["resources"]
            self.assertEqual(resources["memory"]["limit"], 64 << 20)
            self.assertEqual(resources["cpu"]["quota"], 30000)
            self.assertEqual(resources["pids"]["limit"], 40)

    def test_resources_from_stdin(self):
        _, cid, pid = self.start()
        p = self.update_stdin(cid, {"memory": {"limit": 96 << 20, "swap": 96 << 20},
                                    "cpu": {"shares": 700, "quota": 25000, "period": 50000},
                                    "pids": {"limit": 30}})
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.file(pid, "memory", "memory.limit_in_bytes"), str(96 << 20))
        self.assertEqual(self.file(pid, "memory", "memory.memsw.limit_in_bytes"), str(96 << 20))
        self.assertEqual(self.file(pid, "cpu", "cpu.shares"), "700")
        self.assertEqual(self.file(pid, "cpu", "cpu.cfs_quota_us"), "25000")
        self.assertEqual(self.file(pid, "cpu", "cpu.cfs_period_us"), "50000")
        self.assertEqual(self.file(pid, "pids", "pids.max"), "30")

    def test_resources_from_a_file_ignore_the_other_flags(self):
        _, cid, pid = self.start()
        path = os.path.join(self.make_tempdir("res-"), "resources.json")
        with open(path, "w") as f:
            json.dump({"pids": {"limit": 12}}, f)
        self.rt.ok("update", "-r", path, "--pids-limit", "99", cid)
        self.assertEqual(self.file(pid, "pids", "pids.max"), "12")

    def test_a_lowered_pids_limit_stops_new_forks(self):
        # It ends blocked on a second fifo nobody opens: on the first one, the end of the
        # test's write could wake it again, and a finished init shows the root cgroup.
        script = ("mkfifo /dev/shm/go /dev/shm/hold; echo ready > /out/ready; "
                  "read x < /dev/shm/go; "
                  "sh -c 'i=0; while [ $i -lt 20 ]; do sleep 1000 & i=$((i+1)); done' 2> /out/err;"
                  " echo done > /out/done; read y < /dev/shm/hold")
        b, cid, pid = self.start({"pids": {"limit": 100}}, script)
        pids_dir = controller_dir(pid, "pids")
        self.rt.ok("update", "--pids-limit", "4", cid)
        # Release the container's script through its fifo, from inside its mount namespace.
        fifo = "/proc/%d/root/dev/shm/go" % pid
        with open(fifo, "w") as f:
            f.write("go\n")
        self.wait_out(b, "done")
        procs = read(os.path.join(pids_dir, "cgroup.procs")).split()
        self.assertLessEqual(len(procs), 4)
        self.assertIn("fork", b.read_out("err"))

    def test_update_works_on_a_paused_container(self):
        _, cid, pid = self.start()
        p = self.rt("pause", cid)
        if p.returncode != 0:
            self.skipTest("pause unavailable: " + p.stderr.strip())
        self.addCleanup(self.rt, "resume", cid)
        self.assertEqual(self.rt.status(cid), "paused")
        self.rt.ok("update", "--pids-limit", "77", cid)
        self.assertEqual(self.file(pid, "pids", "pids.max"), "77")
        self.assertEqual(self.rt.status(cid), "paused")

    def test_memory_below_usage_is_refused_and_nothing_changes(self):
        # 24 MiB of shmem stays charged to the container: no swap can take it away.
        _, cid, pid = self.start(
            {"memory": {"limit": 64 << 20}},
            "head -c 25165824 /dev/zero > /dev/shm/fill; " + KEEP_RUNNING)
        memory = controller_dir(pid, "memory")
        if not os.path.exists(os.path.join(memory, "memory.limit_in_bytes")):
            self.skipTest("memory is not a v1 controller here")
        p = self.rt("update", "--memory", "8m", "--pids-limit", "33", cid, timeout=60)
        self.assertOneLineError(p, "memory.limit_in_bytes", '"8388608"', "busy")
        self.assertEqual(read(os.path.join(memory, "memory.limit_in_bytes")), str(64 << 20))
        self.assertEqual(self.file(pid, "pids", "pids.max"), "max")
        if not is_runc():
            with open(os.path.join(self.state_root, cid, "state.json")) as f:
                self.assertNotIn("pids", json.load(f)["hako"]["resources"])

    def test_bad_values_name_the_flag_or_field(self):
        _, cid, pid = self.start()
        self.assertOneLineError(self.rt("update", "--memory", "lots", cid), "--memory", "lots")
        self.assertOneLineError(self.rt("update", "--cpu-quota", "1.5", cid), "--cpu-quota")
        p = self.update_stdin(cid, {"memory": {"limit": "1g"}})
        self.assertOneLineError(p, "memory.limit", "expected integer")
        p = self.update_stdin(cid, {"cpu": {"cpus": "0"}, "pids": {"limit": True}})
        self.assertOneLineError(p, "pids.limit")
        cpus = os.cpu_count() + 5
        p = self.rt("update", "--cpuset-cpus", str(cpus), cid)
        self.assertOneLineError(p, "cpuset.cpus", '"%d"' % cpus)
        self.assertNotEqual(self.file(pid, "cpuset", "cpuset.cpus"), str(cpus))
        self.assertEqual(self.rt.status(cid), "running")

    def test_stopped_and_unknown_containers(self):
        _, cid, pid = self.start()
        self.rt.ok("kill", cid, "KILL")
        self.wait_status(cid, "stopped")
        self.assertOneLineError(self.rt("update", "--pids-limit", "5", cid), "not running")
        self.assertOneLineError(self.rt("update", "--pids-limit", "5", "hkt-nosuch"),
                                "does not exist")

    @hako_only
    def test_kernel_memory_flags_are_ignored_with_a_warning(self):
        _, cid, _ = self.start()
        p = self.rt("update", "--kernel-memory", "10m", cid)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("--kernel-memory is ignored", p.stderr)


if __name__ == "__main__":
    unittest.main()
