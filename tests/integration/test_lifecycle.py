"""Container lifecycle: create, start, run, kill, delete, list, state, and their errors."""

import concurrent.futures
import json
import os
import signal
import subprocess
import tempfile
import time
import unittest

from hakotest import HAKO_BIN, HakoTestCase, pid_alive, cgroup_dirs, hako_only, wait_for

# Waits until the host creates /out/go, then exits 0. Keeps the container running meanwhile.
WAIT_FOR_GO = "echo started > /out/started; while [ ! -e /out/go ]; do sleep 0.05; done"
# Records the signals it gets in /out/signals; runs until killed.
TRAP_SIGNALS = (
    "trap 'echo TERM >> /out/signals; exit 0' TERM; "
    "trap 'echo HUP >> /out/signals' HUP; "
    "trap 'echo USR1 >> /out/signals' USR1; "
    "echo ready > /out/ready; while :; do sleep 0.05; done")


class LifecycleTest(HakoTestCase):

    def go(self, bundle):
        open(bundle.out_path("go"), "w").close()

    # -- create / start -------------------------------------------------------------------
    def test_create_reports_created_with_live_init(self):
        b = self.bundle(["sh", "-c", WAIT_FOR_GO])
        pid_file = os.path.join(self.make_tempdir("pidfile-"), "pid")
        cid = self.create(b, None, "--pid-file", pid_file)

        st = self.rt.state(cid)
        self.assertIsNotNone(st, "state failed after create")
        self.assertEqual(st["id"], cid)
        self.assertEqual(st["status"], "created")
        self.assertIsInstance(st["pid"], int)
        self.assertGreater(st["pid"], 0)
        self.assertEqual(os.path.realpath(st["bundle"]), os.path.realpath(b.dir))
        self.assertTrue(os.path.exists("/proc/%d/stat" % st["pid"]))
        self.assertTrue(pid_alive(st["pid"]))
        with open(pid_file) as f:
            self.assertEqual(f.read(), str(st["pid"]), "--pid-file must hold the bare pid")
        # The user process has not run yet.
        time.sleep(0.2)
        self.assertFalse(b.has_out("started"), "process ran before start")

    def test_start_runs_process_then_stops(self):
        b = self.bundle(["sh", "-c", WAIT_FOR_GO])
        cid = self.create(b)
        pid = self.rt.state(cid)["pid"]
        self.rt.ok("start", cid)
        self.assertEqual(self.wait_out(b, "started").strip(), "started")
        st = self.rt.state(cid)
        self.assertEqual(st["status"], "running")
        self.assertEqual(st["pid"], pid, "the init pid changes across start")
        self.assertTrue(pid_alive(pid))

        self.go(b)
        self.wait_status(cid, "stopped")
        st = self.rt.state(cid)
        self.assertEqual(st["pid"], 0, "a stopped container reports pid 0")
        wait_for(lambda: not pid_alive(pid), message="init still alive after stopped")

    @hako_only
    def test_waiting_init_gives_back_its_code_pages(self):
        # Between create and start the init has dropped hako's code from its page tables
        # (process/idle_memory.cpp); what it touches on the way to blocking maps back in, so
        # the code mapping's resident part stays a small fraction of its size. start then
        # faults the code in again and the process runs.
        b = self.bundle(["sh", "-c", WAIT_FOR_GO])
        cid = self.create(b)
        pid = self.rt.state(cid)["pid"]
        code_size = code_rss = None
        with open("/proc/%d/smaps" % pid) as f:
            in_code = False
            for line in f:
                fields = line.split()
                if "-" in fields[0] and len(fields) >= 5 and ":" in fields[3]:
                    in_code = fields[1] == "r-xp" and fields[-1].endswith("hako")
                elif in_code and fields[0] == "Size:":
                    code_size = int(fields[1])
                elif in_code and fields[0] == "Rss:":
                    code_rss = int(fields[1])
        self.assertIsNotNone(code_rss, "no r-xp mapping of hako in /proc/%d/smaps" % pid)
        self.assertGreater(code_size, 1024)
        # One page: the wait's own code, isolated from fault-around's 64 KiB neighbourhood.
        self.assertLessEqual(code_rss, 16, "KiB of hako's %d KiB of code still mapped" % code_size)
        with open("/proc/%d/smaps_rollup" % pid) as f:
            rss = next(int(line.split()[1]) for line in f if line.startswith("Rss:"))
        # The whole init: 572 KiB before any of this, ~150 with it. Issue #6 caps its private
        # memory at 200 kB (195 KiB); all of it is private once the creating hako has exited.
        self.assertLessEqual(rss, 195, "KiB resident in the waiting init")
        self.rt.ok("start", cid)
        self.assertEqual(self.wait_out(b, "started").strip(), "started")
        self.go(b)
        self.wait_status(cid, "stopped")

    def test_every_state_transition(self):
        b = self.bundle(["sh", "-c", WAIT_FOR_GO])
        cid = self.new_id()
        seen = []
        self.create(b, cid)
        seen.append(self.rt.status(cid))
        self.rt.ok("start", cid)
        seen.append(self.rt.status(cid))
        self.wait_out(b, "started")
        self.go(b)
        self.wait_status(cid, "stopped")
        seen.append(self.rt.status(cid))
        self.rt.ok("delete", cid)
        seen.append(self.rt.status(cid))
        self.assertEqual(seen, ["created", "running", "stopped", None])

    def test_start_twice_fails(self):
        b = self.bundle(["sh", "-c", WAIT_FOR_GO])
        cid = self.create(b)
        self.rt.ok("start", cid)
        p = self.rt.start(cid)
        self.assertNotEqual(p.returncode, 0, "second start must fail")
        self.assertEqual(self.rt.status(cid), "running")

    # -- run ------------------------------------------------------------------------------
    def test_run_returns_exit_code(self):
        b = self.bundle(["sh", "-c", "echo hello-from-run; exit 3"])
        cid = self.new_id()
        p = self.run_container(b, cid, expect_status=3)
        self.assertIn("hello-from-run", p.stdout, "container stdout is the caller's stdout")
        self.assertIsNone(self.rt.state(cid), "run must delete the container on exit")

    def run_in_background_until(self, meanwhile):
        """Runs a foreground `hako run` of a process that waits; once it has started, calls
        meanwhile(cid) from outside. Returns (cid, run's exit code, its output)."""
        b = self.bundle(["sh", "-c", "echo started > /out/started; exec sleep 1000"])
        b.write()
        cid = self.new_id()
        with tempfile.TemporaryFile() as out:
            proc = subprocess.Popen(
                [HAKO_BIN, "--root", self.state_root, "run", "--bundle", b.dir, cid],
                stdin=subprocess.DEVNULL, stdout=out, stderr=out)
            try:
                self.wait_out(b, "started")
                meanwhile(cid)
                rc = proc.wait(timeout=20)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            out.seek(0)
            return cid, rc, out.read().decode()

    def test_run_killed_by_signal_returns_128_plus_signal(self):
        cid, rc, _ = self.run_in_background_until(lambda cid: self.rt.ok("kill", cid, "KILL"))
        self.assertEqual(rc, 128 + signal.SIGKILL)
        wait_for(lambda: self.rt.state(cid) is None, message="run did not delete the container")

    def test_many_runs_at_once_all_succeed_and_leave_nothing(self):
        """100 `run`s at once on 2 CPUs: each init makes its device nodes while other
        containers' cgroups are being written, and its own limits are written while it mounts.
        A node made while its devices cgroup went from "deny all" to the allow list failed
        with EPERM (found by the bench's 100 parallel runs)."""
        b = self.bundle(["true"])
        b.write()
        ids = [self.new_id() for _ in range(100)]
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(ids)) as pool:
            results = list(pool.map(lambda cid: self.rt.run(cid, b), ids))
        failed = [(p.returncode, p.stderr.strip()) for p in results if p.returncode != 0]
        self.assertEqual([], failed)
        self.assertEqual([], [c for c in ids if os.path.exists(os.path.join(self.rt.root, c))])
        wait_for(lambda: not any(cgroup_dirs(c) for c in ids), message="cgroups left behind")

    def test_run_whose_container_another_command_deleted(self):
        # run lets go of the container's lock while the process runs; a delete --force from
        # elsewhere then takes the container, and run ends without touching anything more.
        def delete_from_elsewhere(cid):
            self.assertEqual(self.rt.state(cid)["status"], "running")
            self.rt.ok("delete", "--force", cid)

        cid, rc, output = self.run_in_background_until(delete_from_elsewhere)
        self.assertEqual(rc, 128 + signal.SIGKILL, output)
        self.assertNotIn("error", output.lower())
        self.assertIsNone(self.rt.state(cid))
        self.assertFalse(os.path.exists(os.path.join(self.state_root, cid)))
        for d in cgroup_dirs(cid):
            self.assertFalse(os.path.exists(d), d)

    def test_run_detached(self):
        b = self.bundle(["sh", "-c", WAIT_FOR_GO])
        cid = self.new_id()
        b.write()
        t0 = time.monotonic()
        self.rt.ok("run", "-d", "--bundle", b.dir, cid)
        self.assertLess(time.monotonic() - t0, 10, "run -d must not wait for the process")
        st = self.rt.state(cid)
        self.assertEqual(st["status"], "running")
        self.assertTrue(pid_alive(st["pid"]))
        self.wait_out(b, "started")
        self.go(b)
        self.wait_status(cid, "stopped")
        self.rt.ok("delete", cid)

    # -- kill -----------------------------------------------------------------------------
    def start_trapper(self):
        b = self.bundle(["sh", "-c", TRAP_SIGNALS])
        cid, pid = self.start_detached(b)
        self.wait_out(b, "ready")
        return b, cid, pid

    def test_kill_default_is_term(self):
        b, cid, _ = self.start_trapper()
        self.rt.ok("kill", cid)
        self.wait_status(cid, "stopped")
        self.assertEqual(b.read_out("signals").split(), ["TERM"])

    def test_kill_signal_names_and_numbers(self):
        for form, expected in (("TERM", "TERM"), ("SIGTERM", "TERM"), ("15", "TERM"),
                               ("HUP", "HUP"), ("SIGUSR1", "USR1"), ("10", "USR1")):
            with self.subTest(signal=form):
                b, cid, _ = self.start_trapper()
                self.rt.ok("kill", cid, form)
                wait_for(lambda: b.has_out("signals"), message="signal %s not seen" % form)
                time.sleep(0.05)
                self.assertEqual(b.read_out("signals").split(), [expected])
                self.rt.ok("delete", "--force", cid)

    def test_kill_sigkill_forms(self):
        for form in ("SIGKILL", "9", "KILL"):
            with self.subTest(signal=form):
                b = self.bundle(["sh", "-c", "echo r > /out/ready; exec sleep 1000"])
                cid, pid = self.start_detached(b)
                self.wait_out(b, "ready")
                self.rt.ok("kill", cid, form)
                self.wait_status(cid, "stopped")
                wait_for(lambda: not pid_alive(pid), message="init survived %s" % form)
                self.rt.ok("delete", cid)

    def test_kill_invalid_signal_fails(self):
        b, cid, pid = self.start_trapper()
        p = self.rt.kill(cid, "NOSUCHSIG")
        self.assertNotEqual(p.returncode, 0)
        self.assertEqual(self.rt.status(cid), "running")
        self.assertTrue(pid_alive(pid))

    def test_kill_all_reaches_every_process(self):
        # Without a pid namespace the children survive their init's death, so only
        # `kill --all` (every process of the container's cgroup) can reach them.
        b = self.bundle(["sh", "-c", "sleep 1000 & echo $! > /out/child; wait"])
        b.remove_namespace("pid")
        cid, pid = self.start_detached(b)
        child = int(self.wait_out(b, "child"))
        self.assertTrue(pid_alive(child))
        self.rt.ok("kill", "--all", cid, "KILL")
        wait_for(lambda: not pid_alive(child), message="kill --all missed the child")
        wait_for(lambda: not pid_alive(pid), message="kill --all missed the init")
        self.wait_status(cid, "stopped")

    # -- delete ---------------------------------------------------------------------------
    def test_delete_stopped_container_removes_everything(self):
        b = self.bundle(["true"])
        cid, pid = self.start_detached(b)
        self.wait_status(cid, "stopped")
        self.assertTrue(os.path.isdir(os.path.join(self.state_root, cid)))
        self.assertTrue(cgroup_dirs(cid), "expected the container's cgroup dirs")
        self.rt.ok("delete", cid)
        self.assertFalse(os.path.exists(os.path.join(self.state_root, cid)))
        p = self.rt("state", cid)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("does not exist", p.stderr)
        wait_for(lambda: not pid_alive(pid), message="init still alive after delete")
        self.assertEqual(cgroup_dirs(cid), set())

    def test_delete_created_container_kills_init(self):
        b = self.bundle(["sh", "-c", WAIT_FOR_GO])
        cid = self.create(b)
        pid = self.rt.state(cid)["pid"]
        self.rt.ok("delete", cid)
        wait_for(lambda: not pid_alive(pid), message="init alive after delete")
        self.assertIsNone(self.rt.state(cid))
        self.assertFalse(b.has_out("started"), "the process must never have run")

    def test_delete_running_without_force_fails(self):
        b = self.bundle(["sh", "-c", WAIT_FOR_GO])
        cid, pid = self.start_detached(b)
        p = self.rt.delete(cid)
        self.assertNotEqual(p.returncode, 0, "deleting a running container needs --force")
        self.assertEqual(self.rt.status(cid), "running")
        self.assertTrue(pid_alive(pid))
        self.assertTrue(os.path.isdir(os.path.join(self.state_root, cid)))

    def test_delete_force_running(self):
        b = self.bundle(["sh", "-c", WAIT_FOR_GO])
        cid, pid = self.start_detached(b)
        self.wait_out(b, "started")
        self.rt.ok("delete", "--force", cid)
        wait_for(lambda: not pid_alive(pid), message="init alive after delete --force")
        self.assertIsNone(self.rt.state(cid))
        self.assertFalse(os.path.exists(os.path.join(self.state_root, cid)))
        wait_for(lambda: not cgroup_dirs(cid), message="cgroup dirs left after delete")

    # -- list -----------------------------------------------------------------------------
    def test_list(self):
        b1 = self.bundle(["sh", "-c", WAIT_FOR_GO])
        b2 = self.bundle(["sh", "-c", WAIT_FOR_GO])
        c1 = self.create(b1)
        c2, pid2 = self.start_detached(b2)

        q = self.rt.ok("list", "-q").stdout.split()
        self.assertEqual(sorted(q), sorted([c1, c2]))

        rows = json.loads(self.rt.ok("list", "--format", "json").stdout)
        self.assertIsInstance(rows, list)
        by_id = {r["id"]: r for r in rows}
        self.assertEqual(set(by_id), {c1, c2})
        self.assertEqual(by_id[c1]["status"], "created")
        self.assertEqual(by_id[c2]["status"], "running")
        self.assertEqual(by_id[c2]["pid"], pid2)
        self.assertEqual(os.path.realpath(by_id[c2]["bundle"]), os.path.realpath(b2.dir))

        table = self.rt.ok("list").stdout.splitlines()
        self.assertEqual(table[0].split(),
                         ["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"])
        body = {line.split()[0]: line.split() for line in table[1:] if line.strip()}
        self.assertEqual(set(body), {c1, c2})
        self.assertEqual(body[c2][1], str(pid2))
        self.assertEqual(body[c2][2], "running")
        self.assertEqual(body[c1][2], "created")

    def test_list_empty(self):
        p = self.rt.ok("list", "-q")
        self.assertEqual(p.stdout.strip(), "")
        table = self.rt.ok("list").stdout.splitlines()
        self.assertEqual(table[0].split()[0], "ID")
        self.assertEqual([l for l in table[1:] if l.strip()], [])

    # -- errors ---------------------------------------------------------------------------
    def test_duplicate_id_fails_and_keeps_first(self):
        b1 = self.bundle(["sh", "-c", WAIT_FOR_GO])
        cid = self.create(b1)
        st1 = self.rt.state(cid)
        b2 = self.bundle(["sh", "-c", "echo second > /out/second"])
        b2.write()
        p = self.rt.create(cid, b2)
        self.assertNotEqual(p.returncode, 0, "duplicate id must fail")
        st = self.rt.state(cid)
        self.assertEqual(st["status"], "created")
        self.assertEqual(st["pid"], st1["pid"])
        self.assertEqual(os.path.realpath(st["bundle"]), os.path.realpath(b1.dir))
        self.assertTrue(pid_alive(st1["pid"]))
        # The first container still works.
        self.rt.ok("start", cid)
        self.wait_out(b1, "started")
        self.assertFalse(b2.has_out("second"))

    def test_unknown_id(self):
        for cmd in (["state"], ["start"], ["kill"], ["kill", "--all"], ["delete"]):
            with self.subTest(cmd=cmd):
                args = cmd[:1] + cmd[1:] + ["hkt-nosuch"]
                if cmd[0] == "kill":
                    args.append("KILL")
                p = self.rt(*args)
                self.assertNotEqual(p.returncode, 0)
                self.assertIn("does not exist", p.stderr)

    def test_create_missing_bundle_dir(self):
        missing = os.path.join(self.make_tempdir("nob-"), "no", "such", "bundle")
        cid = self.new_id()
        p = self.rt("create", "--bundle", missing, cid)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(missing, p.stderr)
        self.assertIsNone(self.rt.state(cid))
        self.assertFalse(os.path.exists(os.path.join(self.state_root, cid)))


if __name__ == "__main__":
    unittest.main()
