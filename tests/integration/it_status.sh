#!/usr/bin/env bash
# What status, vm and pool report for a host with a control domain, a flipping guest,
# a monitored guest, an unmigratable one and a dry-run one.
. "$(dirname "$0")/lib.sh"

nf_config <<'EOC'
[defaults]
mode = threshold
threshold = 5%
target = 2%
[vm mon1]
mode = monitor
[vm dry1]
dry_run = yes
[sim]
seed = 7
nodes = 2
node_size = 8GiB
cvm_node = 0
cvm_memory = 2GiB
step = 1s
clock = virtual
[sim.vm web1]
memory = 2GiB
home = 1
flip_rate = 70/s
[sim.vm mon1]
memory = 1GiB
home = 1
flip_rate = 70/s
[sim.vm pv1]
memory = 1GiB
home = 1
flip_rate = 70/s
migratable = no
[sim.vm dry1]
memory = 1GiB
home = 1
flip_rate = 70/s
EOC
nf_start
advance 30m
s=$(ctlj status)
check "two nodes of 8 GiB" [ "$(echo "$s" | jq -c '[.nodes[].total_bytes]')" = "[8589934592,8589934592]" ]
check "node distances 10/20" [ "$(echo "$s" | jq -c '.nodes[0].distance')" = "[10,20]" ]
check "free memory adds up with what guests hold" \
        [ "$(echo "$s" | jq '(.nodes | map(.total_bytes - .free_bytes) | add) >= (.guests | map(.total_bytes) | add)')" = true ]
check "five guests, the control domain first" \
        [ "$(echo "$s" | jq -c '[.guests[].name]')" = '["Domain-0","web1","mon1","pv1","dry1"]' ]
check "Domain-0 is the control domain" \
        [ "$(echo "$s" | jq -r '.guests[0].state')" = control ]
check "status reports the backend and virtual clock" \
        [ "$(echo "$s" | jq -r '[.daemon.backend,.daemon.clock] | join(" ")')" = "sim virtual" ]
check "polls happen every second of virtual time ($(echo "$s" | jq .daemon.polls))" \
        [ "$(echo "$s" | jq .daemon.polls)" -ge 1800 ]

v=$(ctlj vm web1)
check "web1: per-node pages add up to its total" \
        [ "$(echo "$v" | jq '(.pages_per_node | add) == .total_pages')" = true ]
check "web1: remote pages are those off node 1" \
        [ "$(echo "$v" | jq '.pages_per_node[0] == .remote_pages')" = true ]
check "web1: remote share = remote / total" \
        [ "$(echo "$v" | jq '((.remote_pages / .total_pages) - .remote_share) | fabs < 1e-9')" = true ]
check "web1: home node 1" [ "$(echo "$v" | jq -r .home)" = 1 ]
check "web1: threshold migrations ran ($(echo "$v" | jq .counters.migrations.threshold))" \
        [ "$(echo "$v" | jq .counters.migrations.threshold)" -ge 1 ]
check "web1: policy sources say [defaults] or built-in" \
        [ "$(echo "$v" | jq -r '.policy.mode.source' | grep -c '\[defaults\]')" = 1 ]

m=$(ctlj vm mon1)
check "mon1 (monitor): drifted past 5% ($(echo "$m" | jq .remote_share)) and never migrated" \
        fcmp "$(echo "$m" | jq .remote_share)" '>' 0.05 && [ "$(echo "$m" | jq .counters.pages_tried)" = 0 ]
check "mon1: state monitor, mode from [vm mon1]" \
        eval '[ "$(echo "$m" | jq -r .state)" = monitor ] && echo "$m" | jq -r .policy.mode.source | grep -qF "[vm mon1]"'
ctl migrate mon1 2>"$NF_TMP/err"
check "migrate on a monitor guest is refused ($(cat "$NF_TMP/err"))" \
        grep -q "unsupported: mon1 cannot be migrated: mode monitor" "$NF_TMP/err"

p=$(ctlj vm pv1)
check "pv1: unmigratable with the backend's reason" \
        eval '[ "$(echo "$p" | jq -r .state)" = unmigratable ] && echo "$p" | jq -r .note | grep -q "PV guest"'
check "pv1: never migrated" [ "$(echo "$p" | jq .counters.pages_tried)" = 0 ]
ctl migrate pv1 2>"$NF_TMP/err"
check "migrate on pv1 is refused ($(cat "$NF_TMP/err"))" grep -q "^numaflipctl: unsupported: pv1 cannot be migrated: PV guest" "$NF_TMP/err"

d=$(ctlj vm dry1)
check "dry1 (dry run): decided ($(echo "$d" | jq .counters.dry_runs) dry runs) but moved nothing" \
        eval '[ "$(echo "$d" | jq .counters.dry_runs)" -ge 1 ] && [ "$(echo "$d" | jq .counters.pages_moved)" = 0 ]'
check "dry1: the log says what it would have done" grep -q "dry run: would migrate .* of dry1 home" "$NF_LOG"

ctl pause web1 >/dev/null
check "pause web1: state paused" [ "$(vmf web1 .state)" = paused ]
before=$(vmf web1 .counters.pages_tried)
advance 30m
check "paused web1 is not migrated for 30 minutes" [ "$(vmf web1 .counters.pages_tried)" = "$before" ]
ctl migrate web1 2>"$NF_TMP/err"
check "migrate on a paused guest: busy" grep -q "^numaflipctl: busy:" "$NF_TMP/err"
ctl resume web1 >/dev/null
advance 5s
check "resumed web1 migrates again" [ "$(vmf web1 .counters.pages_tried)" -gt "$before" ]

out=$(ctl status)
check "status table lists web1 with a percentage" sh -c "echo \"\$1\" | grep -Eq '^1 +web1 +1 +2 GiB .*[0-9.]+%'" _ "$out"
check "pool table has a row per node" [ "$(ctl pool | grep -cE '^[01] ')" = 2 ]
nf_done
