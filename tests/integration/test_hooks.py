"""OCI hooks: each one runs at its lifecycle point, in the right namespaces, with the state on
stdin, and a failing or hanging hook fails the operation without leaving anything behind.

The host-side hooks are one Python recorder (RECORDER below): it appends its name to
<rec>/order and writes <rec>/<name>.json with its argv, stdin state, env, cwd, its own
namespace links and those of the state's pid. <rec> is the bundle's /out dir, so the
startContainer hook (a busybox sh inside the container, after pivot_root) appends to the
same order file through /out.

runc 1.1.5 runs poststart during `create` and ignores a failing startContainer hook; the
tests of hako's (spec-following) behaviour there are hako_only.
"""

import json
import os
import subprocess
import time
import unittest

from hakotest import (HakoTestCase, KEEP_RUNNING, hako_only, is_runc, ns_inode, pid_alive,
                      snapshot_host, wait_for)

RECORDER = r'''#!/usr/bin/python3 -S
import json, os, subprocess, sys, time
rec, name = sys.argv[1], sys.argv[2]
action = sys.argv[3] if len(sys.argv) > 3 else ""
text = sys.stdin.read()
info = {"argv": sys.argv, "stdin": text, "env": dict(os.environ), "cwd": os.getcwd(),
        "ns": {n: os.readlink("/proc/self/ns/" + n) for n in ("mnt", "net", "pid", "uts")}}
state = json.loads(text)
pid = state.get("pid")
if pid:
    try:
        info["target_ns"] = {n: os.readlink("/proc/%d/ns/%s" % (pid, n)) for n in ("mnt", "net")}
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            info["target_argv0"] = f.read().split(b"\0")[0].decode()
    except OSError as e:
        info["target_error"] = str(e)
if action == "netns":
    # What Docker's libnetwork-setkey does: enter the init's netns by its host pid.
    subprocess.run(["nsenter", "--net=/proc/%d/ns/net" % pid, "ip", "addr", "add",
                    "127.0.0.42/8", "dev", "lo"], check=True)
with open(os.path.join(rec, name + ".json"), "w") as f:
    json.dump(info, f)
with open(os.path.join(rec, "order"), "a") as f:
    f.write(name + "\n")
if action == "fail":
    print("out-text")
    print("err-text", file=sys.stderr)
    sys.exit(3)
if action == "sleep":
    time.sleep(100)
if action == "sleep-with-child":
    subprocess.Popen(["sleep", "100"])
    # The child's pid as the host sees it (a createContainer hook is in the container's pid
    # namespace, but /proc is still the host's before pivot_root).
    with open("/proc/thread-self/children") as f:
        child = f.read().split()[0]
    # Popen returns once the child's execve is past the point of no return (vfork), which
    # can be before the kernel has set up its new argv: wait for the cmdline to appear.
    child_argv0 = ""
    for _ in range(200):
        with open("/proc/%s/cmdline" % child, "rb") as f:
            child_argv0 = f.read().split(b"\0")[0].decode()
        if child_argv0:
            break
        time.sleep(0.01)
    with open(os.path.join(rec, name + ".child"), "w") as f:
        f.write(child + " " + child_argv0)
    time.sleep(100)
'''

# Inside the container, after pivot_root: busybox picks the applet from argv[0] ("sh"), so
# this hook running at all proves args[0] became argv[0].
START_CONTAINER = ('cat > /out/startContainer.stdin; readlink /proc/self/ns/mnt > '
                   '/out/startContainer.mnt; ls / > /out/startContainer.root; '
                   'echo startContainer >> /out/order')


class HookTestCase(HakoTestCase):
    def setUp(self):
        super().setUp()
        self.hook_dir = self.make_tempdir("hooks-")
        self.recorder = os.path.join(self.hook_dir, "record.py")
        with open(self.recorder, "w") as f:
            f.write(RECORDER)
        os.chmod(self.recorder, 0o755)

    def hook(self, bundle, name, action="", **extra):
        h = {"path": self.recorder, "args": ["record", bundle.out_dir, name]}
        if action:
            h["args"].append(action)
        h.update(extra)
        return h

    def bundle_with_hooks(self, args=None, **hooks):
        b = self.bundle(args or ["sh", "-c", "echo process >> /out/order; " + KEEP_RUNNING])
        b.set("hooks", {})
        for point, entries in hooks.items():
            b.config["hooks"][point] = [entries(b) if callable(entries) else entries]
        return b

    def record(self, bundle, name):
        with open(bundle.out_path(name + ".json")) as f:
            info = json.load(f)
        info["state"] = json.loads(info["stdin"])
        return info

    def order(self, bundle):
        if not bundle.has_out("order"):
            return []
        return bundle.read_out("order").split()

    def host_ns(self, name):
        return os.readlink("/proc/self/ns/" + name)

    def container_ns(self, pid, name):
        return os.readlink("/proc/%d/ns/%s" % (pid, name))


