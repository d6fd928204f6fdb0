"""process.capabilities and noNewPrivileges, read back from /proc/PID/status.

The sets hako applies are checked twice: in the created init, which holds them exactly as the
spec gives them until start (its execve), and in the started process, where the kernel's
execve rules then apply (root gets its bounding set as permitted and effective; another uid
keeps only its ambient set)."""

import unittest

from hakotest import KEEP_RUNNING, HakoTestCase, hako_only, is_runc, parse_status, proc_status

CAPS = {"CAP_CHOWN": 0, "CAP_DAC_OVERRIDE": 1, "CAP_FOWNER": 3, "CAP_KILL": 5,
        "CAP_SETGID": 6, "CAP_SETUID": 7, "CAP_NET_BIND_SERVICE": 10, "CAP_NET_RAW": 13,
        "CAP_SYS_CHROOT": 18, "CAP_AUDIT_WRITE": 29, "CAP_CHECKPOINT_RESTORE": 40}


def mask(names):
    value = 0
    for name in names:
        value |= 1 << CAPS[name]
    return "%016x" % value


SETS = {
    "bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW",
                 "CAP_SYS_CHROOT", "CAP_AUDIT_WRITE", "CAP_CHECKPOINT_RESTORE"],
    "effective": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
    "permitted": ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW"],
    "inheritable": ["CAP_NET_BIND_SERVICE", "CAP_NET_RAW"],
    "ambient": ["CAP_NET_BIND_SERVICE"],
}
FIELDS = {"bounding": "CapBnd", "effective": "CapEff", "permitted": "CapPrm",
          "inheritable": "CapInh", "ambient": "CapAmb"}


