#!/usr/bin/env bash
# Reload: a good config takes effect live; a broken one is rejected with file:line and
# the daemon keeps its running config; sim guests come and go through the config.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/scenarios.sh"

base_conf() {
        printf '[defaults]\nmode = threshold\nthreshold = 5%%\ntarget = 2%%\n'
        sim_host
}
base_conf | nf_config
nf_start
check "threshold from [defaults] before reload" \
        [ "$(vmf web1 .policy.threshold.value)" = 0.05 ]
line=$(grep -n '^threshold = 5%' "$NF_CONF" | cut -d: -f1)
check "its source names the file, line $line and [defaults]" \
        [ "$(vmf web1 .policy.threshold.source)" = "$NF_CONF:$line [defaults]" ]
check "an unset value says built-in" [ "$(vmf web1 .policy.cooldown.source)" = built-in ]

# A good reload: a [vm web1] section overrides the default.
{ base_conf; printf '[vm web1]\nthreshold = 10%%\n'; } | nf_config
out=$(ctl reload 2>&1)
check "reload of a good config succeeds: '$out'" [ $? -eq 0 ]
check "the override is in force" [ "$(vmf web1 .policy.threshold.value)" = 0.1 ]
line=$(grep -n '^threshold = 10%' "$NF_CONF" | cut -d: -f1)
check "its source is [vm web1] at line $line" \
        [ "$(vmf web1 .policy.threshold.source)" = "$NF_CONF:$line [vm web1]" ]

# A broken value: rejected with file:line, old config stays.
{ base_conf; printf '[vm web1]\nthreshold = 5x%%\n'; } | nf_config
line=$(grep -n '^threshold = 5x%' "$NF_CONF" | cut -d: -f1)
ctl reload >"$NF_TMP/out" 2>&1
rc=$?
check "reload of a broken value fails with exit 1 (got $rc)" [ $rc -eq 1 ]
check "the error names file:line, section and key: $(cat "$NF_TMP/out")" \
        grep -q "config_error: $NF_CONF:$line: \[vm web1\] threshold: .*'5x%'" "$NF_TMP/out"
check "the daemon still runs" kill -0 "$NF_PID"
check "the running config stays (threshold still 10%)" \
        [ "$(vmf web1 .policy.threshold.value)" = 0.1 ]
check "status counts the rejected reload and shows why" \
        [ "$(ctlj status | jq '.daemon.reload_failures')" = 1 ] &&
        ctlj status | jq -r .daemon.last_reload_error | grep -q "threshold"

# A syntax error.
{ base_conf; printf '[vm web1\nthreshold = 10%%\n'; } | nf_config
line=$(grep -n '^\[vm web1$' "$NF_CONF" | cut -d: -f1)
ctl reload >"$NF_TMP/out" 2>&1
check "a syntax error is reported at line $line: $(cat "$NF_TMP/out")" \
        grep -q "$NF_CONF:$line: syntax error" "$NF_TMP/out"

# Cross-field validation: target above threshold in a [vm] section.
{ base_conf; printf '[vm web1]\nthreshold = 1%%\n'; } | nf_config
ctl reload >"$NF_TMP/out" 2>&1
check "target above threshold is refused, naming [vm web1]: $(cat "$NF_TMP/out")" \
        grep -q "\[vm web1\]" "$NF_TMP/out"

# SIGHUP with a broken file: logged, daemon alive, config kept.
{ base_conf; printf '[vm web1]\nbogus = 1\n'; } | nf_config
failures=$(ctlj status | jq .daemon.reload_failures)
kill -HUP "$NF_PID"
for _ in $(seq 200); do
        [ "$(ctlj status | jq .daemon.reload_failures)" -gt "$failures" ] && break
        sleep 0.05
done
check "SIGHUP with a broken config: still running" kill -0 "$NF_PID"
check "SIGHUP with a broken config: rejection logged with the key" \
        grep -q "reload rejected, keeping the running config: .*\[vm web1\] bogus: unknown key" "$NF_LOG"
check "SIGHUP with a broken config: threshold still 10%" \
        [ "$(vmf web1 .policy.threshold.value)" = 0.1 ]

# Guests appear and vanish through the sim config.
{ base_conf; printf '[sim.vm web2]\nmemory = 1GiB\nhome = 1\nflip_rate = 10/s\n'; } | nf_config
ctl reload >/dev/null
advance 2s
check "a VM added to [sim] appears" \
        [ "$(ctlj status | jq '[.guests[].name] | index("web2") != null')" = true ]
check "its sampled size is 1 GiB" [ "$(vmf web2 .total_bytes)" = 1073741824 ]
base_conf | nf_config
ctl reload >/dev/null
advance 2s
check "a VM removed from [sim] vanishes" \
        [ "$(ctlj status | jq '[.guests[].name] | index("web2") == null')" = true ]
ctl vm web2 >/dev/null 2>"$NF_TMP/err"
check "asking for it now: not_found" grep -q "not_found: no guest named 'web2'" "$NF_TMP/err"
check "the log tells it came and went" grep -q "guest web2 (id [0-9]*) is gone" "$NF_LOG"

# numaflipd -n checks a file without starting.
{ base_conf; printf '[vm web1]\nmode = sometimes\n'; } | nf_config
"$NUMAFLIPD" -n -c "$NF_CONF" >"$NF_TMP/out" 2>&1
rc=$?
check "numaflipd -n on a bad file exits 1 (got $rc) naming the value: $(cat "$NF_TMP/out")" \
        rc_is 1 grep -q "\[vm web1\] mode: invalid mode 'sometimes'" "$NF_TMP/out"
base_conf | nf_config
check "numaflipd -n on a good file exits 0" "$NUMAFLIPD" -n -c "$NF_CONF"
nf_done