class TestHookLifecycle(HookTestCase):
    def test_every_hook_runs_in_order_in_its_namespaces(self):
        b = self.bundle_with_hooks(
            prestart=lambda b: self.hook(b, "prestart"),
            createRuntime=lambda b: self.hook(b, "createRuntime", env=["HOOK_ENV=set"]),
            createContainer=lambda b: self.hook(b, "createContainer"),
            startContainer={"path": "/bin/busybox", "args": ["sh", "-c", START_CONTAINER]},
            poststart=lambda b: self.hook(b, "poststart"),
            poststop=lambda b: self.hook(b, "poststop"))
        b.set("annotations", {"org.example/key": "value"})
        cid = self.create(b)
        pid = self.rt.state(cid)["pid"]

        # create: the three pre-pivot hooks, in order, and nothing else yet.
        expected = ["prestart", "createRuntime", "createContainer"]
        if is_runc():
            expected.append("poststart")  # runc 1.1.5 runs poststart during create
        self.assertEqual(self.order(b), expected)
        for name in ("prestart", "createRuntime", "createContainer"):
            info = self.record(b, name)
            st = info["state"]
            self.assertEqual(st["status"], "creating", name)
            self.assertEqual(st["id"], cid)
            self.assertEqual(st["bundle"], b.dir)
            # runc names its own spec version; hako the config's.
            self.assertEqual(st["ociVersion"], "1.0.2-dev" if is_runc() else "1.2.0")
            self.assertEqual(st["annotations"], {"org.example/key": "value"})
            if not (is_runc() and name == "createContainer"):  # runc: the pid in the container
                self.assertEqual(st["pid"], pid, name)
                self.assertEqual(info["target_ns"]["net"], self.container_ns(pid, "net"))

        # prestart and createRuntime: the runtime's namespaces, started in the bundle.
        for name in ("prestart", "createRuntime"):
            info = self.record(b, name)
            self.assertEqual(info["ns"]["mnt"], self.host_ns("mnt"), name)
            self.assertEqual(info["ns"]["net"], self.host_ns("net"), name)
            self.assertEqual(info["ns"]["pid"], self.host_ns("pid"), name)
            self.assertEqual(info["cwd"], b.dir, name)
        self.assertNotEqual(self.container_ns(pid, "net"), self.host_ns("net"))

        # createContainer: the container's mount, net and uts namespaces, before pivot_root
        # (the host's python ran, and its cwd is the rootfs).
        info = self.record(b, "createContainer")
        self.assertEqual(info["ns"]["mnt"], self.container_ns(pid, "mnt"))
        self.assertEqual(info["ns"]["net"], self.container_ns(pid, "net"))
        self.assertEqual(info["ns"]["uts"], self.container_ns(pid, "uts"))
        self.assertNotEqual(info["ns"]["mnt"], self.host_ns("mnt"))
        self.assertEqual(info["cwd"], b.rootfs)

        # args[0] is argv[0] (python shows the script path there instead), env is the hook's.
        self.assertEqual(self.record(b, "prestart")["argv"][1:], [b.out_dir, "prestart"])
        env = self.record(b, "createRuntime")["env"]
        self.assertEqual(env.get("HOOK_ENV"), "set")
        self.assertNotIn("PATH", env)

        # start: startContainer inside the container, then the process; poststart after it.
        self.rt.ok("start", cid)
        self.wait_out(b, "startContainer.root")
        wait_for(lambda: "process" in self.order(b), message="the process never ran")
        order = self.order(b)
        self.assertLess(order.index("createContainer"), order.index("startContainer"))
        self.assertLess(order.index("startContainer"), order.index("process"))
        root = b.read_out("startContainer.root").split()
        self.assertIn("out", root)  # the container's root, after pivot_root
        self.assertNotIn("work", root)
        self.assertEqual(b.read_out("startContainer.mnt").strip(), self.container_ns(pid, "mnt"))
        st = json.loads(b.read_out("startContainer.stdin"))
        self.assertEqual(st["id"], cid)
        self.assertEqual(st["status"], "created")
        if not is_runc():
            self.assertEqual(st["pid"], pid)
            self.assertEqual(order.count("poststart"), 1)
            info = self.record(b, "poststart")
            self.assertEqual(info["state"]["status"], "running")
            self.assertEqual(info["state"]["pid"], pid)
            # The user process has replaced the init by then.
            self.assertEqual(info["target_argv0"], "sh")
            self.assertEqual(info["ns"]["mnt"], self.host_ns("mnt"))

        # delete: poststop, last, with the stopped state and no pid.
        self.assertNotIn("poststop", self.order(b))
        self.rt.ok("kill", cid, "KILL")
        self.wait_status(cid, "stopped")
        self.rt.ok("delete", cid)
        self.assertEqual(self.order(b)[-1], "poststop")
        info = self.record(b, "poststop")
        self.assertEqual(info["state"]["status"], "stopped")
        self.assertNotIn("pid", info["state"])
        self.assertEqual(info["state"]["id"], cid)
        self.assertEqual(info["ns"]["mnt"], self.host_ns("mnt"))

    def test_prestart_hook_reaches_the_container_netns_by_pid(self):
        """Docker's networking (libnetwork-setkey) configures the container's network from a
        prestart hook through /proc/<state pid>/ns/net."""
        b = self.bundle_with_hooks(
            ["sh", "-c", "ip addr show dev lo > /out/lo"],
            prestart=lambda b: self.hook(b, "prestart", "netns"))
        self.run_container(b)
        self.assertIn("127.0.0.42", b.read_out("lo"))
        host_lo = subprocess.run(["ip", "-4", "addr", "show", "dev", "lo"], check=True,
                                 stdout=subprocess.PIPE, text=True).stdout
        self.assertNotIn("127.0.0.42", host_lo)

    def test_run_in_the_foreground_runs_the_hooks_around_the_process(self):
        b = self.bundle_with_hooks(
            ["sh", "-c", "echo process >> /out/order"],
            createRuntime=lambda b: self.hook(b, "createRuntime"),
            poststop=lambda b: self.hook(b, "poststop"))
        self.run_container(b)
        self.assertEqual(self.order(b), ["createRuntime", "process", "poststop"])

    def test_poststop_hooks_come_from_create_not_the_edited_bundle(self):
        """The spec: config.json edits after create do not affect the container; and delete
        must work once an engine removed the bundle's config."""
        b = self.bundle_with_hooks(poststop=lambda b: self.hook(b, "poststop"))
        cid = self.create(b)
        os.unlink(b.config_path)
        self.rt.ok("delete", "--force", cid)
        self.assertEqual(self.order(b), ["poststop"])


