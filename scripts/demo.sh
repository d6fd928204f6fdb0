#!/usr/bin/env bash
# Installs what the build needs, builds hako, and runs a small container that shows what it
# sees from inside. Needs root.
# Usage: scripts/demo.sh   (HAKO=/path/to/runtime overrides build/hako and skips the build)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${HAKO:-}" ]; then
    scripts/setup.sh
    HAKO=build/hako
    [ -f build/build.ninja ] || cmake -S . -B build -G Ninja -DHAKO_UNITY_BUILD=ON
    cmake --build build --target hako
fi

bundle=bundle
id=hako-demo
mkdir -p "$bundle"
scripts/make-rootfs.sh "$bundle/rootfs"
rm -f "$bundle/config.json"
"$HAKO" spec --bundle "$bundle"

# shellcheck disable=SC2016  # expanded inside the container, not here
script='echo "pid 1: $$"
echo "hostname: $(hostname)"
echo "namespaces:"
ls -l /proc/self/ns
echo "uid_map:"
cat /proc/self/uid_map'
tmp=$(mktemp "$bundle/config.json.XXXXXX")
jq --arg script "$script" \
    '.process.args = ["sh", "-c", $script] | .process.terminal = false' \
    "$bundle/config.json" > "$tmp"
mv "$tmp" "$bundle/config.json"

"$HAKO" delete --force "$id" >/dev/null 2>&1 || true
exec "$HAKO" run --bundle "$bundle" "$id"
