#!/usr/bin/env bash
# A migration larger than one batch is visible in flight; pause holds it; SIGTERM
# during a migration exits cleanly, counting what was done.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/scenarios.sh"

# Virtual time: let web1 drift for an hour, then move it home by hand at 16 MiB/s in
# 1 MiB batches (threshold 100%: only a manual migration runs).
{
        printf '[defaults]\nmode = threshold\nthreshold = 100%%\ntarget = 0%%\n'
        printf 'rate_limit = 16MiB/s\nbatch = 1MiB\n'
        sim_host
} | nf_config
nf_start
advance 60m
remote=$(vmf web1 .remote_pages)
check "web1 drifted before the migration ($remote remote pages)" [ "$remote" -gt 100000 ]
check "no migration yet: threshold 100% never triggers" \
        [ "$(vmf web1 .counters.pages_moved)" = 0 ]
out=$(ctl migrate web1)
check "migrate web1 starts: '$out'" [ $? -eq 0 ]
advance 5s
j=$(ctlj vm web1)
active=$(echo "$j" | jq -r .migration.active)
moved=$(echo "$j" | jq -r .migration.moved_pages)
goal=$(echo "$j" | jq -r .migration.goal_pages)
batches=$(echo "$j" | jq -r .migration.batches)
check "in flight after 5s: active=$active, $moved moved, $goal to go, $batches batches" \
        eval '[ "$active" = true ] && [ "$moved" -gt 0 ] && [ "$goal" -gt 0 ] && [ "$batches" -ge 2 ]'
# 5 s at 16 MiB/s (plus the first 1 MiB batch at once) is at most 81 MiB.
check "the rate limit paces it ($moved pages <= 20736)" [ "$moved" -le 20736 ]
check "status shows it migrating" \
        [ "$(ctlj status | jq -r '.guests[] | select(.name=="web1") | .state')" = migrating ]
ctl vm web1 | grep -q "migration     in progress (manual)"
check "vm shows the migration in progress in its table" [ $? -eq 0 ]
ctl migrate web1 >/dev/null 2>"$NF_TMP/err"
check "a second migrate is refused as busy" grep -q "^numaflipctl: busy:" "$NF_TMP/err"

ctl pause web1 >/dev/null
before=$(vmf web1 .migration.moved_pages)
advance 10s
after=$(vmf web1 .migration.moved_pages)
check "paused: nothing moves ($before -> $after), state $(vmf web1 .state)" \
        eval '[ "$before" = "$after" ] && [ "$(vmf web1 .state)" = paused ]'
ctl resume web1 >/dev/null
advance 2m
j=$(ctlj vm web1)
check "resumed and finished: active=$(echo "$j" | jq .migration.active), completed=$(echo "$j" | jq .counters.completed)" \
        eval '[ "$(echo "$j" | jq -r .migration.active)" = false ] && [ "$(echo "$j" | jq .counters.completed)" = 1 ]'
check "counters add up: tried = moved + failed" \
        [ "$(echo "$j" | jq '.counters.pages_tried == .counters.pages_moved + .counters.pages_failed')" = true ]
check "web1 is home again (share $(echo "$j" | jq .counters.last_end_share) at the end)" \
        fcmp "$(echo "$j" | jq .counters.last_end_share)" '<' 0.001
check "bytes_moved = pages_moved * 4096" \
        [ "$(echo "$j" | jq '.counters.bytes_moved == .counters.pages_moved * 4096')" = true ]
nf_stop

# Batches are bounded in time too: when copying pages costs wall time (20us a page
# here) and even the slow-start first batch (256 pages, ~5ms) overruns batch_time
# (4ms), the mover halves the batch until one fits.
{
        printf 'batch_time = 4ms\n'
        printf '[defaults]\nmode = threshold\nthreshold = 100%%\ntarget = 0%%\n'
        printf 'rate_limit = 0\nbatch = 4096 pages\n'
        sim_host
} | sed 's/^\[sim.vm web1\]/migrate_cost = 20us\n&/' | nf_config
nf_start
advance 10m
ctl migrate web1 >/dev/null
advance 10s
j=$(ctlj vm web1)
cap=$(echo "$j" | jq .migration.batch_pages)
first=$(echo "$j" | jq .counters.max_batch_real_ns)
check "time bound: the first (256-page) batch took $((first / 1000))us, over 4ms" \
        [ "$first" -gt 4000000 ]
check "time bound: later batches were cut to $cap pages" eval '[ "$cap" -le 128 ] && [ "$cap" -ge 1 ]'
check "time bound: the migration still completed ($(echo "$j" | jq .counters.completed))" \
        eval '[ "$(echo "$j" | jq .counters.completed)" = 1 ] && [ "$(echo "$j" | jq .migration.active)" = false ]'
