#!/bin/sh
# hako's cgroup checks, run inside the test VM by /init on a pure v2 or a pure v1 layout
# (busybox sh only: the VM has no python). Usage: cgroup-tests.sh v2|v1
#
# Each check prints exactly one line on the console, which run-vm-tests.sh parses:
#   HAKO-TEST ok <name>
#   HAKO-TEST fail <name>: <one-line reason>
# and the script ends with "HAKO-TEST summary total=<n>". Checks read what the kernel shows from
# the VM's side (cgroupfs files, /proc/PID/cgroup, /proc/PID/status) and, for devices, what a
# process inside the container could open. Which failures are expected (features not yet
# implemented) is decided on the host from tests/vm/pending.txt, never here.
layout=${1:?usage: cgroup-tests.sh v2|v1}
cg=/sys/fs/cgroup
state_root=/run/hako
container_rootfs=/hako-rootfs
work=/run/hako-vm-tests
total=0

# Under software emulation every fork+exec costs a good fraction of a second, so the helpers
# below use shell builtins (read, parameter expansion) wherever a file or an output is parsed.

# hako_trace=1 on the kernel command line (HAKO_VM_TRACE=1 for run-vm-tests.sh) times each
# check and shows every hako command, on stderr (also the console).
case " $(cat /proc/cmdline) " in *" hako_trace=1 "*) trace=1 ;; *) trace=0 ;; esac
trace() {
    local now
    [ $trace = 0 ] && return
    read -r now _ < /proc/uptime
    echo "HAKO-VM [${now}s] $*" >&2
}

say_ok() {
    total=$((total + 1))
    echo "HAKO-TEST ok $1"
    trace "after $1"
}
say_fail() {
    local reason
    total=$((total + 1))
    reason=$(echo "$2" | tr '\n\r' '  ' | cut -c1-400)
    echo "HAKO-TEST fail $1: $reason"
    trace "after $1"
}

# Sets variable $1 to the whole content of file $2.
slurp() {
    IFS= read -r -d '' "$1" < "$2"
}

# hako with its stdio in a file (never a pipe: a container init would hold it open).
# Sets $out to what it printed.
hk() {
    local rc
    hako --root "$state_root" "$@" < /dev/null > "$work/hako.out" 2>&1
    rc=$?
    slurp out "$work/hako.out"
    trace "hako $* -> $rc"
    return $rc
}

# Sets variable $1 to the first line of cgroupfs file $2, or "<missing>".
get() {
    if [ -r "$2" ]; then
        read -r "$1" < "$2"
    else
        eval "$1='<missing>'"
    fi
}

