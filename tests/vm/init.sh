#!/bin/sh
# /init of the cgroup test VM (busybox sh, pid 1). Built into the initramfs by run-vm-tests.sh.
#
# Stage 1 copies the initramfs onto a tmpfs and switch_roots into it: pivot_root(2) refuses a
# caller whose root is the initial rootfs (it has no parent mount), and hako pivots by default.
# Stage 2 mounts proc/sys/dev, sets up the cgroup layout named by hako_layout= on the kernel
# command line (v2: cgroup2 with every controller delegated; v1: one hierarchy per controller
# on a tmpfs, and no cgroup2 anywhere), runs /cgroup-tests.sh, whose HAKO-TEST lines reach the
# host on the serial console, and powers off.
PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin
export PATH

say() { echo "HAKO-VM [$(cut -d' ' -f1 /proc/uptime 2>/dev/null)s] $*"; }

# Any way out of this script ends the VM: pid 1 exiting panics, panic=-1 reboots, and qemu
# runs with -no-reboot.
halt() {
    sync
    poweroff -f
    sleep 5
    exit 1
}

if [ "$1" != stage2 ]; then
    mount -t proc proc /proc
    mkdir -p /newroot
    mount -t tmpfs -o mode=0755 tmpfs /newroot
    for entry in /* /.[!.]*; do
        case "$entry" in
            /newroot | /proc | /sys | /dev | '/.[!.]*') continue ;;
        esac
        cp -a "$entry" /newroot/ || { say "stage 1: copying $entry failed"; halt; }
    done
    mkdir -p /newroot/proc /newroot/sys /newroot/dev
    umount /proc
    # shellcheck disable=SC2093 # the lines after it run only when switch_root failed
    exec switch_root /newroot /init stage2
    say "stage 1: switch_root failed"
    halt
fi

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /run /tmp
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
hostname hako-vm

layout=$(sed -n 's/.*hako_layout=\([a-z0-9]*\).*/\1/p' /proc/cmdline)
say "kernel $(uname -r), layout ${layout:-unset}, $(grep -c ^processor /proc/cpuinfo) cpus"

# bfq supplies the block I/O weight files (io.bfq.weight, blkio.bfq.weight); the kernel has no
# other v1 weight since CFQ was removed.
for module in /lib/modules/*.ko; do
    [ -e "$module" ] || continue
    insmod "$module" || say "insmod $module failed"
done

cg=/sys/fs/cgroup
case "$layout" in
    v2)
        mount -t cgroup2 cgroup2 "$cg" || { say "mounting cgroup2 failed"; halt; }
        for controller in cpuset cpu io memory hugetlb pids rdma misc; do
            echo "+$controller" > "$cg/cgroup.subtree_control" ||
                say "cannot enable $controller in $cg/cgroup.subtree_control"
        done
        say "cgroup2 subtree_control: $(cat "$cg/cgroup.subtree_control")"
        ;;
    v1)
        mount -t tmpfs -o mode=0755 cgroup_root "$cg" || { say "mounting $cg tmpfs failed"; halt; }
        # Co-mounted as systemd and most distributions do, with a link per controller name.
        hierarchies=""
        for controller in $(awk '!/^#/ && $4 == 1 { print $1 }' /proc/cgroups); do
            case "$controller" in
                cpuacct | net_prio) continue ;;
                cpu) hierarchies="$hierarchies cpu,cpuacct" ;;
                net_cls) hierarchies="$hierarchies net_cls,net_prio" ;;
                *) hierarchies="$hierarchies $controller" ;;
            esac
        done
        for hierarchy in $hierarchies; do
            mkdir -p "$cg/$hierarchy"
            mount -t cgroup -o "$hierarchy" cgroup "$cg/$hierarchy" ||
                { say "mounting the $hierarchy hierarchy failed"; halt; }
            case "$hierarchy" in
                *,*) for name in $(echo "$hierarchy" | tr , ' '); do ln -s "$hierarchy" "$cg/$name"; done ;;
            esac
        done
        mkdir -p "$cg/systemd"
        mount -t cgroup -o none,name=systemd cgroup "$cg/systemd" ||
            { say "mounting the name=systemd hierarchy failed"; halt; }
        say "cgroup v1 hierarchies:$hierarchies name=systemd"
        ;;
    *)
        say "unknown hako_layout '$layout' on the kernel command line"
        halt
        ;;
esac

/cgroup-tests.sh "$layout" || say "cgroup-tests.sh exited $?"
say "done"
halt