class TestHookFailures(HookTestCase):
    def assert_create_fails_cleanly(self, b, *needles, max_seconds=None):
        cid = self.new_id()
        b.write()
        before = snapshot_host(self, cid, extra_paths=[self.hook_dir])
        started = time.monotonic()
        p = self.rt.create(cid, b)
        elapsed = time.monotonic() - started
        self.assertOneLineError(p, *needles)
        self.assertEqual(p.returncode, 1)
        if max_seconds is not None:
            self.assertLess(elapsed, max_seconds)
        self.assertNothingLeftBehind(before, cid, extra_paths=[self.hook_dir])
        return p

    def test_failing_create_runtime_hook_aborts_create(self):
        b = self.bundle_with_hooks(
            createRuntime=lambda b: self.hook(b, "createRuntime", "fail"),
            createContainer=lambda b: self.hook(b, "createContainer"),
            poststop=lambda b: self.hook(b, "poststop"))
        p = self.assert_create_fails_cleanly(b, "createRuntime hook #0", "exit status 3",
                                             "out-text", "err-text")
        if not is_runc():
            self.assertIn(self.recorder, p.stderr)
        # Nothing after the failed hook ran; as runc and the spec's lifecycle, poststop did.
        self.assertEqual(self.order(b), ["createRuntime", "poststop"])

    def test_failing_prestart_hook_aborts_create(self):
        b = self.bundle_with_hooks(prestart=lambda b: self.hook(b, "prestart", "fail"),
                                   createRuntime=lambda b: self.hook(b, "createRuntime"))
        self.assert_create_fails_cleanly(b, "prestart hook #0", "exit status 3")
        self.assertEqual(self.order(b), ["prestart"])

    def test_failing_create_container_hook_aborts_create(self):
        b = self.bundle_with_hooks(
            createRuntime=lambda b: self.hook(b, "createRuntime"),
            createContainer=lambda b: self.hook(b, "createContainer", "fail"))
        self.assert_create_fails_cleanly(b, "createContainer hook #0", "exit status 3",
                                         "err-text")
        self.assertEqual(self.order(b), ["createRuntime", "createContainer"])

    def test_missing_hook_executable_aborts_create(self):
        b = self.bundle_with_hooks(
            createRuntime={"path": os.path.join(self.hook_dir, "missing")})
        self.assert_create_fails_cleanly(b, "createRuntime hook #0",
                                         "no such file or directory")

    def test_timeout_kills_a_hanging_hook(self):
        b = self.bundle_with_hooks(
            createRuntime=lambda b: self.hook(b, "createRuntime", "sleep", timeout=1))
        p = self.assert_create_fails_cleanly(b, "createRuntime hook #0", max_seconds=10)
        # runc's words differ ("hook ran past specified timeout of 1.0s").
        if not is_runc():
            self.assertIn("timed out after 1s", p.stderr)

    @hako_only
    def test_timeout_kills_what_the_hook_started(self):
        """runc waits for the hook's children holding its stdout (100 s here); hako kills
        the hook's process group and does not wait."""
        b = self.bundle_with_hooks(
            createContainer=lambda b: self.hook(b, "createContainer", "sleep-with-child",
                                                timeout=3))  # time for python on a busy host
        p = self.assert_create_fails_cleanly(b, "createContainer hook #0",
                                             "timed out after 3s", max_seconds=12)
        self.assertIn(self.recorder, p.stderr)
        child, argv0 = b.read_out("createContainer.child").split()
        self.assertEqual(argv0, "sleep")  # the host's view of the hook's child
        child = int(child)
        wait_for(lambda: not pid_alive(child), timeout=5,
                 message="the hook's child %d survived its timeout" % child)

    @hako_only
    def test_failing_start_container_hook_fails_start(self):
        b = self.bundle_with_hooks(
            startContainer={"path": "/bin/busybox",
                            "args": ["sh", "-c", "echo start-err >&2; exit 5"]})
        cid = self.create(b)
        p = self.rt.start(cid)
        self.assertOneLineError(p, "startContainer hook #0", "exit status 5", "start-err")
        self.wait_status(cid, "stopped")
        self.assertNotIn("process", self.order(b))

    @hako_only
    def test_failing_start_container_hook_fails_run_and_leaves_nothing(self):
        b = self.bundle_with_hooks(
            startContainer={"path": "/bin/false"})  # the container's /bin/false: exit 1
        cid = self.new_id()
        b.write()
        before = snapshot_host(self, cid, extra_paths=[self.hook_dir])
        p = self.rt.run(cid, b, "--detach")
        self.assertOneLineError(p, "startContainer hook #0", "exit status 1")
        self.assertNothingLeftBehind(before, cid, extra_paths=[self.hook_dir])

    @hako_only
    def test_failing_poststart_hook_is_a_warning(self):
        """The spec: a failing poststart hook logs a warning, the lifecycle goes on (runc
        1.1.5 runs poststart during create and fails the create instead)."""
        b = self.bundle_with_hooks(poststart=lambda b: self.hook(b, "poststart", "fail"))
        cid = self.create(b)
        log = os.path.join(self.hook_dir, "log.json")
        self.rt.ok("start", cid, global_args=("--log", log, "--log-format", "json"))
        self.assertEqual(self.rt.status(cid), "running")
        with open(log) as f:
            entries = [json.loads(line) for line in f]
        self.assertEqual([e["level"] for e in entries], ["warning"])
        self.assertIn("poststart hook #0", entries[0]["msg"])
        self.assertIn("exit status 3", entries[0]["msg"])

    @hako_only
    def test_failing_poststop_hook_is_a_warning(self):
        b = self.bundle_with_hooks(poststop=lambda b: self.hook(b, "poststop", "fail"))
        cid = self.create(b)
        p = self.rt.ok("delete", "--force", cid)
        self.assertIn("poststop hook #0", p.stderr)
        self.assertIn("warning", p.stderr)
        self.assertIsNone(self.rt.state(cid))
        self.assertEqual(self.order(b), ["poststop"])


if __name__ == "__main__":
    unittest.main()
