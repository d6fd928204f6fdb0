"""The command-line behaviour engines depend on, checked on hako and on runc side by side.

Each scenario runs with $HAKO_BIN and with the installed runc (skipped when there is none),
each with its own --root, and asserts the substrings and shapes that containerd, Podman/
conmon, CRI-O and Docker read back (docs: landscape section 5): exit codes, runc's error
phrases, the --log file in json and text, --version, `state` and `list --format json`,
kill by signal name and number, and the pid file. Not byte-identical output.
"""

import datetime
import json
import os
import re
import shutil
import struct
import subprocess
import tempfile
import unittest

from hakotest import (DEFAULT_TIMEOUT, HAKO_BIN, KEEP_RUNNING, HakoTestCase, hako_only, is_runc,
                      wait_for)

RUNC = shutil.which("runc") or ""
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
STATE_FIELDS = {"ociVersion", "id", "pid", "status", "bundle", "rootfs", "created", "owner"}


class Side:
    """One runtime binary with its own state root."""

    def __init__(self, test, name, binary):
        self.test = test
        self.name = name
        self.binary = binary
        self.root = test.make_tempdir("root-%s-" % name)

    def __call__(self, *args, global_args=(), timeout=DEFAULT_TIMEOUT):
        cmd = [self.binary, "--root", self.root, *global_args, *[str(a) for a in args]]
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            try:
                proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                      timeout=timeout)
            except subprocess.TimeoutExpired:
                raise AssertionError("timed out: %s" % " ".join(cmd))
            out.seek(0)
            err.seek(0)
            return subprocess.CompletedProcess(cmd, proc.returncode, out.read(), err.read())

    def ok(self, *args, **kw):
        p = self(*args, **kw)
        if p.returncode != 0:
            raise AssertionError("%s: %s exited %d: %s" % (self.name, " ".join(p.args),
                                                           p.returncode, p.stderr))
        return p

    def create(self, bundle, cid, *extra, **kw):
        bundle.write()
        self.test.addCleanup(self.force_delete, cid)
        return self("create", "--bundle", bundle.dir, *extra, cid, **kw)

    def force_delete(self, cid):
        self("delete", "--force", cid)

    def state(self, cid):
        p = self("state", cid)
        return json.loads(p.stdout) if p.returncode == 0 else None


@unittest.skipUnless(RUNC, "runc is not installed")
class CompatTestCase(HakoTestCase):
    def sides(self):
        # With HAKO_BIN=runc (validating the suite) both sides are runc.
        return [Side(self, "runc" if is_runc() else "hako", HAKO_BIN), Side(self, "runc", RUNC)]

    def each_side(self):
        """Both runtimes; assertion messages name the one that failed."""
        return self.sides()

    def running_bundle(self, script=KEEP_RUNNING):
        return self.bundle(["sh", "-c", script])

    def assertError(self, p, side, *needles, code=1):
        """Exit code 1 (runc's fatal) and each needle in the message on stderr (runc's
        logrus line escapes quotes; the message engines read is unescaped)."""
        self.assertEqual(p.returncode, code, "%s: %s\nstderr: %s" % (side.name, p.args, p.stderr))
        message = p.stderr.replace('\\"', '"')
        for needle in needles:
            self.assertIn(needle, message, "%s does not say %r" % (side.name, needle))

    def assertRfc3339(self, text):
        self.assertRegex(text, RFC3339)
        datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


