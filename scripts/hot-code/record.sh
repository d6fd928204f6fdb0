#!/usr/bin/env bash
# Records which of hako's functions its commands run, first run first, into
# src/static_link/hot-code.order: the link order that puts them together at the start of the
# binary's code (CMakeLists.txt, lld's --symbol-ordering-file). Every code page a command
# touches costs a page fault that maps its 64 KiB neighbourhood; with the hot code scattered
# over the 2.4 MB of code a `run` took 63 of them, with it together 22 (docs/ARCHITECTURE.md,
# "Start-up").
#
# usage: scripts/hot-code/record.sh [HAKO]   as root, after a build (HAKO: build/hako)
#
# It single-steps each command under scripts/hot-code/trace_code.c, which makes it slow
# (about ten minutes) but exact. Run it again when the commands' code paths changed much:
# functions the file does not name are linked after the hot ones, as before.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ "${HAKO_HOT_CODE_PRIVATE:-}" != 1 ]; then
    [ "$(id -u)" -eq 0 ] || { echo "record.sh: must run as root" >&2; exit 1; }
    # The containers' mounts stay in a private mount namespace that goes with this script.
    exec env HAKO_HOT_CODE_PRIVATE=1 unshare -m --propagation private "$0" "$@"
fi

hako=$(realpath "${1:-build/hako}")
rootfs=$(realpath build/test-rootfs)
[ -x "$hako" ] || { echo "record.sh: $hako is not an executable" >&2; exit 1; }
[ -d "$rootfs/bin" ] || { echo "record.sh: $rootfs missing (build first)" >&2; exit 1; }
work=$(mktemp -d /tmp/hako-hot-code.XXXXXX)
trap 'rm -rf "$work"' EXIT
cc -O2 -o "$work/trace_code" scripts/hot-code/trace_code.c
read -r text_start text_end < <(scripts/hot-code/order.py text-range "$hako")

# Two bundles on the test rootfs: one whose process exits at once, one that stays.
make_bundle() {
    mkdir -p "$work/$1"
    "$hako" spec --bundle "$work/$1"
    python3 - "$work/$1/config.json" "$rootfs" "${@:2}" <<'PY'
import json, sys
path, rootfs, args = sys.argv[1], sys.argv[2], sys.argv[3:]
config = json.load(open(path))
config["root"] = {"path": rootfs, "readonly": True}
config["process"]["args"] = args
config["process"]["terminal"] = False
json.dump(config, open(path, "w"), indent=2)
PY
}
make_bundle exits /bin/true
make_bundle stays /bin/sleep 600

addresses="$work/addresses"
traced() {
    echo "record.sh: hako $*" >&2
    "$work/trace_code" "$addresses" "$text_start" "$text_end" "$hako" --root "$work/root" "$@"
}
# The order of the commands is the order of their code: `run` first, as it matters most.
traced run --bundle "$work/exits" hot-run
traced create --bundle "$work/stays" hot-one
traced start hot-one
traced state hot-one >/dev/null
traced exec hot-one /bin/true
traced list >/dev/null
traced kill hot-one KILL
while [ "$("$hako" --root "$work/root" state hot-one | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')" != stopped ]; do
    sleep 0.05
done
traced delete hot-one
traced create --bundle "$work/stays" hot-two
traced delete --force hot-two

scripts/hot-code/order.py symbols "$hako" "$addresses" > src/static_link/hot-code.order
echo "record.sh: $(wc -l < src/static_link/hot-code.order) functions in src/static_link/hot-code.order"
