#!/usr/bin/env bash
# Installs hako's build and test dependencies (Debian 12). Idempotent: apt runs only when a
# package is missing. Needs root for that. Usage: scripts/setup.sh
set -euo pipefail

packages=(
    build-essential cmake ninja-build pkg-config g++
    # the static binary's hot code is linked first by lld (CMakeLists.txt, scripts/hot-code)
    lld
    nlohmann-json3-dev libcli11-dev libfmt-dev libseccomp-dev libcap-dev
    libgtest-dev libgmock-dev googletest
    busybox-static python3 iproute2 jq
    # `hako ps` runs the host's ps (as runc does) and filters its rows
    procps
    # fuzz/: clang with the libFuzzer runtime (scripts/fuzz.sh)
    clang libclang-rt-14-dev
    # tests/vm: a qemu VM (software emulation) booting Debian's kernel from an initramfs
    qemu-system-x86 cpio
    # the peers, compared side by side in bench/ and tests/engines
    runc crun
    # tests/engines: real engines driving hako with private config and state dirs
    podman conmon containernetworking-plugins containerd docker.io iptables tmux
)

missing=()
for pkg in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    [ "$status" = installed ] || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "setup.sh: all ${#packages[@]} packages installed"
    exit 0
fi

echo "setup.sh: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
    echo "setup.sh: must run as root to install packages" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# The engine packages would start their daemons (dockerd, containerd) on install; the tests
# start private instances themselves, so a policy-rc.d forbids service starts meanwhile.
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update
apt-get install -y --no-install-recommends "${packages[@]}" </dev/null