class TestErrorPhrases(CompatTestCase):
    def test_unknown_container_does_not_exist(self):
        """containerd ignores "does not exist" on delete; Podman's state treats it as gone."""
        for side in self.each_side():
            for command in (["state"], ["delete"], ["kill"], ["start"], ["ps"], ["pause"],
                            ["resume"]):
                p = side(*command, "hkt-no-such-container")
                self.assertError(p, side, "does not exist")

    def test_forced_delete_of_a_missing_container_succeeds(self):
        """runc's delete --force of an id that is gone exits 0 (engines delete twice)."""
        for side in self.each_side():
            p = side("delete", "--force", "hkt-no-such-container")
            self.assertEqual(p.returncode, 0, "%s: %s" % (side.name, p.stderr))

    def test_kill_of_a_stopped_container_is_container_not_running(self):
        """CRI-O maps "container not running" to not-found."""
        for side in self.each_side():
            b = self.bundle(["true"])
            cid = self.new_id()
            side.create(b, cid)
            side.ok("start", cid)
            wait_for(lambda: side.state(cid)["status"] == "stopped")
            self.assertError(side("kill", cid, "KILL"), side, "container not running")
            self.assertError(side("kill", cid, "9"), side, "container not running")
            side.ok("delete", cid)

    def test_missing_command_fails_create_with_executable_file_not_found(self):
        """Docker and Podman map this phrase to exit code 127."""
        for side in self.each_side():
            b = self.bundle(["hkt-nosuchcmd"])
            p = side.create(b, self.new_id())
            self.assertError(p, side,
                             'exec: "hkt-nosuchcmd": executable file not found in $PATH')

    def test_missing_absolute_command_is_no_such_file_or_directory(self):
        for side in self.each_side():
            b = self.bundle(["/hkt/missing"])
            p = side.create(b, self.new_id())
            self.assertError(p, side, 'exec: "/hkt/missing": stat /hkt/missing: '
                                      'no such file or directory')

    def test_non_executable_command_is_permission_denied(self):
        """Docker and Podman map "permission denied" (lower case) to exit code 126."""
        for side in self.each_side():
            b = self.bundle(["/etc/passwd"])
            p = side.create(b, self.new_id())
            self.assertError(p, side, 'exec: "/etc/passwd": permission denied')

    def test_unknown_command_exits_non_zero(self):
        for side in self.each_side():
            p = side("hkt-bogus-command")
            self.assertNotEqual(p.returncode, 0, side.name)

    def test_start_twice_is_an_error(self):
        for side in self.each_side():
            b = self.running_bundle()
            cid = self.new_id()
            side.create(b, cid)
            side.ok("start", cid)
            self.assertNotEqual(side("start", cid).returncode, 0)


class TestLogs(CompatTestCase):
    def failing_create(self, side, *global_args):
        b = self.bundle(["hkt-nosuchcmd"])
        return side.create(b, self.new_id(), global_args=global_args)

    def test_json_log_of_a_failed_create_is_one_error_object(self):
        """Podman reads the whole file as one JSON object; containerd keeps the last
        error line and needs an RFC 3339 time."""
        for side in self.each_side():
            log = os.path.join(self.make_tempdir("log-"), "log.json")
            p = self.failing_create(side, "--log", log, "--log-format", "json")
            self.assertEqual(p.returncode, 1)
            with open(log) as f:
                text = f.read()
            lines = text.splitlines()
            self.assertEqual(len(lines), 1, "%s wrote %r" % (side.name, text))
            entry = json.loads(text)  # the whole file, as Podman reads it
            self.assertEqual(entry["level"], "error")
            self.assertIn("executable file not found in $PATH", entry["msg"])
            self.assertRfc3339(entry["time"])
            # With the log in a file, the error is printed on stderr too (conmon forwards it).
            self.assertIn("executable file not found in $PATH", p.stderr)

    def test_usage_error_goes_to_the_json_log(self):
        for side in self.each_side():
            log = os.path.join(self.make_tempdir("log-"), "log.json")
            p = side("hkt-bogus-command", global_args=("--log", log, "--log-format", "json"))
            self.assertNotEqual(p.returncode, 0)
            with open(log) as f:
                text = f.read()
            self.assertEqual(len(text.splitlines()), 1, "%s wrote %r" % (side.name, text))
            self.assertEqual(json.loads(text)["level"], "error")
            self.assertIn("bogus", p.stderr)

    def test_unusable_log_file_fails(self):
        for side in self.each_side():
            log = os.path.join(self.make_tempdir("log-"), "no", "such", "dir", "log.json")
            p = side("list", global_args=("--log", log, "--log-format", "json"))
            self.assertEqual(p.returncode, 1, side.name)
            self.assertIn(log, p.stderr)

    def test_text_log_file_has_logrus_lines(self):
        for side in self.each_side():
            log = os.path.join(self.make_tempdir("log-"), "log.txt")
            p = self.failing_create(side, "--log", log, "--log-format", "text")
            self.assertEqual(p.returncode, 1)
            with open(log) as f:
                lines = f.read().splitlines()
            self.assertEqual(len(lines), 1, side.name)
            m = re.match(r'^time="([^"]+)" level=error msg="(.*)"$', lines[0])
            self.assertIsNotNone(m, "%s: %r" % (side.name, lines[0]))
            self.assertRfc3339(m.group(1))
            # The message's own quotes are escaped, as logrus does.
            self.assertIn(r'exec: \"hkt-nosuchcmd\"', m.group(2))

    def test_json_log_appends(self):
        """containerd gives every exec its own file but reuses the init's across calls."""
        for side in self.each_side():
            log = os.path.join(self.make_tempdir("log-"), "log.json")
            for _ in range(2):
                self.failing_create(side, "--log", log, "--log-format", "json")
            with open(log) as f:
                entries = [json.loads(line) for line in f]
            self.assertEqual([e["level"] for e in entries], ["error", "error"])

    def test_debug_adds_debug_lines(self):
        for side in self.each_side():
            log = os.path.join(self.make_tempdir("log-"), "log.json")
            b = self.bundle(["true"])
            cid = self.new_id()
            p = side.create(b, cid, global_args=("--log", log, "--log-format", "json",
                                                 "--debug"))
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(log) as f:
                entries = [json.loads(line) for line in f]
            self.assertIn("debug", [e["level"] for e in entries], side.name)
            for e in entries:
                self.assertRfc3339(e["time"])

    def test_successful_commands_log_nothing_at_the_default_level(self):
        for side in self.each_side():
            log = os.path.join(self.make_tempdir("log-"), "log.json")
            g = ("--log", log, "--log-format", "json")
            b = self.bundle(["true"])
            cid = self.new_id()
            self.assertEqual(side.create(b, cid, global_args=g).returncode, 0)
            side.ok("start", cid, global_args=g)
            wait_for(lambda: side.state(cid)["status"] == "stopped")
            side.ok("state", cid, global_args=g)
            side.ok("delete", cid, global_args=g)
            self.assertEqual(os.path.getsize(log) if os.path.exists(log) else 0, 0, side.name)

    def test_global_flags_engines_pass_are_accepted(self):
        """containerd passes --rootless only when set; CRI-O/Podman pass --systemd-cgroup on
        every call (only commands that make cgroups need the driver)."""
        for side in self.each_side():
            for flags in (("--rootless", "false"), ("--rootless", "auto"), ("--rootless=true",),
                          ("--systemd-cgroup",), ("--debug",)):
                p = side("list", global_args=flags)
                self.assertEqual(p.returncode, 0, "%s %s: %s" % (side.name, flags, p.stderr))


