#!/usr/bin/env bash
# Scale: the daemon with 100 and with 1000 simulated guests, polling every second in
# real time: its CPU share of one core, its resident memory, and the reply time of a
# status, printed as figures and as the growth from 100 to 1000 guests (10x the guests:
# a ratio at or below 10 grows no worse than linearly).
# Usage: bench/scale.sh [BUILD_BIN_DIR] [SECONDS]
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export NF_BIN=${1:-$ROOT/build/default/bin}
SECS=${2:-10}
[ -x "$NF_BIN/numaflipd" ] || { echo "no numaflipd in $NF_BIN: build first (scripts/test.sh)"; exit 1; }
[ -x "$NF_BIN/ctl-load" ] || { echo "no ctl-load in $NF_BIN: build with tests (scripts/test.sh)"; exit 1; }
. "$ROOT/tests/integration/lib.sh"

# On-CPU time of the daemon in ns (schedstat: exact, where stat counts 10 ms ticks).
cpu_ns() { awk '{ print $1 }' "/proc/$NF_PID/schedstat"; }
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$NF_PID/status"; }

declare -A cpu rss lat
for n in 100 1000; do
        {
                printf '[defaults]\nmode = threshold\n'
                printf '[sim]\nnodes = 2\nnode_size = 1TiB\ncvm_node = 0\ncvm_memory = 4GiB\nstep = 1s\nclock = real\nspeed = 1\n'
                for i in $(seq "$n"); do printf '[sim.vm g%d]\nmemory = 256MiB\nhome = 1\nflip_rate = 10/s\n' "$i"; done
        } | NF_POLL=1s NF_LOG_LEVEL=notice nf_config
        nf_start
        [ "$(ctlj status | jq '.guests | length')" -eq $((n + 1)) ] || { echo "not all $n guests listed"; exit 1; }
        sleep 2
        c0=$(cpu_ns)
        t0=$(date +%s%N)
        sleep "$SECS"
        c1=$(cpu_ns)
        t1=$(date +%s%N)
        cpu[$n]=$(awk -v c=$((c1 - c0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.3f", c / t * 100 }')
        rss[$n]=$(rss_kib)
        # p50 of 50 status replies, a tenth of a second apart, then the figures.
        lat[$n]=$("$NF_BIN/ctl-load" probe "$NF_SOCK" status 50 100 | awk '{ print $3 }')
        polls=$(ctlj status | jq .daemon.polls)
        nf_stop
        echo "$n guests: $polls polls"
done

printf '\nnumaflipd on the sim, poll every 1s, real time, %ss measured\n\n' "$SECS"
printf '%-10s %14s %12s %16s\n' guests "CPU of a core" "RSS" "status p50"
for n in 100 1000; do
        printf '%-10s %13s%% %8s KiB %13s ms\n' "$n" "${cpu[$n]}" "${rss[$n]}" "${lat[$n]}"
done
awk -v c1="${cpu[100]}" -v c2="${cpu[1000]}" -v r1="${rss[100]}" -v r2="${rss[1000]}" \
        -v l1="${lat[100]}" -v l2="${lat[1000]}" 'BEGIN {
        printf "%-10s %13.2fx %11.2fx %15.2fx\n", "growth", c2 / c1, r2 / r1, l2 / l1 }'
awk -v c="${cpu[1000]}" -v r="${rss[1000]}" 'BEGIN {
        printf "\ntargets at 1000 guests: CPU under 1%% (%s), RSS under 32 MiB (%s)\n",
                (c < 1 ? "met" : "MISSED"), (r < 32768 ? "met" : "MISSED") }'