nf_stop

# The global cap binds two guests together, and the mover shares it between them.
{
        printf 'rate_limit = 16MiB/s\n'
        printf '[defaults]\nmode = threshold\nthreshold = 100%%\ntarget = 0%%\n'
        printf 'rate_limit = 64MiB/s\nbatch = 1MiB\n'
        sim_host
        printf '[sim.vm web2]\nmemory = 2GiB\nhome = 1\nflip_rate = 70/s\n'
} | nf_config
nf_start
advance 60m
ctl migrate web1 >/dev/null && ctl migrate web2 >/dev/null
advance 10s
m1=$(vmf web1 .migration.moved_pages)
m2=$(vmf web2 .migration.moved_pages)
total=$(((m1 + m2) * 4096))
# 10 s at 16 MiB/s plus the initial bucket (at most 16 MiB/10 or one batch each).
check "global cap: both guests together moved $((total >> 20)) MiB in 10s (<= 166 MiB)" \
        eval '[ "$total" -le $((166 << 20)) ] && [ "$total" -ge $((150 << 20)) ]'
check "global cap: shared between them ($((m1 * 4096 >> 20)) and $((m2 * 4096 >> 20)) MiB)" \
        eval '[ $((m1 - m2)) -le 512 ] && [ $((m2 - m1)) -le 512 ]'
nf_stop

# A guest whose batch is bigger than the global bucket still moves: each batch goes
# once the bucket is full, and the global rate holds on average.
{
        printf 'rate_limit = 10MiB/s\n'
        printf '[defaults]\nmode = threshold\nthreshold = 100%%\ntarget = 0%%\n'
        printf 'rate_limit = 0\nbatch = 1MiB\n[vm web1]\nbatch = 8MiB\n'
        sim_host
} | nf_config
nf_start
advance 60m
ctl migrate web1 >/dev/null
advance 10s
moved=$(($(vmf web1 .migration.moved_pages) * 4096))
check "a batch over the global bucket moves: $((moved >> 20)) MiB in 10s at 10 MiB/s" \
        eval '[ "$moved" -ge $((64 << 20)) ] && [ "$moved" -le $((112 << 20)) ]'
nf_stop

# Real time: a burst of flips makes 1 GiB web1 partly remote, a reload stops the
# flips, then a manual migration at 32 MiB/s in 512 KiB batches runs for seconds.
real_conf() {
        printf '[defaults]\nmode = threshold\nthreshold = 100%%\ntarget = 0%%\n'
        printf 'rate_limit = 32MiB/s\nbatch = 128 pages\n'
        printf '[sim]\nnodes = 2\nnode_size = 4GiB\ncvm_node = 0\ncvm_memory = 1GiB\n'
        printf 'step = 100ms\nclock = real\nspeed = 1\n'
        printf '[sim.vm web1]\nmemory = 1GiB\nhome = 1\nflip_rate = %s\n' "$1"
}
real_conf 50000/s | nf_config
nf_start
sleep 2
real_conf 0 | nf_config
ctl reload >/dev/null
remote=$(vmf web1 .remote_pages)
check "real time: web1 drifted under the flip burst ($remote pages)" [ "$remote" -gt 20000 ]
ctl migrate web1 >/dev/null
seen=0
slow=0
for _ in $(seq 10); do
        sleep 0.2
        t0=$(date +%s%N)
        j=$(ctlj vm web1)
        t1=$(date +%s%N)
        [ $(((t1 - t0) / 1000000)) -gt 500 ] && slow=$((slow + 1))
        if [ "$(echo "$j" | jq -r .migration.active)" = true ] &&
                [ "$(echo "$j" | jq .migration.moved_pages)" -gt 0 ]; then
                seen=$((seen + 1))
        fi
done
check "real time: vm answered mid-migration with partial progress ($seen of 10 looks)" \
        [ "$seen" -ge 3 ]
check "real time: no query took over 500ms while migrating ($slow slow)" [ "$slow" -eq 0 ]
kill -TERM "$NF_PID"
t0=$(date +%s%N)
wait "$NF_PID"
rc=$?
t1=$(date +%s%N)
NF_PID=""
check "SIGTERM mid-migration: exit status 0 (got $rc)" [ "$rc" -eq 0 ]
check "SIGTERM mid-migration: stopped within 2s ($(((t1 - t0) / 1000000)) ms)" \
        [ $(((t1 - t0) / 1000000)) -lt 2000 ]
check "SIGTERM mid-migration: abandoned plan logged with its progress" \
        grep -Eq "web1: migration abandoned after [0-9]+ of [0-9]+ pages tried moved .*daemon stopping" "$NF_LOG"
check "SIGTERM mid-migration: socket removed" [ ! -e "$NF_SOCK" ]

nf_done
