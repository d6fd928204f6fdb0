"""Config shapes real engines write that a plain `runc spec` config never has.

Found by tests/engines/test_podman.py: Podman's --read-only adds tmpfs mounts with runc's
"tmpcopyup" extension, and its --privileged (and --device) lists devices whose fileMode is the
host node's whole st_mode, file type bits included. Both run the same against runc
(HAKO_BIN=/usr/sbin/runc).
"""

import os
import stat
import unittest

import hakotest


class TmpCopyUp(hakotest.HakoTestCase):
    def test_tmpfs_starts_with_a_copy_of_the_covered_directory(self):
        b = self.bundle(copy_rootfs=True)
        seed = os.path.join(b.rootfs, "seed")
        os.makedirs(os.path.join(seed, "sub", "deeper"))
        with open(os.path.join(seed, "file"), "w") as f:
            f.write("from-the-image\n")
        os.chmod(os.path.join(seed, "file"), 0o604)
        os.chown(os.path.join(seed, "file"), 1000, 1001)
        with open(os.path.join(seed, "sub", "deeper", "leaf"), "w") as f:
            f.write("leaf\n")
        os.symlink("/etc/passwd", os.path.join(seed, "link"))
        os.chmod(seed, 0o1750)
        os.chown(seed, 0, 8)
        # The rootfs is read-only, as with Podman's --read-only: only the tmpfs is writable.
        b.set("root.readonly", True)
        b.add_mount("/seed", "tmpfs", "tmpfs", ["rw", "rprivate", "nosuid", "nodev",
                                                "tmpcopyup"])
        b.args = ["sh", "-c",
                  "cd /seed && stat -c '%n %a %u %g %F' . file link sub/deeper/leaf > /out/st"
                  " && cat file sub/deeper/leaf > /out/data && readlink link > /out/link"
                  " && echo new > written && cat written >> /out/data"
                  " && grep ' /seed ' /proc/self/mounts > /out/mount"
                  " && (touch /not-writable 2>/dev/null; echo $? > /out/rootfs-write)"]
        self.run_container(b)
        self.assertEqual(b.read_out("st").splitlines(), [
            ". 1750 0 0 directory",  # the mode is copied, not the owner (runc)
            "file 604 1000 1001 regular file",
            "link 777 0 0 symbolic link",
            "sub/deeper/leaf 644 0 0 regular file",
        ])
        self.assertEqual(b.read_out("data"), "from-the-image\nleaf\nnew\n")
        self.assertEqual(b.read_out("link"), "/etc/passwd\n")
        self.assertTrue(b.read_out("mount").startswith("tmpfs /seed tmpfs rw,"),
                        b.read_out("mount"))
        self.assertEqual(b.read_out("rootfs-write"), "1\n")
        # The image's directory itself is untouched: the copy went to the tmpfs.
        self.assertFalse(os.path.exists(os.path.join(seed, "written")))

    def test_read_only_tmpfs_is_filled_before_it_becomes_read_only(self):
        b = self.bundle(copy_rootfs=True)
        os.makedirs(os.path.join(b.rootfs, "seed"))
        with open(os.path.join(b.rootfs, "seed", "file"), "w") as f:
            f.write("kept\n")
        b.add_mount("/seed", "tmpfs", "tmpfs", ["ro", "tmpcopyup"])
        b.args = ["sh", "-c", "cat /seed/file > /out/data; grep ' /seed ' /proc/self/mounts"
                              " > /out/mount"]
        self.run_container(b)
        self.assertEqual(b.read_out("data"), "kept\n")
        self.assertTrue(b.read_out("mount").startswith("tmpfs /seed tmpfs ro,"),
                        b.read_out("mount"))


class DeviceFileModeWithTypeBits(hakotest.HakoTestCase):
    def test_file_type_bits_in_file_mode_are_dropped(self):
        b = self.bundle()
        b.config["linux"]["devices"] = [
            # What Podman writes for the host's /dev/zero (st_mode 020666) and a 0620 tty-like
            # node with a set-group-ID bit.
            {"path": "/dev/hkt-zero", "type": "c", "major": 1, "minor": 5,
             "fileMode": stat.S_IFCHR | 0o666, "uid": 0, "gid": 0},
            {"path": "/dev/hkt-full", "type": "c", "major": 1, "minor": 7,
             "fileMode": stat.S_IFCHR | 0o2620, "uid": 0, "gid": 5},
        ]
        b.args = ["sh", "-c", "stat -c '%n %a %t:%T %F %g' /dev/hkt-zero /dev/hkt-full"
                              " > /out/st; head -c 4 /dev/hkt-zero | od -An -tx1 > /out/zero"]
        self.run_container(b)
        self.assertEqual(b.read_out("st").splitlines(), [
            "/dev/hkt-zero 666 1:5 character special file 0",
            "/dev/hkt-full 2620 1:7 character special file 5",
        ])
        self.assertEqual(b.read_out("zero").split(), ["00", "00", "00", "00"])


if __name__ == "__main__":
    unittest.main()
