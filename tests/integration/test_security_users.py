"""Advisories about which user and which capabilities the container's processes get:

- CVE-2016-3697: a numeric uid looked up as a user name (/etc/passwd "1000:x:0:0").
- CVE-2026-30892: loose `exec -u UID[:GID]` parsing.
- CVE-2022-27650 (crun: every process), CVE-2022-29162 (runc: exec --cap), CVE-2025-27612
  (youki: exec's process): non-empty inheritable capabilities that a file's capabilities then
  raise at execve (src/core/security/capabilities.cpp; exec --cap, exec --process).

Every expectation is read from /proc/PID/status."""

import json
import os
import shutil
import struct
import time
import unittest

from hakotest import KEEP_RUNNING, HakoTestCase, hako_only, is_runc, parse_status

CAP_NET_ADMIN, CAP_NET_RAW, CAP_KILL, CAP_NET_BIND_SERVICE, CAP_AUDIT_WRITE = 12, 13, 5, 10, 29
VFS_CAP_REVISION_2 = 0x02000000
VFS_CAP_FLAGS_EFFECTIVE = 0x000001


def cap_bits(mask):
    return {bit for bit in range(64) if int(mask, 16) >> bit & 1}


def file_caps(permitted=(), inheritable=(), effective=True):
    """The security.capability xattr value (VFS_CAP_REVISION_2) of `setcap`."""
    def words(caps):
        mask = 0
        for cap in caps:
            mask |= 1 << cap
        return mask & 0xFFFFFFFF, mask >> 32
    p_lo, p_hi = words(permitted)
    i_lo, i_hi = words(inheritable)
    magic = VFS_CAP_REVISION_2 | (VFS_CAP_FLAGS_EFFECTIVE if effective else 0)
    return struct.pack("<5I", magic, p_lo, i_lo, p_hi, i_hi)