class CapabilitiesTest(HakoTestCase):

    def caps_bundle(self, user, sets=SETS, nnp=True):
        b = self.bundle(["sh", "-c", "cat /proc/self/status > /out/status; " + KEEP_RUNNING])
        b.set("process.user", user)
        b.set("process.capabilities", {k: list(v) for k, v in sets.items()})
        b.set("process.noNewPrivileges", nnp)
        return b

    def created_and_started(self, b):
        """(status of the created init, status of the started process)."""
        cid = self.create(b)
        pid = self.rt.state(cid)["pid"]
        created = proc_status(pid)
        self.rt.ok("start", cid)
        self.wait_out(b, "ready")
        return created, parse_status(b.read_out("status"))

    @hako_only
    def test_five_sets_exactly_as_given_before_execve(self):
        """The created init holds each set exactly (root and uid 1000): hako adds nothing
        (inheritable above all) and drops nothing."""
        for user in ({"uid": 0, "gid": 0}, {"uid": 1000, "gid": 1000}):
            with self.subTest(uid=user["uid"]):
                created, _ = self.created_and_started(self.caps_bundle(user))
                for key, field in FIELDS.items():
                    self.assertEqual(created[field], mask(SETS[key]), field)
                self.assertEqual(created["NoNewPrivs"], "1")

    def test_non_root_ambient_capabilities_survive_execve(self):
        """uid 1000 with CAP_NET_BIND_SERVICE inheritable, permitted and ambient: after execve
        it is the process's effective, permitted and ambient set; inheritable and bounding
        are as given."""
        _, started = self.created_and_started(self.caps_bundle({"uid": 1000, "gid": 1000}))
        self.assertEqual(started["Uid"].split(), ["1000"] * 4)
        self.assertEqual(started["CapAmb"], mask(["CAP_NET_BIND_SERVICE"]))
        self.assertEqual(started["CapEff"], mask(["CAP_NET_BIND_SERVICE"]))
        self.assertEqual(started["CapPrm"], mask(["CAP_NET_BIND_SERVICE"]))
        self.assertEqual(started["CapInh"], mask(SETS["inheritable"]))
        self.assertEqual(started["CapBnd"], mask(SETS["bounding"]))
        self.assertEqual(started["NoNewPrivs"], "1")

    def test_root_capabilities_after_execve(self):
        """uid 0: at execve the kernel treats every file as carrying all capabilities. With
        no_new_privs nothing beyond the permitted set may be gained, so the process keeps the
        spec's permitted set (and, as root, has it effective); without no_new_privs it gets
        its bounding set. Bounding, inheritable and ambient are the spec's either way."""
        for nnp, expected in ((True, SETS["permitted"]), (False, SETS["bounding"])):
            with self.subTest(no_new_privileges=nnp):
                b = self.caps_bundle({"uid": 0, "gid": 0}, nnp=nnp)
                _, started = self.created_and_started(b)
                self.assertEqual(started["CapPrm"], mask(expected))
                self.assertEqual(started["CapEff"], mask(expected))
                self.assertEqual(started["CapBnd"], mask(SETS["bounding"]))
                self.assertEqual(started["CapInh"], mask(SETS["inheritable"]))
                self.assertEqual(started["CapAmb"], mask(SETS["ambient"]))
                self.assertEqual(started["NoNewPrivs"], "1" if nnp else "0")

    def test_runc_spec_defaults(self):
        """The `runc spec` set: bounding = effective = permitted, nothing inheritable or
        ambient, no_new_privs."""
        b = self.bundle(["sh", "-c", "cat /proc/self/status > /out/status"])
        self.run_container(b)
        status = parse_status(b.read_out("status"))
        default = mask(["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"])
        for field in ("CapBnd", "CapEff", "CapPrm"):
            self.assertEqual(status[field], default, field)
        self.assertEqual(status["CapInh"], "0" * 16)
        self.assertEqual(status["CapAmb"], "0" * 16)
        self.assertEqual(status["NoNewPrivs"], "1")

    def test_no_capabilities_object_means_none(self):
        b = self.bundle(["sh", "-c", "cat /proc/self/status > /out/status"])
        b.config["process"].pop("capabilities")
        b.set("process.user", {"uid": 1000, "gid": 1000})
        self.run_container(b)
        status = parse_status(b.read_out("status"))
        for field in FIELDS.values():
            self.assertEqual(status[field], "0" * 16, field)

    def test_no_new_privileges_false(self):
        b = self.bundle(["sh", "-c", "cat /proc/self/status > /out/status"])
        b.set("process.noNewPrivileges", False)
        self.run_container(b)
        self.assertEqual(parse_status(b.read_out("status"))["NoNewPrivs"], "0")

    def test_unknown_capability_is_a_one_line_error(self):
        for field in ("bounding", "effective", "permitted", "inheritable", "ambient"):
            with self.subTest(field=field):
                b = self.bundle(["true"])
                b.config["process"]["capabilities"][field] = ["CAP_KILL", "CAP_HKT_BOGUS"]
                cid = self.new_id()
                b.write()
                p = self.rt.create(cid, b)
                if is_runc():
                    continue  # runc 1.1.5 only warns and ignores the name
                self.assertOneLineError(p, "process.capabilities." + field, "CAP_HKT_BOGUS")
                self.assertIsNone(self.rt.state(cid))

    @hako_only
    def test_ambient_without_inheritable_is_dropped_with_a_warning(self):
        """runc 1.1.5 silently leaves such a capability out (the kernel refuses to raise it);
        hako does the same and says so."""
        sets = dict(SETS, ambient=["CAP_NET_BIND_SERVICE", "CAP_KILL"])
        b = self.caps_bundle({"uid": 1000, "gid": 1000}, sets)
        cid = self.new_id()
        b.write()
        p = self.rt.ok("create", "--bundle", b.dir, cid)
        self.assertIn("CAP_KILL is not also inheritable and permitted", p.stderr)
        self.rt.ok("start", cid)
        self.wait_out(b, "ready")
        status = parse_status(b.read_out("status"))
        self.assertEqual(status["CapAmb"], mask(["CAP_NET_BIND_SERVICE"]))


if __name__ == "__main__":
    unittest.main()
