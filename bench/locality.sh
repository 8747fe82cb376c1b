#!/usr/bin/env bash
# Locality achieved: web1's remote share after one simulated hour of flipping, under
# each mitigation, side by side and as a ratio of the unmitigated run in this script.
# Usage: bench/locality.sh [BUILD_BIN_DIR]   (default build/default/bin)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export NF_BIN=${1:-$ROOT/build/default/bin}
[ -x "$NF_BIN/numaflipd" ] || { echo "no numaflipd in $NF_BIN: build first (scripts/test.sh)"; exit 1; }
. "$ROOT/tests/integration/lib.sh"
. "$ROOT/tests/integration/scenarios.sh"

declare -A final peak moved
for s in none threshold periodic pool; do
        scenario_config "$s" | nf_config
        nf_start
        advance 60m
        j=$(ctlj vm web1)
        final[$s]=$(echo "$j" | jq .remote_share)
        peak[$s]=$(echo "$j" | jq .max_remote_share)
        moved[$s]=$(echo "$j" | jq .counters.bytes_moved)
        nf_stop
done

printf '\nweb1 (4 GiB on node 1, 70 flips/s from the CVM on node 0), after 1 simulated hour\n\n'
printf '%-10s %12s %12s %12s %14s\n' mitigation "remote" "peak" "vs none" "migrated"
for s in none threshold periodic pool; do
        awk -v n="$s" -v f="${final[$s]}" -v p="${peak[$s]}" -v b="${final[none]}" -v m="${moved[$s]}" \
                'BEGIN { printf "%-10s %11.2f%% %11.2f%% %11.3fx %11.1f MiB\n", n, f * 100, p * 100, (b > 0 ? f / b : 0), m / 1048576 }'
done
