"""Builds the static C attack helpers of the security tests once per test run.

They are compiled with `cc -static` so they run in the busybox rootfs, which has no libc."""

import atexit
import os
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
LIBC_A = "/usr/lib/x86_64-linux-gnu/libc.a"
_BUILT = {}


def static_build_available():
    return os.path.exists(LIBC_A) and subprocess.run(
        ["sh", "-c", "command -v cc"], stdout=subprocess.DEVNULL).returncode == 0


def build_helper(name):
    """Path of helpers/NAME.c compiled statically (cached for this process)."""
    if name not in _BUILT:
        if "_dir" not in _BUILT:
            _BUILT["_dir"] = tempfile.mkdtemp(prefix="hkt-helpers-")
            atexit.register(cleanup)
        out_dir = _BUILT["_dir"]
        out = os.path.join(out_dir, name)
        subprocess.run(["cc", "-static", "-O2", "-Wall", "-o", out,
                        os.path.join(HERE, name + ".c")], check=True)
        _BUILT[name] = out
    return _BUILT[name]


def cleanup():
    d = _BUILT.pop("_dir", None)
    if d:
        for name in os.listdir(d):
            os.unlink(os.path.join(d, name))
        os.rmdir(d)
    _BUILT.clear()
