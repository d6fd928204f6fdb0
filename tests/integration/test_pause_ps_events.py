"""pause/resume, ps, kill --all, events (stats and OOM), the "paused" status, delete --force
of a paused container, and --systemd-cgroup. Real containers; the kernel's view (freezer
files, /proc/PID/status, cgroup.procs) is read from the host.

Works on v1, hybrid and v2 hosts: the freezer is the v1 freezer hierarchy when there is one
(runc does the same on hybrid hosts), else cgroup2's cgroup.freeze."""

import json
import os
import signal
import subprocess
import tempfile
import time
import unittest

from hakotest import (HAKO_BIN, KEEP_RUNNING, HakoTestCase, cgroup, hako_only, is_runc,
                      mountinfo, pid_alive, proc_status, snapshot_host, wait_for)

# Two processes that stay as they are: no transient children to race a snapshot of the cgroup.
STEADY = "sleep 1000 & echo ready > /out/ready; wait"

# A counter the test can watch from the host: it stops while the container is frozen.
COUNTER = ("i=0; while :; do i=$((i+1)); echo $i > /out/count.tmp; "
           "mv /out/count.tmp /out/count; sleep 0.02; done")


def cgroup_dir(pid, controller=None):
    """Host directory of pid's cgroup in the v1 hierarchy holding controller, or in the
    cgroup2 hierarchy when controller is None. None when there is no such hierarchy."""
    rows = cgroup(pid)
    for row in mountinfo("self"):
        if row.root != "/":
            continue
        if controller is None and row.fstype == "cgroup2":
            for _, ctrls, path in rows:
                if ctrls == "":
                    return os.path.join(row.mount_point, path.lstrip("/"))
        if controller is not None and row.fstype == "cgroup" and controller in row.super_options:
            for _, ctrls, path in rows:
                if controller in ctrls.split(","):
                    return os.path.join(row.mount_point, path.lstrip("/"))
    return None


def read(path):
    with open(path) as f:
        return f.read()


def freezer_view(pid):
    """("v1", freezer.state) or ("v2", "frozen 0|1" from cgroup.events)."""
    v1 = cgroup_dir(pid, "freezer")
    if v1:
        return "v1", read(os.path.join(v1, "freezer.state")).strip()
    events = read(os.path.join(cgroup_dir(pid), "cgroup.events")).split("\n")
    return "v2", [l for l in events if l.startswith("frozen ")][0]


def all_cgroup_procs(pid):
    """Union of cgroup.procs over every hierarchy pid's cgroup is in (subtrees included)."""
    pids = set()
    dirs = {cgroup_dir(pid)} if cgroup_dir(pid) else set()
    for _, ctrls, _ in cgroup(pid):
        for c in ctrls.split(","):
            if c and not c.startswith("name="):
                d = cgroup_dir(pid, c)
                if d:
                    dirs.add(d)
    for d in dirs:
        for top, _, files in os.walk(d):
            if "cgroup.procs" in files:
                pids |= {int(p) for p in read(os.path.join(top, "cgroup.procs")).split()}
    return pids


def children_of(pid):
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = read("/proc/%s/stat" % entry)
        except OSError:
            continue
        if int(stat.rpartition(")")[2].split()[1]) == pid:
            kids.append(int(entry))
    return kids


