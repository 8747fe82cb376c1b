#!/usr/bin/env bash
# Control-socket cost: requests per second from one client, then from N concurrent
# clients, while the daemon works a migration; printed as a ratio of the one-client
# run in this script. Then the latency of one operator's status (p50/p99/max, a new
# connection each time, as numaflipctl makes) on a 64-guest host while 64 other clients
# hammer the socket with status requests and migrations run, against the same probe on
# the idle socket. Also the daemon's CPU time and memory, idle and busy.
# Usage: bench/control.sh [BUILD_BIN_DIR] [CLIENTS] [REQUESTS_PER_CLIENT]
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export NF_BIN=${1:-$ROOT/build/default/bin}
CLIENTS=${2:-8}
REQS=${3:-2000}
[ -x "$NF_BIN/numaflipd" ] || { echo "no numaflipd in $NF_BIN: build first (scripts/test.sh)"; exit 1; }
[ -x "$NF_BIN/ctl-load" ] || { echo "no ctl-load in $NF_BIN: build with tests (scripts/test.sh)"; exit 1; }
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

# The latency run: 64 guests, eight of them migrating slowly throughout.
{
        printf '[defaults]\nmode = threshold\nthreshold = 100%%\ntarget = 0%%\nrate_limit = 4MiB/s\nbatch = 64 pages\n'
        printf '[sim]\nnodes = 2\nnode_size = 64GiB\ncvm_node = 0\ncvm_memory = 2GiB\nstep = 100ms\nclock = real\nspeed = 1\n'
        for i in $(seq 64); do printf '[sim.vm g%d]\nmemory = 512MiB\nhome = 1\nflip_rate = 2000/s\n' "$i"; done
} | NF_POLL=1s nf_config
nf_start
sleep 3 # some drift to move
for i in $(seq 8); do ctl migrate "g$i" >/dev/null; done
idle_lat=$("$NF_BIN/ctl-load" probe "$NF_SOCK" status 1000 5)
"$NF_BIN/ctl-load" hammer "$NF_SOCK" 64 status 120 >"$NF_TMP/hammer" &
hammer=$!
for _ in $(seq 100); do grep -q ready "$NF_TMP/hammer" && break; sleep 0.05; done
sleep 1 # past the new connections' first requests
load_lat=$("$NF_BIN/ctl-load" probe "$NF_SOCK" status 1000 5)
kill -TERM "$hammer"
nf_reap "$hammer" >/dev/null
hammered=$(tail -n1 "$NF_TMP/hammer")
migrating=$(ctlj status | jq '[.guests[] | select(.state == "migrating")] | length')
nf_stop

printf '\ncontrol socket, %d status requests per client, during migrations (still active: %s)\n\n' "$REQS" "$moving"
printf '%-22s %12s %10s\n' clients "requests/s" "vs 1"
printf '%-22s %12s %10s\n' 1 "$one" "1.00x"
awk -v c="$CLIENTS" -v m="$many" -v o="$one" 'BEGIN { printf "%-22s %12s %9.2fx\n", c " concurrent", m, m / o }'
printf '\ndaemon: idle %s%% CPU, %s KiB RSS; serving and migrating %s%% CPU, %s KiB RSS\n' \
        "$idle_cpu" "$idle_rss" "$busy_cpu" "$busy_rss"
printf '\none status client, 64 guests, %s guests still migrating at the end\n\n' "$migrating"
printf '%-34s %s\n' "idle socket:" "$idle_lat"
printf '%-34s %s\n' "64 clients hammering status:" "$load_lat"
printf '%-34s %s\n' "  (the hammer:" "$hammered)"
awk -v a="$idle_lat" -v b="$load_lat" 'BEGIN {
        split(a, x, " "); split(b, y, " ");
        printf "%-34s p50 %.2fx, p99 %.2fx\n", "under load vs idle:", y[3] / x[3], y[5] / x[5] }'