class SecurityUsersTest(HakoTestCase):

    def running(self, bundle=None):
        b = bundle or self.bundle(["sh", "-c", KEEP_RUNNING])
        cid, pid = self.start_detached(b)
        self.wait_out(b, "ready")
        return b, cid, pid

    def exec_status(self, b, cid, *extra):
        name = "st-%d" % time.monotonic_ns()
        self.rt.ok("exec", *extra, cid, "sh", "-c", "cat /proc/self/status > /out/" + name)
        return parse_status(b.read_out(name))

    def add_passwd(self, bundle, *lines):
        with open(os.path.join(bundle.rootfs, "etc", "passwd"), "a") as f:
            for line in lines:
                f.write(line + "\n")

    # -- CVE-2016-3697 ---------------------------------------------------------------------
    def test_cve_2016_3697_numeric_uid_is_not_a_user_name(self):
        """/etc/passwd names a user "1000" with uid 0: uid 1000 (config or `exec -u 1000`)
        must run as uid 1000, never as that user's uid 0."""
        b = self.bundle(["sh", "-c", "cat /proc/self/status > /out/status; " + KEEP_RUNNING])
        self.add_passwd(b, "1000:x:0:0:evil:/root:/bin/sh")
        with open(os.path.join(b.rootfs, "etc", "group"), "a") as f:
            f.write("1000:x:0:\n")
        b.set("process.user", {"uid": 1000, "gid": 1000})
        b, cid, pid = self.running(b)
        status = parse_status(b.read_out("status"))
        self.assertEqual(status["Uid"].split(), ["1000"] * 4)
        self.assertEqual(status["Gid"].split(), ["1000"] * 4)
        status = self.exec_status(b, cid, "-u", "1000")
        self.assertEqual(status["Uid"].split(), ["1000"] * 4)

    # -- CVE-2026-30892 --------------------------------------------------------------------
    @hako_only  # runc 1.1.5 parses -u more loosely (e.g. "+5"), as crun did before 1.27
    def test_cve_2026_30892_exec_user_parsing(self):
        """`exec -u` takes UID[:GID] in decimal and nothing else: every accepted form runs
        with exactly those ids, every other is a one-line error and runs nothing."""
        b, cid, _ = self.running()
        good = {"1000": ("1000", "0"), "1000:1000": ("1000", "1000"), "0:5": ("0", "5"),
                "4294967294:7": ("4294967294", "7")}
        for spec, (uid, gid) in good.items():
            with self.subTest(user=spec):
                status = self.exec_status(b, cid, "-u", spec)
                self.assertEqual(status["Uid"].split(), [uid] * 4)
                self.assertEqual(status["Gid"].split(), [gid] * 4)
        bad = ["1000:", ":5", "abc", "-1", "4294967296", "1000:4294967296",
               "18446744073709551617", "1000:1000:1", "1e3", " 1000", "0x10", "+5"]
        for i, spec in enumerate(bad):
            with self.subTest(user=spec):
                marker = "ran-%d" % i
                p = self.rt("exec", "-u", spec, cid, "sh", "-c", "touch /out/" + marker)
                self.assertNotEqual(p.returncode, 0, "exec -u %r succeeded" % spec)
                self.assertFalse(b.has_out(marker), "exec -u %r ran the process" % spec)
                if not is_runc():
                    self.assertOneLineError(p, "user")

    # -- CVE-2022-29162 and family -----------------------------------------------------------
    def fcap_bundle(self, command):
        """A bundle whose /fcap/cat is busybox (its applet chosen by the name) with file
        capabilities CAP_NET_ADMIN and CAP_NET_RAW in its inheritable and effective sets
        (`setcap cap_net_admin,cap_net_raw+ei`), and no no_new_privs (which would disable
        file capabilities)."""
        b = self.bundle(["sh", "-c", command])
        os.mkdir(os.path.join(b.rootfs, "fcap"))
        path = os.path.join(b.rootfs, "fcap", "cat")
        shutil.copy2(os.path.join(b.rootfs, "bin", "busybox"), path)
        os.setxattr(path, "security.capability",
                    file_caps(inheritable=(CAP_NET_ADMIN, CAP_NET_RAW)))
        b.set("process.noNewPrivileges", False)
        caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_ADMIN",
                "CAP_NET_RAW"]
        # NET_ADMIN and NET_RAW may be gained (they are in bounding) but are not granted.
        b.set("process.capabilities", {"bounding": caps, "effective": list(caps[:3]),
                                       "permitted": list(caps[:3])})
        return b

    def test_cve_2022_27650_inheritable_caps_stay_empty(self):
        """The default capabilities (and any config without "inheritable") give CapInh 0, so
        the +ei file capability gains nothing at execve for a non-root user (root gets its
        bounding set at every execve anyway, which is why CapInh matters for other uids)."""
        b = self.fcap_bundle("cat /proc/self/status > /out/shell; "
                             "/fcap/cat /proc/self/status > /out/fcap")
        b.set("process.user", {"uid": 1000, "gid": 1000})
        self.run_container(b)
        shell = parse_status(b.read_out("shell"))
        fcap = parse_status(b.read_out("fcap"))
        for status in (shell, fcap):
            self.assertEqual(status["CapInh"], "0" * 16)
            self.assertEqual(status["CapAmb"], "0" * 16)
            self.assertEqual(status["CapEff"], "0" * 16)
            self.assertEqual(status["CapPrm"], "0" * 16)
        # As root too, nothing is inheritable.
        b = self.fcap_bundle("cat /proc/self/status > /out/shell")
        self.run_container(b)
        self.assertEqual(parse_status(b.read_out("shell"))["CapInh"], "0" * 16)

    def test_cve_2022_27650_control_inheritable_caps_do_flow(self):
        """The control that the file capability works: listed in process.capabilities
        .inheritable, CAP_NET_ADMIN is raised by the +ei file for uid 1000 (NET_RAW, not
        inheritable, is not)."""
        b = self.fcap_bundle("/fcap/cat /proc/self/status > /out/fcap")
        b.set("process.user", {"uid": 1000, "gid": 1000})
        b.set("process.capabilities.inheritable", ["CAP_NET_ADMIN"])
        b.set("process.capabilities.permitted",
              ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_ADMIN"])
        self.run_container(b)
        fcap = parse_status(b.read_out("fcap"))
        self.assertEqual(cap_bits(fcap["CapEff"]), {CAP_NET_ADMIN})

    @hako_only
    def test_cve_2022_29162_exec_cap_not_inheritable(self):
        """`exec --cap CAP_NET_ADMIN` adds it to bounding, effective and permitted, never to
        inheritable: run as uid 1000, the +ei file gains nothing."""
        b = self.fcap_bundle(KEEP_RUNNING)
        b, cid, _ = self.running(b)
        status = self.exec_status(b, cid, "--cap", "CAP_NET_ADMIN")
        self.assertEqual(status["CapInh"], "0" * 16)
        self.assertIn(CAP_NET_ADMIN, cap_bits(status["CapEff"]))
        name = "fcap-%d" % time.monotonic_ns()
        self.rt.ok("exec", "-u", "1000:1000", "--cap", "CAP_NET_ADMIN", cid, "sh", "-c",
                   "/fcap/cat /proc/self/status > /out/" + name)
        fcap = parse_status(b.read_out(name))
        self.assertEqual(fcap["CapInh"], "0" * 16)
        self.assertEqual(fcap["CapEff"], "0" * 16)

    @hako_only
    def test_cve_2025_27612_exec_process_file_caps_not_inheritable(self):
        """youki's tenant builder (its exec) gave the new process inheritable capabilities.
        `exec --process` with capabilities that list none: CapInh stays 0 and the +ei file
        gains nothing as uid 1000."""
        b = self.fcap_bundle(KEEP_RUNNING)
        b, cid, _ = self.running(b)
        caps = ["CAP_KILL", "CAP_NET_ADMIN", "CAP_NET_RAW"]
        process = {
            "terminal": False,
            "user": {"uid": 1000, "gid": 1000},
            "args": ["sh", "-c", "cat /proc/self/status > /out/sh; "
                     "/fcap/cat /proc/self/status > /out/fcap"],
            "env": ["PATH=/bin:/usr/bin"],
            "cwd": "/",
            "capabilities": {"bounding": caps, "effective": caps, "permitted": caps},
        }
        path = os.path.join(self.make_tempdir("process-"), "process.json")
        with open(path, "w") as f:
            json.dump(process, f)
        self.rt.ok("exec", "--process", path, cid)
        for name in ("sh", "fcap"):
            status = parse_status(b.read_out(name))
            self.assertEqual(status["CapInh"], "0" * 16, name)
            self.assertEqual(status["CapEff"], "0" * 16, name)


if __name__ == "__main__":
    unittest.main()
