#!/usr/bin/env bash
# Runs hako's cgroup checks in a virtual machine on a pure cgroup v2 or a pure cgroup v1 layout,
# which this (hybrid) host cannot offer. Registered with ctest as vm.cgroup_v2 and
# vm.cgroup_v1 (label "vm", tests/vm/CMakeLists.txt).
#
# Usage: run-vm-tests.sh --layout v2|v1 --hako PATH [--work-dir DIR]
#
# 1. Kernel: Debian's linux-image-<version>-amd64 (the one linux-image-amd64 depends on) is
#    fetched with apt-get download, and only /boot/vmlinuz-* and block/bfq.ko are kept, in
#    $HAKO_VM_CACHE (default /var/cache/hako-vm), so a machine downloads it once. Without the
#    cache and without network the test fails and says so; it never passes silently. The
#    uncompressed vmlinux is extracted next to it once and booted through PVH.
# 2. Initramfs (uncompressed cpio in WORK_DIR/<layout>/): a busybox-static root
#    (scripts/make-rootfs.sh), the hako binary (debug info stripped) with the shared libraries
#    ldd lists, bfq.ko, tests/vm/init.sh as /init, tests/vm/cgroup-tests.sh, and a second
#    busybox root at /hako-rootfs for the containers.
# 3. qemu-system-x86_64 with software emulation (-accel tcg: nested KVM hangs on this host),
#    no disk, no network, the serial console in WORK_DIR/<layout>/console.log, and a timeout
#    ($HAKO_VM_TIMEOUT, default 240 s) so a hang fails instead of blocking CI.
#    HAKO_VM_TRACE=1 timestamps each check and hako command on the console.
# 4. The console's "HAKO-TEST ok|fail <name>" lines are the results. A failing check listed in
#    tests/vm/pending.txt (as "<name>" or "<layout>:<name>") is an expected failure (XFAIL); a
#    listed check that passes is reported as XPASS, to be removed from the list. The script
#    exits 0 only when the VM finished (its summary line arrived and matches the count) and
#    every check not listed passed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(cd "$here/../.." && pwd)
layout="" hako="" work_dir=""
while [ $# -gt 0 ]; do
    case "$1" in
        --layout) layout=$2; shift 2 ;;
        --hako) hako=$2; shift 2 ;;
        --work-dir) work_dir=$2; shift 2 ;;
        *) echo "usage: $0 --layout v2|v1 --hako PATH [--work-dir DIR]" >&2; exit 2 ;;
    esac
done
case "$layout" in v1 | v2) ;; *) echo "run-vm-tests.sh: --layout must be v1 or v2" >&2; exit 2 ;; esac
[ -x "$hako" ] || { echo "run-vm-tests.sh: --hako '$hako' is not an executable" >&2; exit 2; }
hako=$(readlink -f "$hako")
work_dir=${work_dir:-$(dirname "$hako")/vm}
cache=${HAKO_VM_CACHE:-/var/cache/hako-vm}
# Not root: a per-build-tree cache rather than none.
mkdir -p "$cache" 2> /dev/null && [ -w "$cache" ] || cache=$work_dir/kernel-cache
timeout_seconds=${HAKO_VM_TIMEOUT:-240}
pending_file=$here/pending.txt
out_dir=$work_dir/$layout

die() {
    echo "run-vm-tests.sh ($layout): $*" >&2
    exit 1
}

for tool in qemu-system-x86_64 cpio ldd strip timeout flock dpkg-deb xz; do
    command -v "$tool" > /dev/null || die "$tool is missing: run scripts/setup.sh (qemu-system-x86, cpio)"
done
[ -x /bin/busybox ] || die "/bin/busybox is missing: run scripts/setup.sh (busybox-static)"