class TestOutputs(CompatTestCase):
    def test_version_has_runcs_shape(self):
        for side in self.each_side():
            lines = side.ok("--version").stdout.splitlines()
            self.assertRegex(lines[0], r"^%s version \d+\.\d+\.\d+" % side.name)
            self.assertTrue(lines[1].startswith("commit: "), lines)
            self.assertTrue(any(re.match(r"^spec: 1\.\d+\.\d+", l) for l in lines), lines)

    def test_state_and_list_fields_through_the_lifecycle(self):
        for side in self.each_side():
            b = self.running_bundle()
            b.set("annotations", {"org.example/a": "1", "b": "two"})
            cid = self.new_id()
            self.assertEqual(side.create(b, cid).returncode, 0)

            st = side.state(cid)
            self.assertLessEqual(STATE_FIELDS, set(st), side.name)
            self.assertEqual(st["status"], "created")
            self.assertEqual(st["id"], cid)
            self.assertEqual(st["bundle"], b.dir)
            self.assertEqual(st["rootfs"], b.rootfs)
            # runc names the spec version it implements; hako the config's.
            self.assertRegex(st["ociVersion"], r"^1\.\d+\.\d+")
            if side.name == "hako":
                self.assertEqual(st["ociVersion"], "1.2.0")
            self.assertEqual(st["annotations"], {"org.example/a": "1", "b": "two"})
            self.assertGreater(st["pid"], 0)
            self.assertRfc3339(st["created"])

            listed = json.loads(side.ok("list", "--format", "json").stdout)
            self.assertEqual([e["id"] for e in listed], [cid])
            self.assertLessEqual(STATE_FIELDS, set(listed[0]))
            self.assertEqual(listed[0]["status"], "created")
            self.assertEqual(listed[0]["pid"], st["pid"])
            self.assertEqual(listed[0]["annotations"], st["annotations"])

            side.ok("start", cid)
            self.wait_out(b, "ready")
            self.assertEqual(side.state(cid)["status"], "running")
            side.ok("kill", cid, "KILL")
            wait_for(lambda: side.state(cid)["status"] == "stopped")
            st = side.state(cid)
            self.assertEqual(st["pid"], 0)  # runc: pid 0 once stopped
            listed = json.loads(side.ok("list", "--format", "json").stdout)
            self.assertEqual((listed[0]["status"], listed[0]["pid"]), ("stopped", 0))
            side.ok("delete", cid)
            # runc prints null for none, hako [].
            self.assertIn(json.loads(side.ok("list", "--format", "json").stdout), ([], None))

    def test_list_of_an_empty_root_is_an_empty_json_array(self):
        for side in self.each_side():
            out = side.ok("list", "--format", "json").stdout.strip()
            self.assertIn(out, ("[]", "null"))
            if side.name == "hako":
                self.assertEqual(out, "[]")

    def test_pid_file_exists_when_create_returns(self):
        """conmon counts a missing pid file as failure; runc writes the decimal pid with
        no newline, atomically (a temp file renamed)."""
        for side in self.each_side():
            b = self.running_bundle()
            cid = self.new_id()
            pid_dir = self.make_tempdir("pid-")
            pid_file = os.path.join(pid_dir, "init.pid")
            self.assertEqual(side.create(b, cid, "--pid-file", pid_file).returncode, 0)
            with open(pid_file) as f:
                text = f.read()
            self.assertRegex(text, r"^[1-9]\d*$")
            self.assertEqual(int(text), side.state(cid)["pid"])
            self.assertEqual(os.listdir(pid_dir), ["init.pid"])  # no temp file left

    def test_kill_takes_signal_names_and_numbers(self):
        """CRI-O sends names ("KILL", the stop signal), containerd numbers."""
        script = ('trap "echo usr1 >> /out/sig" USR1; trap "echo usr2 >> /out/sig" USR2; '
                  + KEEP_RUNNING)
        for side in self.each_side():
            b = self.running_bundle(script)
            cid = self.new_id()
            side.create(b, cid)
            side.ok("start", cid)
            self.wait_out(b, "ready")
            expected = []
            for sig, name in (("USR1", "usr1"), ("SIGUSR2", "usr2"), ("10", "usr1"),
                              ("12", "usr2")):
                side.ok("kill", cid, sig)
                expected.append(name)
                wait_for(lambda: b.has_out("sig") and
                         b.read_out("sig").split() == expected,
                         message="%s: kill %s not delivered" % (side.name, sig))
            self.assertNotEqual(side("kill", cid, "NOSUCHSIG").returncode, 0)
            side.ok("kill", cid, "KILL")
            wait_for(lambda: side.state(cid)["status"] == "stopped")

    def test_kill_all_reaches_every_process(self):
        for side in self.each_side():
            b = self.running_bundle("sleep 1000 & " + KEEP_RUNNING)
            cid = self.new_id()
            side.create(b, cid)
            side.ok("start", cid)
            self.wait_out(b, "ready")
            side.ok("kill", "--all", cid, "KILL")
            wait_for(lambda: side.state(cid)["status"] == "stopped")


