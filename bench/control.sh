#!/usr/bin/env bash
# Control-socket cost: requests per second from one client, then from N concurrent
# clients, while the daemon works a migration; printed as a ratio of the one-client
# run in this script. Also the daemon's CPU time and memory, idle and busy.
# Usage: bench/control.sh [BUILD_BIN_DIR] [CLIENTS] [REQUESTS_PER_CLIENT]
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export NF_BIN=${1:-$ROOT/build/default/bin}
CLIENTS=${2:-8}
REQS=${3:-2000}
[ -x "$NF_BIN/numaflipd" ] || { echo "no numaflipd in $NF_BIN: build first (scripts/test.sh)"; exit 1; }
. "$ROOT/tests/integration/lib.sh"

# A real-time host with four flipping guests, so polls and sampling go on throughout.
{
        printf '[defaults]\nmode = threshold\nthreshold = 100%%\ntarget = 0%%\nrate_limit = 64MiB/s\nbatch = 256 pages\n'
        printf '[sim]\nnodes = 2\nnode_size = 16GiB\ncvm_node = 0\ncvm_memory = 2GiB\nstep = 100ms\nclock = real\nspeed = 1\n'
        for i in 1 2 3 4; do printf '[sim.vm web%d]\nmemory = 2GiB\nhome = 1\nflip_rate = 20000/s\n' "$i"; done
} | NF_POLL=100ms nf_config
nf_start

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$NF_PID/stat"; }
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$NF_PID/status"; }
hz=$(getconf CLK_TCK)

t0=$(cpu_ticks)
sleep 3
idle_cpu=$(awk -v a="$t0" -v b="$(cpu_ticks)" -v hz="$hz" 'BEGIN { printf "%.1f", (b - a) / hz / 3 * 100 }')
idle_rss=$(rss_kib)

for i in $(seq "$REQS"); do printf '{"id":%d,"cmd":"status"}\n' "$i"; done >"$NF_TMP/reqs"

# rate CLIENTS: requests per second over CLIENTS connections at once.
rate() {
        local n=$1 pids="" start end
        start=$(date +%s%N)
        for c in $(seq "$n"); do
                ctl raw <"$NF_TMP/reqs" >"$NF_TMP/out.$c" &
                pids="$pids $!"
        done
        wait $pids
        end=$(date +%s%N)
        for c in $(seq "$n"); do
                [ "$(wc -l <"$NF_TMP/out.$c")" -eq "$REQS" ] || { echo "client $c lost replies"; exit 1; }
        done
        awk -v n="$n" -v r="$REQS" -v ns=$((end - start)) 'BEGIN { printf "%.0f", n * r / (ns / 1e9) }'
}

ctl migrate web1 >/dev/null
ctl migrate web2 >/dev/null 2>&1
t0=$(cpu_ticks)
w0=$(date +%s%N)
one=$(rate 1)
many=$(rate "$CLIENTS")
w1=$(date +%s%N)
busy_cpu=$(awk -v a="$t0" -v b="$(cpu_ticks)" -v hz="$hz" -v ns=$((w1 - w0)) 'BEGIN { printf "%.1f", (b - a) / hz / (ns / 1e9) * 100 }')
busy_rss=$(rss_kib)
moving=$(vmf web1 .migration.active)
nf_stop

printf '\ncontrol socket, %d status requests per client, during migrations (still active: %s)\n\n' "$REQS" "$moving"
printf '%-22s %12s %10s\n' clients "requests/s" "vs 1"
printf '%-22s %12s %10s\n' 1 "$one" "1.00x"
awk -v c="$CLIENTS" -v m="$many" -v o="$one" 'BEGIN { printf "%-22s %12s %9.2fx\n", c " concurrent", m, m / o }'
printf '\ndaemon: idle %s%% CPU, %s KiB RSS; serving and migrating %s%% CPU, %s KiB RSS\n' \
        "$idle_cpu" "$idle_rss" "$busy_cpu" "$busy_rss"
