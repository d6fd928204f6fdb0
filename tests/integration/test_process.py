"""The container process: cwd, env, args, user, umask, rlimits, caps, oom score, exit status."""

import os
import unittest

from hakotest import KEEP_RUNNING, HakoTestCase, hako_only, parse_status, proc_limits


def cap_mask(*bits):
    return "%016x" % sum(1 << b for b in bits)


CAP_KILL, CAP_NET_BIND_SERVICE, CAP_AUDIT_WRITE = 5, 10, 29


class ProcessTest(HakoTestCase):

    def run_status(self, bundle):
        """Runs bundle with a script that saves /proc/self/status; returns it parsed."""
        bundle.args = ["sh", "-c", "cat /proc/self/status > /out/status"]
        self.run_container(bundle)
        return parse_status(bundle.read_out("status"))

    def test_cwd(self):
        b = self.bundle(["sh", "-c", "pwd > /out/pwd"])
        b.set("process.cwd", "/tmp")
        self.run_container(b)
        self.assertEqual(b.read_out("pwd").strip(), "/tmp")

    def test_env(self):
        b = self.bundle(["sh", "-c", 'echo "$HKT_VAR" > /out/var; echo "$PATH" > /out/path;'
                         ' env > /out/env'])
        b.add_env("HKT_VAR=hello world=x")
        self.run_container(b)
        self.assertEqual(b.read_out("var").strip(), "hello world=x")
        self.assertEqual(b.read_out("path").strip(),
                         "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        env = b.read_out("env").splitlines()
        self.assertIn("TERM=xterm", env)
        self.assertFalse([e for e in env if e.startswith("HAKO_")],
                         "the runtime's own environment leaked into the container")

    def test_args_passed_verbatim(self):
        b = self.bundle(["sh", "-c", "for a in \"$@\"; do echo \"[$a]\"; done > /out/args",
                         "argv0", "a b", "", "c'd", "$HOME"])
        self.run_container(b)
        self.assertEqual(b.read_out("args").splitlines(), ["[a b]", "[]", "[c'd]", "[$HOME]"])

    def test_home_comes_from_the_containers_passwd(self):
        for uid, home in ((1000, "/home/app"), (4242, "/")):
            with self.subTest(uid=uid):
                b = self.bundle(["sh", "-c", 'echo "$HOME" > /out/home'])
                with open(os.path.join(b.rootfs, "etc/passwd"), "a") as passwd:
                    passwd.write("app:x:1000:1000:app:/home/app:/bin/sh\n")
                b.set("process.user", {"uid": uid, "gid": uid})
                self.run_container(b)
                self.assertEqual(b.read_out("home").strip(), home)

    @hako_only
    def test_home_with_a_fifo_as_passwd_is_root_and_does_not_hang(self):
        # The runtime reads /etc/passwd inside the container; a FIFO there with no writer
        # must not block it (nor a device feed it).
        b = self.bundle(["sh", "-c", 'echo "$HOME" > /out/home'])
        passwd = os.path.join(b.rootfs, "etc/passwd")
        os.unlink(passwd)
        os.mkfifo(passwd)
        self.run_container(b, timeout=20)
        self.assertEqual(b.read_out("home").strip(), "/")

    def test_user_uid_gid_additional_gids(self):
        b = self.bundle()
        b.set("process.user", {"uid": 1000, "gid": 1001, "additionalGids": [2000, 3000]})
        status = self.run_status(b)
        self.assertEqual(status["Uid"].split(), ["1000"] * 4)
        self.assertEqual(status["Gid"].split(), ["1001"] * 4)
        self.assertEqual(sorted(status["Groups"].split()), ["2000", "3000"])

    def test_root_user_has_no_supplementary_groups(self):
        status = self.run_status(self.bundle())
        self.assertEqual(status["Uid"].split(), ["0"] * 4)
        self.assertEqual(status["Gid"].split(), ["0"] * 4)
        self.assertEqual(status["Groups"].split(), [])

    def test_umask(self):
        b = self.bundle()
        b.set("process.user.umask", 0o027)
        self.assertEqual(self.run_status(b)["Umask"], "0027")

    def test_no_new_privileges(self):
        for value, expected in ((True, "1"), (False, "0")):
            with self.subTest(noNewPrivileges=value):
                b = self.bundle()
                b.set("process.noNewPrivileges", value)
                self.assertEqual(self.run_status(b)["NoNewPrivs"], expected)

    def test_capabilities(self):
        status = self.run_status(self.bundle())
        want = cap_mask(CAP_KILL, CAP_NET_BIND_SERVICE, CAP_AUDIT_WRITE)
        self.assertEqual(status["CapBnd"], want)
        self.assertEqual(status["CapEff"], want)
        self.assertEqual(status["CapPrm"], want)
        self.assertEqual(status["CapInh"], "0" * 16)
        self.assertEqual(status["CapAmb"], "0" * 16)

    def test_rlimits(self):
        b = self.bundle(["sh", "-c", "ulimit -n > /out/nofile; " + KEEP_RUNNING])
        b.set("process.rlimits", [
            {"type": "RLIMIT_NOFILE", "soft": 1234, "hard": 2345},
            {"type": "RLIMIT_CORE", "soft": 4096, "hard": 8192},
        ])
        cid, pid = self.start_detached(b)
        self.wait_out(b, "ready")
        limits = proc_limits(pid)
        self.assertEqual(limits["RLIMIT_NOFILE"], ("1234", "2345"))
        self.assertEqual(limits["RLIMIT_CORE"], ("4096", "8192"))
        self.assertEqual(b.read_out("nofile").strip(), "1234")

    def test_oom_score_adj(self):
        b = self.bundle(["sh", "-c", KEEP_RUNNING])
        b.set("process.oomScoreAdj", 345)
        cid, pid = self.start_detached(b)
        self.wait_out(b, "ready")
        with open("/proc/%d/oom_score_adj" % pid) as f:
            self.assertEqual(f.read().strip(), "345")

    def test_exit_status_propagates(self):
        for code in (0, 1, 42, 255):
            with self.subTest(code=code):
                self.run_container(self.bundle(["sh", "-c", "exit %d" % code]),
                                   expect_status=code)

    def test_pid_1_inside(self):
        b = self.bundle(["sh", "-c", "echo $$ > /out/pid"])
        self.run_container(b)
        self.assertEqual(b.read_out("pid").strip(), "1")

    def test_stdio_of_run_is_callers(self):
        b = self.bundle(["sh", "-c", "echo to-stdout; echo to-stderr >&2"])
        p = self.run_container(b)
        self.assertIn("to-stdout", p.stdout)
        self.assertIn("to-stderr", p.stderr)
        self.assertNotIn("to-stderr", p.stdout)


if __name__ == "__main__":
    unittest.main()