PT_INTERP, PT_GNU_EH_FRAME = 3, 0x6474E550


def program_header_types(path):
    """The p_type of every program header of a 64-bit little-endian ELF file."""
    with open(path, "rb") as f:
        header = f.read(64)
        if header[:4] != b"\x7fELF" or header[4] != 2 or header[5] != 1:
            raise AssertionError("%s is not a 64-bit little-endian ELF file" % path)
        phoff, = struct.unpack_from("<Q", header, 0x20)
        phentsize, phnum = struct.unpack_from("<HH", header, 0x36)
        types = []
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            types.append(struct.unpack("<I", f.read(4))[0])
        return types


@hako_only
class TestStaticBinary(HakoTestCase):
    def test_exceptions_are_found_through_the_sorted_eh_frame_table(self):
        # A static link registers .eh_frame with libgcc, whose first throw then sorts every
        # frame description (0.7 ms on each failing command); hako's link keeps the
        # PT_GNU_EH_FRAME table instead (src/static_link/unwind_registry.cpp). Failing commands
        # must still fail cleanly, which needs exceptions to unwind.
        types = program_header_types(HAKO_BIN)
        if PT_INTERP in types:
            self.skipTest("a dynamically linked hako uses the dynamic loader's tables")
        self.assertIn(PT_GNU_EH_FRAME, types)
        root = self.make_tempdir("root-")
        p = subprocess.run([HAKO_BIN, "--root", root, "state", "no-such-container"],
                           capture_output=True, text=True, timeout=DEFAULT_TIMEOUT)
        self.assertEqual(p.returncode, 1)
        self.assertIn("does not exist", p.stderr)


if __name__ == "__main__":
    unittest.main()
