#!/bin/sh
# The same drifted workload (400 MiB placed on node 1, running on node 0's CPU, free to move)
# under nothing, the kernel's NUMA balancing, numad with its defaults and numaflipd in
# threshold mode, in the E2E's two-node VM: time until the remote share is at or below 2%,
# the workload's passes per second, CPU used by the mover and pages migrated. One table.
# Heavy: run it under flock /tmp/nf-heavy.lock on a shared machine.
# Usage: bench/linux-vs.sh [BUILD_BIN_DIR] [SECONDS per run, default 90]
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$ROOT/build/default/bin}
[ -x "$BIN/nf-workload" ] || { echo "no nf-workload in $BIN: build with the linux backend first"; exit 1; }
printf 'VS_SECS=%s\n' "${2:-90}" >/tmp/nf-vs-secs.$$
cat /tmp/nf-vs-secs.$$ "$ROOT/bench/linux-vs.guest.sh" >/tmp/nf-vs-guest.$$
rm -f /tmp/nf-vs-secs.$$
NF_E2E_LINUX_MODE=bench NF_E2E_LINUX_EXTRA=/tmp/nf-vs-guest.$$ \
        NF_E2E_LINUX_TIMEOUT=${NF_BENCH_TIMEOUT:-1500} sh "$ROOT/tests/e2e/linux/run.sh" "$BIN"
rc=$?
rm -f /tmp/nf-vs-guest.$$
exit $rc
