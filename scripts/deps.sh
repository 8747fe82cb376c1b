#!/usr/bin/env bash
# Installs what numaflip needs to build and test on Debian 12 (run as root or via sudo).
set -euo pipefail

PACKAGES=(
        build-essential cmake pkg-config
        libevent-dev libinih-dev libjansson-dev libsystemd-dev libnuma-dev libxen-dev
        libcmocka-dev jq valgrind util-linux systemd
        clang libclang-rt-14-dev clang-format
        # Packaging, metrics and plots: the .deb and its lint, promtool and a real
        # node-exporter for the metrics test, gnuplot for bench/locality.sh --plot.
        dpkg-dev debhelper lintian prometheus prometheus-node-exporter curl gnuplot-nox
)
# The linux backend's E2E and benches: Debian's kernel in QEMU with two NUMA nodes, and the
# tools they compare with (tests/e2e/linux, bench/linux-*.sh).
PACKAGES+=(qemu-system-x86 busybox-static cpio numactl numad linux-image-amd64)
# The Xen E2E's Debian dom0 with systemd (tests/e2e/xen/systemd.sh): its root filesystem
# and disk image.
PACKAGES+=(mmdebstrap e2fsprogs)

# Nothing to do when all is there already: no root needed then.
missing=()
for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
                missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
        echo "==> build and test dependencies: all installed"
        exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
        if ! command -v sudo >/dev/null; then
                echo "deps.sh: missing packages: ${missing[*]}" >&2
                echo "deps.sh: run this as root, or install sudo, to install them" >&2
                exit 1
        fi
        SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
echo "==> installing build and test dependencies: ${missing[*]}"
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
