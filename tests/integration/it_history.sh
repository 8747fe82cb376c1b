#!/usr/bin/env bash
# History: an hour of the threshold scenario shows web1's drift and migrations in
# `numaflipctl history`, bounded and downsampled; status carries the trend.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/scenarios.sh"

scenario_config threshold | nf_config
nf_start
advance 60m
j=$(ctlj history web1)
n=$(echo "$j" | jq '.points | length')
bound=$(echo "$j" | jq '.recent + .coarse')
check "history holds $n points, within its bound of $bound" eval '[ "$n" -gt 0 ] && [ "$n" -le "$bound" ]'
check "the points stand for every poll of the hour but the pending ones" \
        [ "$(echo "$j" | jq '[.points[].polls] | add')" -gt $((3600 - $(echo "$j" | jq .factor))) ]
check "the last 'recent' points are single polls, older ones merged 'factor' at a time" \
        [ "$(echo "$j" | jq -c '[(.points[-.recent:][].polls | tostring)] + [(.points[:-.recent][].polls == .factor | tostring)] | unique')" = '["1","true"]' ]
drops=$(echo "$j" | jq '[.points | range(1; length) as $i | select(.[$i].remote_share < .[$i-1].remote_share - 0.01)] | length')
migs=$(echo "$j" | jq .migrations.threshold)
# A fall may straddle two merged points: up to two per migration.
check "the share drifts up and falls at each of the $migs migrations ($drops falls)" eval \
        '[ "$migs" -gt 2 ] && [ "$drops" -ge $((migs - 1)) ] && [ "$drops" -le $((2 * migs)) ]'
check "its peak nears the threshold (5%): the drift" \
        fcmp "$(echo "$j" | jq '[.points[].remote_share] | max')" ">" 0.045
check "the newest point's pages match vm web1" \
        [ "$(echo "$j" | jq -c '.points[-1].pages_per_node')" = "$(ctlj vm web1 | jq -c .pages_per_node)" ]
mem=$(echo "$j" | jq .memory_bytes)
check "memory is stated: $mem bytes" eval '[ "$mem" -gt 0 ] && [ "$mem" -lt 16384 ]'
out=$(ctl history web1)
echo "$out"
check "history prints a sparkline with min, max and last" \
        sh -c "echo \"\$1\" | grep -q '[▁▂▃▄▅▆▇█]\{20,\}' && echo \"\$1\" | grep -q 'min .* max .* last '" _ "$out"
check "history --json after the name is the JSON" \
        [ "$(ctl history web1 --json | jq '.points | length')" = "$n" ]
check "status has a trend per guest, the history's" \
        [ "$(ctlj status | jq '.guests[] | select(.name == "web1") | .trend')" = "$(echo "$j" | jq .trend)" ]
check "the status table has a TREND column" sh -c "ctl() { \"$NUMAFLIPCTL\" -s \"$NF_SOCK\" \"\$@\"; }; ctl status | grep -q ' TREND '"
ctl history nosuch 2>"$NF_TMP/err"
rc=$?
check "history of an unknown guest: exit 1, not_found" eval '[ $rc -eq 1 ] && grep -q not_found "$NF_TMP/err"'
ctl history 2>"$NF_TMP/err"
check "history without a name: usage, exit 2" [ $? -eq 2 ]
check "numaflipd stops cleanly" nf_stop
nf_done
