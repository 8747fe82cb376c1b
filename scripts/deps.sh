#!/usr/bin/env bash
# Installs what numaflip needs to build and test on Debian 12 (run as root or via sudo).
set -euo pipefail

PACKAGES=(
        build-essential cmake pkg-config
        libevent-dev libinih-dev libjansson-dev libsystemd-dev libnuma-dev libxen-dev
        libcmocka-dev jq valgrind util-linux systemd
        clang libclang-rt-14-dev clang-format
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
        SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
echo "==> installing build and test dependencies: ${PACKAGES[*]}"
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"