# Passes when every "file=expected" pair matches; otherwise fails naming each mismatch.
expect_files() {
    local name="$1" problems="" pair file want got
    shift
    for pair in "$@"; do
        file=${pair%%=*}
        want=${pair#*=}
        get got "$file"
        [ "$got" = "$want" ] || problems="$problems $file is '$got', want '$want';"
    done
    if [ -z "$problems" ]; then say_ok "$name"; else say_fail "$name" "$problems"; fi
}

wait_for_file() {
    local tries=0
    while [ ! -s "$1" ]; do
        tries=$((tries + 1))
        [ $tries -gt 100 ] && return 1
        sleep 0.1
    done
}

# Runs "$@" every 0.1 s until it succeeds, for at most about 2 s.
wait_until() {
    local tries=0
    until "$@"; do
        tries=$((tries + 1))
        [ $tries -gt 20 ] && return 1
        sleep 0.1
    done
}

# Sets $status and $pid from "hako state $1" ("<no state: ...>" and "" when it fails).
read_state() {
    local rest
    status="" pid=""
    if ! hk state "$1"; then
        status="<no state: $out>"
        return 1
    fi
    rest=${out#*\"status\":}
    rest=${rest# }
    rest=${rest#\"}
    status=${rest%%\"*}
    rest=${out#*\"pid\":}
    rest=${rest# }
    pid=${rest%%[!0-9]*}
}

# Alive and not a zombie; liveness comes from /proc/PID/stat, never kill(pid, 0).
pid_alive() {
    local stat state
    [ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
    read -r stat < "/proc/$1/stat" 2> /dev/null || return 1
    state=${stat##*) }
    state=${state%% *}
    [ "$state" != Z ] && [ "$state" != X ]
}

# The mount point of every hierarchy (v1: each controller's, name=systemd included).
if [ "$layout" = v2 ]; then
    hierarchies=$cg
else
    hierarchies=$(awk '$3 == "cgroup" { print $2 }' /proc/mounts)
fi

# The container's directory in each hierarchy, for cgroup path $1 ("/a/b").
cgroup_dirs() {
    local mount_point
    for mount_point in $hierarchies; do
        echo "$mount_point$1"
    done
}

# Writes $work/<name>/config.json. $2: cgroupsPath, $3: the shell command of the init,
# $4: extra members of linux.resources (JSON, may be empty), $5: linux.devices (JSON array).
make_bundle() {
    local bundle="$work/$1" resources
    mkdir -p "$bundle/out"
    resources='"devices": [{"allow": false, "access": "rwm"}]'
    [ -n "$4" ] && resources="$resources, $4"
    cat > "$bundle/config.json" <<EOF
{
  "ociVersion": "1.2.0",
  "process": {
    "terminal": false,
    "user": {"uid": 0, "gid": 0},
    "args": ["sh", "-c", "$3"],
    "env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
    "cwd": "/",
    "capabilities": {
      "bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    },
    "noNewPrivileges": true
  },
  "root": {"path": "$container_rootfs", "readonly": true},
  "hostname": "$1",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
     "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/out", "type": "bind", "source": "$bundle/out", "options": ["rbind", "rw"]}
  ],
  "linux": {
    "cgroupsPath": "$2",
    "resources": {$resources},
    "devices": ${5:-[]},
    "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"},
                   {"type": "mount"}, {"type": "cgroup"}]
  }
}
EOF
}

# ---------------------------------------------------------------------------------------------
# The layout really is pure: no cgroup2 mount on v1, no v1 hierarchy on v2.
check_layout() {
    local v1_mounts v2_mounts
    v1_mounts=$(awk '$3 == "cgroup"' /proc/mounts | wc -l)
    v2_mounts=$(awk '$3 == "cgroup2"' /proc/mounts | wc -l)
    if [ "$layout" = v2 ] && [ "$v1_mounts" -eq 0 ] && [ "$v2_mounts" -eq 1 ]; then
        say_ok layout.pure
    elif [ "$layout" = v1 ] && [ "$v1_mounts" -ge 10 ] && [ "$v2_mounts" -eq 0 ]; then
        say_ok layout.pure
    else
        say_fail layout.pure "$v1_mounts v1 and $v2_mounts cgroup2 mounts on a '$layout' VM"
    fi
}

# True when text $1 has a line that is exactly $2.
has_line() {
    case "
$1
" in
        *"
$2
"*) return 0 ;;
    esac
    return 1
}

# /proc/PID/cgroup puts pid at $3 in every hierarchy, and each directory lists it.
check_membership() {
    local name="$1" pid="$2" path="$3" problems="" lines line count=0 mount_point procs
    slurp lines "/proc/$pid/cgroup"
    if [ -z "$lines" ]; then
        say_fail "$name" "cannot read /proc/$pid/cgroup"
        return
    fi
    if [ "$layout" = v2 ]; then
        [ "$lines" = "0::$path
" ] || problems="/proc/$pid/cgroup is '$lines', want '0::$path';"
    else
        # One line per v1 hierarchy, "id:controllers:path", and no "0::" line.
        while IFS= read -r line; do
            count=$((count + 1))
            case "$line" in
                0::*) problems="$problems a cgroup2 line ($line) on pure v1;" ;;
                *:"$path") ;;
                *) problems="$problems '$line' is not at $path;" ;;
            esac
        done < "/proc/$pid/cgroup"
        # shellcheck disable=SC2086 # one word per hierarchy
        set -- $hierarchies
        [ $count -eq $# ] || problems="$problems $count lines in /proc/$pid/cgroup for $# hierarchies;"
    fi
    for mount_point in $hierarchies; do
        procs=""
        slurp procs "$mount_point$path/cgroup.procs" 2> /dev/null
        has_line "$procs" "$pid" || problems="$problems $pid not in $mount_point$path/cgroup.procs;"
    done
    if [ -z "$problems" ]; then say_ok "$name"; else say_fail "$name" "$problems"; fi
}

check_removed() {
    local name="$1" path="$2" pid="$3" left="" dir
    for dir in $(cgroup_dirs "$path"); do
        [ -e "$dir" ] && left="$left $dir"
    done
    if [ -n "$pid" ] && pid_alive "$pid"; then
        say_fail "$name" "init $pid still alive after delete"
    elif [ -n "$left" ]; then
        say_fail "$name" "cgroup directories left after delete:$left"
    else
        say_ok "$name"
    fi
}

# create -> (membership) -> start -> delete -> nothing left, with the default cgroupsPath.
check_lifecycle() {
    local id=life ready
    make_bundle $id "" "echo ready > /out/ready; exec sleep 1000"
    if ! hk create --bundle "$work/$id" $id; then
        say_fail lifecycle.create "hako create: $out"
        for check in cgroup.membership lifecycle.start lifecycle.delete cgroup.removed; do
            say_fail $check "create failed"
        done
        return
    fi
    read_state $id
    if [ "$status" = created ] && pid_alive "$pid"; then
        say_ok lifecycle.create
    else
        say_fail lifecycle.create "status '$status', pid '$pid' after create"
    fi
    local init_pid="$pid"
    # An empty cgroupsPath is "<id>" below hako's own cgroup, the root here.
    check_membership cgroup.membership "$init_pid" /$id

    if hk start $id && wait_for_file "$work/$id/out/ready" && read_state $id && [ "$status" = running ]; then
        say_ok lifecycle.start
    else
        get ready "$work/$id/out/ready"
        say_fail lifecycle.start "start: '$out', status '$status', /out/ready '$ready'"
    fi

    if hk delete --force $id && ! hk state $id; then
        say_ok lifecycle.delete
    else
        say_fail lifecycle.delete "delete --force then state: $out"
    fi
    check_removed cgroup.removed /$id "$init_pid"
}

# v2: the init is born in its cgroup (clone3 CLONE_INTO_CGROUP). hako runs in a cgroup whose
# pids.max is 1, so any fork charged there fails; the container's cgroup is elsewhere, and
# only a child created directly inside it can exist.
check_clone_into_cgroup() {
    local id=born runner=$cg/hako-runner forked rc lines
    mkdir -p "$runner"
    echo 1 > "$runner/pids.max"
    # The probe must be able to fail: a plain fork from inside the runner is refused. (The
    # "exit" keeps sh from exec'ing its last command in place of forking it.)
    if sh -c "echo \$\$ > $runner/cgroup.procs || exit 2; /bin/true || exit 1; exit 0" 2> /dev/null; then
        forked=yes
    else
        forked=no
    fi
    make_bundle $id /hako-born "exec sleep 1000"
    sh -c "echo \$\$ > $runner/cgroup.procs && exec hako --root $state_root create --bundle $work/$id $id" \
        < /dev/null > "$work/hako.out" 2>&1
    rc=$?
    slurp out "$work/hako.out"
    if [ "$forked" = yes ]; then
        say_fail v2.clone_into_cgroup "probe invalid: a fork inside $runner (pids.max=1) succeeded"
    elif [ $rc -ne 0 ]; then
        say_fail v2.clone_into_cgroup "create from a cgroup with pids.max=1 failed (init not cloned into its cgroup?): $out"
    else
        read_state "$id"
        get lines "/proc/$pid/cgroup"
        if [ "$lines" = "0::/hako-born" ]; then
            say_ok v2.clone_into_cgroup
        else
            say_fail v2.clone_into_cgroup "/proc/$pid/cgroup is '$lines', want '0::/hako-born'"
        fi
    fi
    hk delete --force $id
    rmdir "$runner" "$cg/hako-born" 2> /dev/null
}

# linux.resources on a nested absolute cgroupsPath, then the commands that act on a running
# container's cgroup: pause/resume, ps, events --stats, update.
check_resources() {
    local id=res path=/hako-vm/res resources devices script checks init_pid
    resources='"memory": {"limit": 67108864, "swap": 100663296},
      "cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0", "mems": "0"},
      "pids": {"limit": 42},
      "blockIO": {"weight": 500},
      "hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}]'
    devices='[{"path": "/dev/hako-kmsg", "type": "c", "major": 1, "minor": 11, "fileMode": 438, "uid": 0, "gid": 0}]'
    # /dev/null is a default device and stays usable; /dev/kmsg (1:11) is in no default list,
    # and the deny-all rule must make its open fail (EPERM) even for root. (/dev/full would not
    # do: runc appends the default devices' allow rules after the spec's.)
    script='if echo x > /dev/null; then echo ok; else echo fail; fi > /out/null;'
    script="$script if echo hako-vm-device-check > /dev/hako-kmsg; then echo allowed; else echo denied; fi > /out/kmsg;"
    script="$script echo ready > /out/ready; exec sleep 1000"
    make_bundle $id $path "$script" "$resources" "$devices"
    checks="res.memory res.memory_swap res.pids res.cpu_quota res.cpu_shares res.hugetlb res.io_weight
        res.cpuset res.devices pause resume ps events.stats update.memory res.removed"
    if ! hk create --bundle "$work/$id" $id || ! hk start $id || ! wait_for_file "$work/$id/out/ready"; then
        say_fail res.create "create/start with linux.resources: $out"
        for check in $checks; do say_fail "$check" "the container did not start"; done
        hk delete --force $id
        return
    fi
    say_ok res.create
    read_state $id
    init_pid=$pid
    local dir=$cg$path cpus mems bfq weight
    if [ "$layout" = v2 ]; then
        expect_files res.memory "$dir/memory.max=67108864"
        # v2 limits swap alone: spec swap (memory+swap) minus the memory limit.
        expect_files res.memory_swap "$dir/memory.swap.max=33554432"
        expect_files res.pids "$dir/pids.max=42"
        expect_files res.cpu_quota "$dir/cpu.max=50000 100000"
        # runc's conversion since 1.3.2 (opencontainers/cgroups PR #20), quadratic in log space:
        # ceil(10^((l^2 + 125 l) / 612 - 7/34)), l = log2(512) = 9. (The older linear formula
        # 1 + (shares - 2) * 9999 / 262142 gave 20.)
        expect_files res.cpu_shares "$dir/cpu.weight=59"
        expect_files res.hugetlb "$dir/hugetlb.2MB.max=4194304"
        # bfq takes the spec's weight as it is; io.weight (iocost) takes runc's conversion
        # 1 + (weight - 10) * 9999 / 990.
        get bfq "$dir/io.bfq.weight"
        get weight "$dir/io.weight"
        if [ "$bfq" = "default 500" ] || [ "$bfq" = 500 ] || [ "$weight" = "default 4950" ]; then
            say_ok res.io_weight
        else
            say_fail res.io_weight "io.bfq.weight is '$bfq', io.weight is '$weight'"
        fi
        get cpus "$dir/cpuset.cpus.effective"
        get mems "$dir/cpuset.mems.effective"
    else
        expect_files res.memory "$cg/memory$path/memory.limit_in_bytes=67108864"
        expect_files res.memory_swap "$cg/memory$path/memory.memsw.limit_in_bytes=100663296"
        expect_files res.pids "$cg/pids$path/pids.max=42"
        expect_files res.cpu_quota "$cg/cpu$path/cpu.cfs_quota_us=50000" "$cg/cpu$path/cpu.cfs_period_us=100000"
        expect_files res.cpu_shares "$cg/cpu$path/cpu.shares=512"
        expect_files res.hugetlb "$cg/hugetlb$path/hugetlb.2MB.limit_in_bytes=4194304"
        get bfq "$cg/blkio$path/blkio.bfq.weight"
        get weight "$cg/blkio$path/blkio.weight"
        if [ "$bfq" = 500 ] || [ "$weight" = 500 ]; then
            say_ok res.io_weight
        else
            say_fail res.io_weight "blkio.bfq.weight is '$bfq', blkio.weight is '$weight'"
        fi
        get cpus "$cg/cpuset$path/cpuset.effective_cpus"
        get mems "$cg/cpuset$path/cpuset.effective_mems"
    fi
    # The kernel's own view of the init's affinity, besides the cgroup files.
    local status_text allowed
    slurp status_text "/proc/$init_pid/status"
    allowed=${status_text#*Cpus_allowed_list:}
    allowed=${allowed%%
*}
    allowed=${allowed#"${allowed%%[! 	]*}"}
    if [ "$cpus" = 0 ] && [ "$mems" = 0 ] && [ "$allowed" = 0 ]; then
        say_ok res.cpuset
    else
        say_fail res.cpuset "effective cpus '$cpus', mems '$mems', init Cpus_allowed_list '$allowed', want 0"
    fi
    local null_result kmsg_result
    get null_result "$work/$id/out/null"
    get kmsg_result "$work/$id/out/kmsg"
    if [ "$null_result" = ok ] && [ "$kmsg_result" = denied ]; then
        say_ok res.devices
    else
        say_fail res.devices "inside the container: write /dev/null '$null_result' (want ok), open /dev/hako-kmsg (c 1:11, not allowed) '$kmsg_result' (want denied)"
    fi

    check_freezer $id "$path"

    if hk ps --format json $id && echo "$out" | tr -d ' \n' | grep -Eq "(^|[[,])$init_pid([],]|\$)"; then
        say_ok ps
    else
        say_fail ps "ps --format json printed '$out', want a JSON array with $init_pid"
    fi
    if hk events --stats $id && echo "$out" | grep -Eq '"type" *: *"stats"' &&
        echo "$out" | tr -d ' \n' | grep -Eq '"pids":\{"current":[1-9]'; then
        say_ok events.stats
    else
        say_fail events.stats "events --stats printed '$out', want type stats with pids.current >= 1"
    fi
    # Lower than the 96 MiB memory+swap the container keeps: a limit above it is refused, as
    # by runc.
    if hk update --memory 50331648 $id; then
        if [ "$layout" = v2 ]; then
            expect_files update.memory "$dir/memory.max=50331648"
        else
            expect_files update.memory "$cg/memory$path/memory.limit_in_bytes=50331648"
        fi
    else
        say_fail update.memory "hako update --memory: $out"
    fi

    hk delete --force $id || echo "delete --force $id: $out"
    check_removed res.removed $path "$init_pid"
    for parent in $(cgroup_dirs /hako-vm); do rmdir "$parent" 2> /dev/null; done
}

# pause and resume: the freezer file, the kernel's frozen flag (v2) and hako's status.
check_freezer() {
    local id="$1" path="$2" freeze_file frozen thawed value events=""
    if [ "$layout" = v2 ]; then
        freeze_file=$cg$path/cgroup.freeze frozen=1 thawed=0
    else
        # FREEZING until every task stopped; FROZEN after.
        freeze_file=$cg/freezer$path/freezer.state frozen=FROZEN thawed=THAWED
    fi
    if hk pause "$id"; then
        if [ "$layout" = v2 ]; then
            wait_until grep -qx "frozen 1" "$cg$path/cgroup.events"
            slurp events "$cg$path/cgroup.events"
        else
            wait_until grep -qx FROZEN "$freeze_file"
        fi
        get value "$freeze_file"
        read_state "$id"
        if [ "$value" = $frozen ] && [ "$status" = paused ] &&
            { [ "$layout" = v1 ] || [ "${events#*frozen 1}" != "$events" ]; }; then
            say_ok pause
        else
            say_fail pause "$freeze_file is '$value', status '$status', cgroup.events '$events'"
        fi
    else
        say_fail pause "hako pause: $out"
    fi
    if hk resume "$id"; then
        get value "$freeze_file"
        read_state "$id"
        if [ "$value" = $thawed ] && [ "$status" = running ]; then
            say_ok resume
        else
            say_fail resume "$freeze_file is '$value', status '$status'"
        fi
    else
        say_fail resume "hako resume: $out"
    fi
}

mkdir -p "$work" "$state_root"
check_layout
check_lifecycle
[ "$layout" = v2 ] && check_clone_into_cgroup
check_resources
echo "HAKO-TEST summary total=$total"