class PausePsEventsTest(HakoTestCase):

    def start_running(self, script, **bundle_kw):
        b = self.bundle(["sh", "-c", script], **bundle_kw)
        cid, pid = self.start_detached(b)
        self.bundle_ = b
        return b, cid, pid

    def count(self, b):
        def value():
            try:
                return int(b.read_out("count"))
            except (OSError, ValueError):
                return None
        return wait_for(value, message="no counter in /out/count")

    def advancing(self, b, seconds=0.4):
        first = self.count(b)
        time.sleep(seconds)
        return self.count(b) != first

    # -- pause / resume ------------------------------------------------------------------

    def test_pause_freezes_and_resume_thaws(self):
        b, cid, pid = self.start_running(COUNTER)
        self.assertTrue(wait_for(lambda: self.advancing(b, 0.2), message="counter never ran"))

        self.rt.ok("pause", cid)
        self.assertEqual(self.rt.status(cid), "paused")
        kind, view = freezer_view(pid)
        if kind == "v1":
            self.assertEqual(view, "FROZEN")
            # The v1 freezer parks tasks in the refrigerator: uninterruptible sleep.
            self.assertEqual(proc_status(pid)["State"], "D (disk sleep)")
        else:
            self.assertEqual(view, "frozen 1")
        self.assertFalse(self.advancing(b), "the counter advanced while paused")
        self.assertEqual(json.loads(self.rt.ok("list", "--format", "json").stdout)[0]["status"],
                         "paused")

        p = self.rt("pause", cid)
        self.assertOneLineError(p, "container not running")
        self.rt.ok("resume", cid)
        self.assertEqual(self.rt.status(cid), "running")
        self.assertEqual(freezer_view(pid)[1], "THAWED" if kind == "v1" else "frozen 0")
        self.assertTrue(self.advancing(b), "the counter did not resume")
        p = self.rt("resume", cid)
        self.assertOneLineError(p, "container not paused")

    def test_status_comes_from_the_freezer(self):
        """A container frozen or thawed behind the runtime's back reports what the kernel
        says, as runc derives it from the cgroup."""
        b, cid, pid = self.start_running(KEEP_RUNNING)
        self.wait_out(b, "ready")
        v1 = cgroup_dir(pid, "freezer")
        path, frozen, thawed = ((os.path.join(v1, "freezer.state"), "FROZEN", "THAWED") if v1
                                else (os.path.join(cgroup_dir(pid), "cgroup.freeze"), "1", "0"))
        with open(path, "w") as f:
            f.write(frozen)
        wait_for(lambda: freezer_view(pid)[1] in ("FROZEN", "frozen 1"))
        self.assertEqual(self.rt.status(cid), "paused")
        with open(path, "w") as f:
            f.write(thawed)
        self.assertEqual(self.rt.status(cid), "running")

    def test_pause_and_resume_refuse_other_states(self):
        b = self.bundle(["true"])
        cid, _ = self.start_detached(b)
        self.wait_status(cid, "stopped")
        self.assertOneLineError(self.rt("pause", cid), "container not running")
        self.assertOneLineError(self.rt("resume", cid), "container not paused")
        self.assertOneLineError(self.rt("pause", "hkt-does-not-exist"), "does not exist")

    def test_pause_a_created_container(self):
        """runc pauses a created container too; resumed, it is still "created"."""
        b = self.bundle(["true"])
        cid = self.create(b)
        self.rt.ok("pause", cid)
        self.assertEqual(self.rt.status(cid), "paused")
        self.rt.ok("resume", cid)
        self.assertEqual(self.rt.status(cid), "created")

    # -- kill / delete on a paused container ------------------------------------------------

    def test_kill_paused_container(self):
        """SIGKILL to a paused container's init kills it (runc thaws for SIGKILL); a catchable
        signal waits for resume and the container stays paused meanwhile."""
        b, cid, pid = self.start_running(
            "trap 'echo term > /out/term; exit 3' TERM; " + KEEP_RUNNING)
        self.wait_out(b, "ready")
        self.rt.ok("pause", cid)
        self.rt.ok("kill", cid, "TERM")
        time.sleep(0.3)
        self.assertEqual(self.rt.status(cid), "paused")
        self.assertFalse(b.has_out("term"), "a frozen process ran its trap")
        self.rt.ok("resume", cid)
        self.wait_out(b, "term")
        self.wait_status(cid, "stopped")

        b, cid, pid = self.start_running(KEEP_RUNNING)
        self.wait_out(b, "ready")
        self.rt.ok("pause", cid)
        self.rt.ok("kill", cid, "KILL")
        wait_for(lambda: not pid_alive(pid), message="paused init survived SIGKILL")
        self.wait_status(cid, "stopped")

    def test_delete_force_paused_leaves_nothing(self):
        b = self.bundle(["sh", "-c", "sleep 1000 & " + KEEP_RUNNING])
        b.write()
        cid = self.new_id()
        before = snapshot_host(self, cid)
        self.rt.ok("run", "-d", "--bundle", b.dir, cid)
        self.wait_out(b, "ready")
        pids = all_cgroup_procs(self.rt.state(cid)["pid"])
        self.assertGreaterEqual(len(pids), 2)
        self.rt.ok("pause", cid)
        self.assertOneLineError(self.rt("delete", cid), "paused")
        self.rt.ok("delete", "--force", cid)
        for p in pids:
            wait_for(lambda: not pid_alive(p), message="process %d survived delete" % p)
        self.assertNothingLeftBehind(before, cid)

    # -- kill --all -----------------------------------------------------------------------

    def test_kill_all_reaches_every_process(self):
        script = ("(trap 'echo child > /out/child' USR1; echo $$ > /dev/null; "
                  "while :; do sleep 0.05; done) & "
                  "trap 'echo init > /out/init' USR1; " + KEEP_RUNNING)
        b, cid, pid = self.start_running(script)
        self.wait_out(b, "ready")
        wait_for(lambda: len(all_cgroup_procs(pid)) >= 3, message="no second shell")
        time.sleep(0.1)  # the subshell's trap is set before its first sleep
        self.rt.ok("kill", "--all", cid, "USR1")
        self.assertEqual(self.wait_out(b, "init"), "init\n")
        self.assertEqual(self.wait_out(b, "child"), "child\n")
        self.assertEqual(self.rt.status(cid), "running")

    def test_containerd_shutdown_sequence(self):
        """containerd stops a task with `kill --all ID 9` and then `delete --force ID`."""
        b = self.bundle(["sh", "-c", "sleep 1000 & sleep 1001 & " + KEEP_RUNNING])
        b.write()
        cid = self.new_id()
        before = snapshot_host(self, cid)
        self.rt.ok("run", "-d", "--bundle", b.dir, cid)
        self.wait_out(b, "ready")
        pid = self.rt.state(cid)["pid"]
        wait_for(lambda: len(all_cgroup_procs(pid)) >= 3, message="children not started")
        pids = all_cgroup_procs(pid)
        self.rt.ok("kill", "--all", cid, "9")
        for p in pids:
            wait_for(lambda: not pid_alive(p), message="process %d survived kill --all 9" % p)
        self.wait_status(cid, "stopped")
        self.rt.ok("delete", "--force", cid)
        self.assertNothingLeftBehind(before, cid)

    def test_kill_all_sigkill_on_a_paused_container(self):
        b, cid, pid = self.start_running("sleep 1000 & " + KEEP_RUNNING)
        self.wait_out(b, "ready")
        wait_for(lambda: len(all_cgroup_procs(pid)) >= 2)
        pids = all_cgroup_procs(pid)
        self.rt.ok("pause", cid)
        self.rt.ok("kill", "--all", cid, "KILL")
        for p in pids:
            wait_for(lambda: not pid_alive(p), message="paused process %d survived" % p)
        self.wait_status(cid, "stopped")

    # -- ps ---------------------------------------------------------------------------------

    def test_ps_json_is_the_cgroup(self):
        b, cid, pid = self.start_running(STEADY)
        self.wait_out(b, "ready")
        kids = wait_for(lambda: children_of(pid), message="no child of the init")
        out = self.rt.ok("ps", "--format", "json", cid).stdout
        listed = json.loads(out)
        self.assertIsInstance(listed, list)
        self.assertEqual(sorted(listed), listed)
        self.assertEqual(set(listed), all_cgroup_procs(pid))
        self.assertIn(pid, listed)
        for k in kids:
            self.assertIn(k, listed)
        self.assertEqual(json.loads(self.rt.ok("ps", "-f", "json", cid).stdout), listed)

    def test_ps_table_filters_host_ps(self):
        b, cid, pid = self.start_running(STEADY)
        self.wait_out(b, "ready")
        wait_for(lambda: len(all_cgroup_procs(pid)) >= 2)
        procs = all_cgroup_procs(pid)
        lines = self.rt.ok("ps", cid).stdout.splitlines()
        header = lines[0].split()
        self.assertEqual(header[:3], ["UID", "PID", "PPID"])  # `ps -ef`
        rows = {int(l.split()[1]) for l in lines[1:]}
        self.assertEqual(rows, procs)
        self.assertTrue(any("sleep 1000" in l for l in lines[1:]), lines)

        # Extra arguments go to ps; hako also takes them after "--" (runc passes the "--" on
        # to ps, which refuses it).
        for extra in (["-o", "pid,comm"], ["--", "-o", "comm,pid"]):
            if is_runc() and extra[0] == "--":
                continue
            with self.subTest(args=extra):
                lines = self.rt.ok("ps", cid, *extra).stdout.splitlines()
                header = lines[0].split()
                self.assertEqual(sorted(header), ["COMMAND", "PID"])
                col = header.index("PID")
                self.assertEqual({int(l.split()[col]) for l in lines[1:]}, procs)

    def test_ps_errors(self):
        b, cid, pid = self.start_running(KEEP_RUNNING)
        self.wait_out(b, "ready")
        self.assertOneLineError(self.rt("ps", "--format", "yaml", cid), "format")
        self.assertOneLineError(self.rt("ps", cid, "--no-such-ps-option"), "ps")
        self.assertOneLineError(self.rt("ps", "hkt-does-not-exist"), "does not exist")

    @hako_only  # runc prints "null", a Go nil slice
    def test_ps_json_of_a_stopped_container(self):
        b = self.bundle(["true"])
        cid, _ = self.start_detached(b)
        self.wait_status(cid, "stopped")
        self.assertEqual(self.rt.ok("ps", "--format", "json", cid).stdout, "[]\n")

    # -- events -----------------------------------------------------------------------------

    def test_events_stats(self):
        b, cid, pid = self.start_running("x=$(head -c 2000000 /dev/zero | tr '\\0' a); " + STEADY)
        self.wait_out(b, "ready")
        wait_for(lambda: len(all_cgroup_procs(pid)) >= 2)
        out = self.rt.ok("events", "--stats", cid).stdout
        lines = out.splitlines()
        self.assertEqual(len(lines), 1, out)
        event = json.loads(lines[0])
        self.assertEqual(list(event), ["type", "id", "data"])
        self.assertEqual((event["type"], event["id"]), ("stats", cid))
        data = event["data"]
        for key in ("cpu", "cpuset", "memory", "pids", "blkio", "hugetlb"):
            self.assertIn(key, data)
        self.assertEqual(data["pids"]["current"], len(all_cgroup_procs(pid)))
        self.assertGreater(data["cpu"]["usage"]["total"], 0)
        mem = cgroup_dir(pid, "memory")
        if mem:  # v1 memory controller: the kernel's own numbers
            self.assertGreater(data["memory"]["usage"]["usage"], 0)
            self.assertIn("rss", data["memory"]["raw"])
            limit = int(read(os.path.join(mem, "memory.limit_in_bytes")))
            self.assertEqual(data["memory"]["usage"]["limit"], limit)
        elif os.path.exists(os.path.join(cgroup_dir(pid), "memory.current")):
            self.assertGreater(data["memory"]["usage"]["usage"], 0)
            self.assertIn("anon", data["memory"]["raw"])

    def test_events_stream_until_the_container_stops(self):
        b = self.bundle(["sh", "-c", "echo ready > /out/ready; sleep 2.6"])
        cid, pid = self.start_detached(b)
        out_path = os.path.join(self.make_tempdir("events-"), "events")
        with open(out_path, "w") as out:
            proc = subprocess.Popen(
                [HAKO_BIN, "--root", self.state_root, "events", "--interval", "1s", cid],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            if is_runc():
                # runc 1.1's events ends on v1 only when the cgroup goes, at delete.
                self.wait_status(cid, "stopped", timeout=15)
                self.rt.ok("delete", cid)
            rc = proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise AssertionError("events did not exit after the container stopped")
        text = read(out_path)
        self.assertEqual(rc, 0, text)
        events = [json.loads(l) for l in text.splitlines()]
        self.assertGreaterEqual(len(events), 2, text)
        for e in events:
            self.assertEqual((e["type"], e["id"]), ("stats", cid))
            self.assertIn("memory", e["data"])
        self.assertFalse(pid_alive(pid))

    def test_events_errors(self):
        b = self.bundle(["true"])
        cid, _ = self.start_detached(b)
        self.wait_status(cid, "stopped")
        self.assertOneLineError(self.rt("events", "--stats", cid), "not running")
        self.assertOneLineError(self.rt("events", "--interval", "0s", cid),
                                "interval must be greater than 0")

    def test_events_report_oom(self):
        limit = 16 << 20
        b = self.bundle(["sh", "-c",
                         "echo ready > /out/ready; while [ ! -e /out/go ]; do sleep 0.05; done;"
                         " dd if=/dev/zero of=/dev/null bs=64M count=1; echo $? > /out/dd; "
                         + KEEP_RUNNING])
        b.set("linux.resources", {"memory": {"limit": limit}})
        cid = self.create(b)
        pid = self.rt.state(cid)["pid"]
        # Written here too, in case linux.resources is not applied by this build.
        mem = cgroup_dir(pid, "memory")
        if mem:
            path = os.path.join(mem, "memory.limit_in_bytes")
        else:
            path = os.path.join(cgroup_dir(pid), "memory.max")
            if not os.path.exists(path):
                self.skipTest("no memory controller for the container")
        if int(read(path).strip().replace("max", str(1 << 62))) > limit:
            with open(path, "w") as f:
                f.write(str(limit))
        self.rt.ok("start", cid)
        self.wait_out(b, "ready")

        out_path = os.path.join(self.make_tempdir("events-"), "events")
        with open(out_path, "w") as out:
            proc = subprocess.Popen(
                [HAKO_BIN, "--root", self.state_root, "events", "--interval", "200ms", cid],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            # The first stats line: events has registered for OOM notifications by then.
            wait_for(lambda: read(out_path).strip(), message="events printed nothing")
            with open(b.out_path("go"), "w"):
                pass
            self.wait_out(b, "dd")
            self.assertNotEqual(b.read_out("dd").strip(), "0", "dd was not OOM-killed")

            def ooms():
                return [json.loads(l) for l in read(out_path).splitlines()
                        if json.loads(l)["type"] == "oom"]
            got = wait_for(ooms, timeout=10, message="no oom event: %s" % read(out_path)[-500:])
            self.assertEqual(got[0], {"type": "oom", "id": cid})
            self.rt.ok("kill", cid, "KILL")
            if is_runc():  # its events ends on v1 only when the cgroup goes
                self.wait_status(cid, "stopped")
                self.rt.ok("delete", cid)
            proc.wait(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    # -- --systemd-cgroup -------------------------------------------------------------------

    def test_systemd_cgroup_fails_only_where_cgroups_are_made(self):
        b = self.bundle(["true"])
        b.write()
        cid = self.new_id()
        before = snapshot_host(self, cid)
        p = self.rt("create", "--bundle", b.dir, cid, global_args=["--systemd-cgroup"])
        self.assertOneLineError(p, "systemd")
        p = self.rt("run", "--bundle", b.dir, cid, global_args=["--systemd-cgroup"])
        self.assertOneLineError(p, "systemd")
        self.assertNothingLeftBehind(before, cid)

        # Engines pass the flag on every call: the other commands accept it.
        b2, cid2, pid2 = self.start_running(KEEP_RUNNING)
        self.wait_out(b2, "ready")
        g = ["--systemd-cgroup"]
        self.assertEqual(json.loads(self.rt.ok("state", cid2, global_args=g).stdout)["status"],
                         "running")
        self.rt.ok("list", global_args=g)
        self.rt.ok("pause", cid2, global_args=g)
        self.rt.ok("resume", cid2, global_args=g)
        self.rt.ok("ps", "--format", "json", cid2, global_args=g)
        self.rt.ok("kill", cid2, "KILL", global_args=g)
        self.wait_status(cid2, "stopped")
        self.rt.ok("delete", cid2, global_args=g)

    @hako_only  # runc's cgroupfs driver takes "a:b:c" as a directory name
    def test_systemd_cgroups_path_without_the_flag(self):
        b = self.bundle(["true"])
        cid = self.new_id()
        b.set("linux.cgroupsPath", "system.slice:hako:" + cid)
        b.write()
        before = snapshot_host(self, cid)
        p = self.rt("create", "--bundle", b.dir, cid)
        self.assertOneLineError(p, "cgroupsPath", "systemd")
        self.assertNothingLeftBehind(before, cid)


if __name__ == "__main__":
    unittest.main()
