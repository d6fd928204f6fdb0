#!/bin/sh
# Builds a minimal rootfs from Debian's busybox-static: /bin/busybox plus a link per applet,
# and the few files a container expects. Usage: make-rootfs.sh DIR
set -eu
dest=${1:?usage: make-rootfs.sh DIR}
busybox=/bin/busybox
[ -x "$busybox" ] || { echo "make-rootfs.sh: $busybox missing (apt-get install busybox-static)" >&2; exit 1; }
if [ -x "$dest/bin/busybox" ] && cmp -s "$busybox" "$dest/bin/busybox"; then
    exit 0
fi
mkdir -p "$dest"
cd "$dest"
mkdir -p bin sbin usr/bin usr/sbin etc proc sys dev tmp root var/tmp home
chmod 1777 tmp var/tmp
cp "$busybox" bin/busybox
for applet in $("$busybox" --list-full); do
    [ -e "$applet" ] || ln -s /bin/busybox "$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > etc/passwd
printf 'root:x:0:\nnogroup:x:65534:\n' > etc/group
: > etc/hostname
: > etc/resolv.conf
