#!/bin/sh
# Linux migration bench, in the E2E's two-node VM: (a) numaflipd's move of a 256 MiB process
# from node 1 to node 0 (rate limits off) against numactl's migratepages on the same pages,
# with status probed during the move; (b) the cost of one observation (full move_pages scan,
# sampled scan, numa_maps) at 32, 128 and 512 MiB. Heavy: run it under
# flock /tmp/nf-heavy.lock on a shared machine.
# Usage: bench/linux-migrate.sh [BUILD_BIN_DIR]
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$ROOT/build/default/bin}
[ -x "$BIN/nf-observe" ] || { echo "no nf-observe in $BIN: build with the linux backend first"; exit 1; }
NF_E2E_LINUX_MODE=bench NF_E2E_LINUX_EXTRA=$ROOT/bench/linux-migrate.guest.sh \
        NF_E2E_LINUX_TIMEOUT=${NF_BENCH_TIMEOUT:-1200} exec sh "$ROOT/tests/e2e/linux/run.sh" "$BIN"