# Sets $kernel and $modules (the cached vmlinuz and the modules of the same version).
fetch_kernel() {
    mkdir -p "$cache"
    exec 9> "$cache/.lock"
    flock 9
    kernel=$(find "$cache" -maxdepth 1 -name 'vmlinuz-*' | sort -V | tail -n 1)
    if [ -z "$kernel" ]; then
        local package tmp version
        package=$(apt-cache depends linux-image-amd64 2> /dev/null |
            awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
        if [ -z "$package" ]; then
            echo "run-vm-tests.sh: apt lists lack linux-image-amd64; running apt-get update" >&2
            apt-get update -qq > /dev/null 2>&1 || true
            package=$(apt-cache depends linux-image-amd64 2> /dev/null |
                awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
        fi
        [ -n "$package" ] || die "cannot resolve the kernel package (apt-cache depends linux-image-amd64 found none; no network?). Put a vmlinuz-<version> in $cache to run offline."
        tmp=$(mktemp -d "$cache/download.XXXXXX")
        echo "run-vm-tests.sh: downloading $package into $cache (once per machine)" >&2
        if ! (cd "$tmp" && apt-get -q -o APT::Sandbox::User=root download "$package" > download.log 2>&1); then
            cat "$tmp/download.log" >&2
            rm -rf "$tmp"
            die "cannot download the kernel package $package (no network?). Put a vmlinuz-<version> in $cache to run offline."
        fi
        dpkg-deb --fsys-tarfile "$tmp"/*.deb |
            tar -x -C "$tmp" --wildcards './boot/vmlinuz-*' './lib/modules/*/kernel/block/bfq.ko'
        version=$(basename "$tmp"/boot/vmlinuz-*)
        version=${version#vmlinuz-}
        mkdir -p "$cache/modules-$version"
        mv "$tmp/lib/modules/$version/kernel/block/bfq.ko" "$cache/modules-$version/"
        # The kernel last: its presence marks a complete cache entry.
        mv "$tmp/boot/vmlinuz-$version" "$cache/vmlinuz-$version"
        rm -rf "$tmp"
        kernel=$cache/vmlinuz-$version
    fi
    local version=${kernel##*/vmlinuz-}
    modules=$cache/modules-$version
    # The kernel supports PVH entry (CONFIG_PVH), so qemu can boot the uncompressed ELF image
    # directly: that skips the xz decompression, about 8 s under emulation.
    if [ ! -s "$cache/vmlinux-$version" ]; then
        extract_vmlinux "$kernel" "$cache/vmlinux-$version" ||
            echo "run-vm-tests.sh: cannot extract vmlinux from $kernel; booting the compressed image" >&2
    fi
    [ -s "$cache/vmlinux-$version" ] && kernel=$cache/vmlinux-$version
    exec 9>&-
}

# The ELF kernel inside a bzImage: the xz stream that decompresses to an ELF file.
extract_vmlinux() {
    local image=$1 dest=$2 offset
    for offset in $(LC_ALL=C grep -aboF "$(printf '\3757zXZ')" "$image" | cut -d: -f1); do
        # xz complains about the bytes after the stream; the ELF header is what counts.
        tail -c +$((offset + 1)) "$image" | xz -dc 2> /dev/null > "$dest.tmp" || true
        if [ "$(head -c 4 "$dest.tmp" | od -An -c | tr -d ' ')" = '177ELF' ]; then
            mv "$dest.tmp" "$dest"
            return 0
        fi
    done
    rm -f "$dest.tmp"
    return 1
}

# Copies a binary and every shared library it loads to the same paths below $1.
copy_with_libraries() {
    local root=$1 binary=$2 target=$3 library
    # Without debug info: hako's is ten times the code, and the VM copies everything once.
    mkdir -p "$(dirname "$root$target")"
    strip --strip-debug -o "$root$target" "$binary"
    # A static binary has none ("not a dynamic executable").
    for library in $({ ldd "$binary" 2> /dev/null || true; } |
        awk '/=> \// { print $3 } /^\t\/[^ ]+ \(/ { print $1 }'); do
        [ -e "$root$library" ] || install -D -m 0755 "$(readlink -f "$library")" "$root$library"
    done
}

build_initramfs() {
    local stage=$out_dir/initramfs
    rm -rf "$stage"
    mkdir -p "$stage"
    "$source_dir/scripts/make-rootfs.sh" "$stage"
    "$source_dir/scripts/make-rootfs.sh" "$stage/hako-rootfs"
    copy_with_libraries "$stage" "$hako" /usr/local/bin/hako
    install -m 0755 "$here/init.sh" "$stage/init"
    install -m 0755 "$here/cgroup-tests.sh" "$stage/cgroup-tests.sh"
    mkdir -p "$stage/lib/modules"
    if [ -d "$modules" ]; then
        cp "$modules"/*.ko "$stage/lib/modules/"
    fi
    (cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) \
        > "$out_dir/initramfs.cpio"
}

is_pending() {
    [ -f "$pending_file" ] || return 1
    sed -e 's/#.*//' -e 's/[[:space:]]//g' "$pending_file" | grep -qxF -e "$1" -e "$layout:$1"
}

fetch_kernel
mkdir -p "$out_dir"
build_initramfs

console=$out_dir/console.log
: > "$console"
echo "run-vm-tests.sh ($layout): booting ${kernel##*/} under qemu (tcg), timeout ${timeout_seconds}s"
started=$(date +%s)
qemu_status=0
timeout --kill-after=10 "$timeout_seconds" qemu-system-x86_64 \
    -accel tcg -m 1024 -smp 2 \
    -nodefaults -no-user-config -display none -no-reboot \
    -serial "file:$console" \
    -kernel "$kernel" -initrd "$out_dir/initramfs.cpio" \
    -append "console=ttyS0 quiet panic=-1 hako_layout=$layout hako_trace=${HAKO_VM_TRACE:-0}" \
    < /dev/null > "$out_dir/qemu.log" 2>&1 || qemu_status=$?
elapsed=$(($(date +%s) - started))

tr -d '\r' < "$console" > "$console.clean"
grep '^HAKO-VM ' "$console.clean" || true

ok=0 failed=0 xfail=0 xpass=0 reported=0
failures=() xpasses=()
while IFS= read -r line; do
    case "$line" in
        "HAKO-TEST ok "*)
            name=${line#HAKO-TEST ok }
            reported=$((reported + 1))
            if is_pending "$name"; then
                xpass=$((xpass + 1))
                xpasses+=("$name")
                echo "XPASS $name"
            else
                ok=$((ok + 1))
                echo "ok    $name"
            fi
            ;;
        "HAKO-TEST fail "*)
            rest=${line#HAKO-TEST fail }
            name=${rest%%:*}
            reported=$((reported + 1))
            if is_pending "$name"; then
                xfail=$((xfail + 1))
                echo "XFAIL $rest"
            else
                failed=$((failed + 1))
                failures+=("$name")
                echo "FAIL  $rest"
            fi
            ;;
    esac
done < "$console.clean"

summary=$(grep -m 1 '^HAKO-TEST summary total=' "$console.clean" || true)
complete=no
if [ -n "$summary" ] && [ "${summary#HAKO-TEST summary total=}" = "$reported" ]; then
    complete=yes
fi
echo "vm.cgroup_$layout: ok=$ok fail=$failed xfail=$xfail xpass=$xpass, ${elapsed}s in the VM (qemu exit $qemu_status)"

if [ ${#xpasses[@]} -gt 0 ]; then
    echo "XPASS: ${xpasses[*]} now pass on $layout: remove them from tests/vm/pending.txt"
fi
if [ "$complete" != yes ]; then
    if [ "$qemu_status" -eq 124 ] || [ "$qemu_status" -eq 137 ]; then
        echo "run-vm-tests.sh ($layout): the VM did not finish within ${timeout_seconds}s"
    fi
    echo "run-vm-tests.sh ($layout): no complete result (summary '${summary:-none}', $reported lines); console tail:"
    tail -n 40 "$console.clean"
    [ -s "$out_dir/qemu.log" ] && { echo "qemu said:"; cat "$out_dir/qemu.log"; }
    exit 1
fi
if [ "$failed" -gt 0 ]; then
    echo "run-vm-tests.sh ($layout): failed: ${failures[*]} (console: $console)"
    exit 1
fi
exit 0
