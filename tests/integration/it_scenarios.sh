#!/usr/bin/env bash
# The demo host under each mitigation, in virtual time, as numaflipd reports it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/scenarios.sh"

run() {
        scenario_config "$1" | nf_config
        nf_start
}

# 1. No mitigation: web1's remote share climbs past the paper's 20% within an hour.
run none
prev=0
rising=1
for _ in $(seq 12); do
        advance 5m
        s=$(vmf web1 .remote_share)
        fcmp "$s" '>' "$prev" || rising=0
        prev=$s
done
check "no mitigation: remote share rises every 5 minutes (now $prev)" [ $rising -eq 1 ]
check "no mitigation: remote share after 1h >= 20% (got $prev)" fcmp "$prev" '>=' 0.20
check "no mitigation: no migration happened" [ "$(vmf web1 .counters.pages_moved)" = 0 ]
nf_stop

# 2. Threshold 5%: never above 5% for longer than one poll plus one batch. Polls are
# 1s apart and a migration's first batch follows its poll at once, so no two
# consecutive polls may both see more than 5%.
run threshold
above=0
worst=0
longest=0
for _ in $(seq 1800); do
        advance 1s
        s=$(vmf web1 .remote_share)
        if fcmp "$s" '>' 0.05; then above=$((above + 1)); else above=0; fi
        [ $above -gt $longest ] && longest=$above
        fcmp "$s" '>' "$worst" && worst=$s
done
check "threshold: never above 5% at two consecutive polls (longest run $longest, worst $worst)" \
        [ $longest -le 1 ]
n=$(vmf web1 .counters.migrations.threshold)
check "threshold: migrations were triggered by the threshold ($n)" [ "$n" -ge 3 ]
check "threshold: max remote share seen stays near 5% ($(vmf web1 .max_remote_share))" \
        fcmp "$(vmf web1 .max_remote_share)" '<' 0.051
nf_stop

# 3. Periodic, every 5m down to 1%: at the end of every period its migration leaves
# web1 at or below target (the daemon measures the share as each migration ends),
# and exactly one periodic migration ran per period.
run periodic
okp=1
for k in $(seq 6); do
        # The boundary is at k*5m from start; the migration takes well under 10s.
        if [ "$k" -eq 1 ]; then advance 310s; else advance 300s; fi
        s=$(vmf web1 .counters.last_end_share)
        n=$(vmf web1 .counters.migrations.periodic)
        if ! fcmp "$s" '<=' 0.01 || [ "$n" -ne "$k" ]; then
                okp=0
                echo "  period $k: share $s, periodic migrations $n"
        fi
done
check "periodic: at or below 1% after every period's migration, one per period" [ $okp -eq 1 ]
nf_stop

# 4. Dynamic flip pool on web1's home node, migration off: once the pool has sized
# itself, the flips come from node 1 and remote memory stays under 2%.
run pool
advance 10m
worst=0
for _ in $(seq 50); do
        advance 1m
        s=$(vmf web1 .remote_share)
        fcmp "$s" '>' "$worst" && worst=$s
done
check "pool: remote share stays under 2% for 50 minutes (worst $worst)" fcmp "$worst" '<' 0.02
hits=$(ctlj pool | jq '.nodes[1].hits')
size=$(ctlj pool | jq '.nodes[1].target_pages')
check "pool: node 1 serves the flips ($hits hits) and grew from 16 pages (now $size)" \
        eval '[ "$hits" -gt 100000 ] && [ "$size" -gt 16 ]'
check "pool: nothing was migrated" [ "$(vmf web1 .counters.pages_moved)" = 0 ]
nf_stop

nf_done
