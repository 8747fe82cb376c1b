#!/usr/bin/env bash
# Prometheus metrics: `numaflipctl metrics` and the metrics_file agree with the daemon's
# JSON, promtool accepts both, and a real node-exporter serves the series through its
# textfile collector on a loopback port.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/scenarios.sh"
for p in promtool prometheus-node-exporter curl; do
        if ! command -v "$p" >/dev/null; then
                echo "SKIP: $p is not installed (scripts/deps.sh installs it)"
                exit 77
        fi
done

TEXTDIR="$NF_TMP/textfile"
mkdir "$TEXTDIR"
# The scenario host, migrating by threshold with a pool too small to keep up, with the textfile written each poll.
write_config() {
        {
                printf '[daemon]\nbackend = sim\nsocket = %s\npoll = 1s\nmetrics_file = %s\n' \
                        "$NF_SOCK" "$1"
                printf '[defaults]\nmode = threshold\nthreshold = 5%%\ntarget = 2%%\n'
                printf '[pool]\nmode = static\nsize = 16 pages\nmin = 16 pages\n'
                sim_host
        } >"$NF_CONF"
}
write_config "$TEXTDIR/numaflip.prom"
nf_start
advance 20m

ctl metrics >"$NF_TMP/ctl.prom"
check "numaflipctl metrics: promtool check metrics accepts it" \
        sh -c "promtool check metrics <'$NF_TMP/ctl.prom' >'$NF_TMP/promtool.out' 2>&1"
cat "$NF_TMP/promtool.out"

# metric NAME LABELS: the value of one series in ctl.prom, labels as written.
metric() {
        awk -v k="$1$2" '$1 == k { print $2 }' "$NF_TMP/ctl.prom"
}
j=$(ctlj vm web1)
uuid=$(echo "$j" | jq -r .uuid)
web="guest=\"web1\",uuid=\"$uuid\""
check "numaflip_info names the version and backend" \
        [ "$(metric numaflip_info "{version=\"$(ctlj version | jq -r .version)\",backend=\"sim\"}")" = 1 ]
moved=$(echo "$j" | jq .counters.pages_moved)
check "web1 migrated: $moved pages, the same in the metrics" eval \
        '[ "$moved" -gt 0 ] && [ "$(metric numaflip_guest_migrated_pages_total "{$web}")" = "$moved" ]'
check "bytes migrated are pages times 4 KiB" \
        [ "$(metric numaflip_guest_migrated_bytes_total "{$web}")" = $((moved * 4096)) ]
check "migrations by trigger: threshold as status counts them, no manual one" eval \
        '[ "$(metric numaflip_guest_migrations_total "{$web,trigger=\"threshold\"}")" = \
          "$(echo "$j" | jq .counters.migrations.threshold)" ] &&
         [ "$(metric numaflip_guest_migrations_total "{$web,trigger=\"manual\"}")" = 0 ]'
for n in 0 1; do
        check "web1's pages on node $n as vm reports them" \
                [ "$(metric numaflip_guest_pages "{$web,node=\"$n\"}")" = "$(echo "$j" | jq ".pages_per_node[$n]")" ]
done
check "web1's remote ratio is its remote share" \
        fcmp "$(metric numaflip_guest_remote_ratio "{$web}")" == "$(printf '%.6f' "$(echo "$j" | jq .remote_share)")"
p=$(ctlj pool | jq '.nodes[1]')
check "node 1's pool: held and hits as numaflipctl pool reports them" eval \
        '[ "$(metric numaflip_pool_held_pages "{node=\"1\"}")" = "$(echo "$p" | jq .held_pages)" ] &&
         [ "$(metric numaflip_pool_hits_total "{node=\"1\"}")" = "$(echo "$p" | jq .hits)" ]'
check "skipped, failed, fallbacks, poll duration and polls are exported" \
        sh -c "grep -q '^numaflip_guest_skipped_pages_total{' '$NF_TMP/ctl.prom' &&
               grep -q '^numaflip_guest_failed_pages_total{' '$NF_TMP/ctl.prom' &&
               grep -q '^numaflip_pool_fallbacks_total{node=\"1\"}' '$NF_TMP/ctl.prom' &&
               grep -q '^numaflip_pool_target_pages{node=\"1\"}' '$NF_TMP/ctl.prom' &&
               grep -q '^numaflip_pool_misses_total{node=\"1\"}' '$NF_TMP/ctl.prom' &&
               grep -Eq '^numaflip_poll_duration_seconds [0-9.]+$' '$NF_TMP/ctl.prom' &&
               grep -q '^numaflip_polls_total [1-9]' '$NF_TMP/ctl.prom'"

# The textfile: written at the last poll, so the same series but the poll's own time.
PROM="$TEXTDIR/numaflip.prom"
check "metrics_file exists, mode 0644" [ "$(stat -c %a "$PROM" 2>/dev/null)" = 644 ]
check "metrics_file: promtool check metrics accepts it" sh -c "promtool check metrics <'$PROM'"
check "metrics_file holds what numaflipctl metrics prints (but the poll's duration)" \
        cmp -s <(grep -v '^numaflip_poll_duration_seconds ' "$PROM") \
        <(grep -v '^numaflip_poll_duration_seconds ' "$NF_TMP/ctl.prom")
check "no temporary file is left beside it" [ "$(ls "$TEXTDIR")" = numaflip.prom ]

# A real node-exporter with only the textfile collector, on a free loopback port.
exporter=""
for port in $((20000 + RANDOM % 20000)) $((20000 + RANDOM % 20000)) $((20000 + RANDOM % 20000)); do
        prometheus-node-exporter --web.listen-address="127.0.0.1:$port" \
                --collector.disable-defaults --collector.textfile \
                --collector.textfile.directory="$TEXTDIR" >"$NF_TMP/exporter.log" 2>&1 &
        exporter=$!
        for _ in $(seq 100); do
                curl -sf "http://127.0.0.1:$port/metrics" >"$NF_TMP/scrape" 2>/dev/null && break
                kill -0 "$exporter" 2>/dev/null || break
                sleep 0.05
        done
        kill -0 "$exporter" 2>/dev/null && break
        grep -q "address already in use" "$NF_TMP/exporter.log" || break
done
check "node-exporter serves numaflip_info and web1's series" \
        sh -c "grep -q '^numaflip_info{backend=\"sim\",version=' '$NF_TMP/scrape' &&
               grep -q '^numaflip_guest_migrated_pages_total{guest=\"web1\",uuid=\"$uuid\"} $moved\$' '$NF_TMP/scrape' &&
               grep -q '^numaflip_guest_pages{guest=\"web1\",node=\"1\",uuid=\"$uuid\"}' '$NF_TMP/scrape'"
check "node-exporter read the file without error" \
        grep -q '^node_textfile_scrape_error 0$' "$NF_TMP/scrape"
kill "$exporter" 2>/dev/null
wait "$exporter" 2>/dev/null
[ "$NF_FAIL" -gt 0 ] && { echo "--- node-exporter ---"; cat "$NF_TMP/exporter.log"; }

# A directory that does not exist: warned once, the daemon goes on, and recovers.
write_config "$NF_TMP/nowhere/numaflip.prom"
ctl reload >/dev/null
advance 10s
check "an unwritable metrics_file is logged once, naming it" \
        [ "$(grep -c "metrics_file: $NF_TMP/nowhere/numaflip.prom: cannot create" "$NF_LOG")" = 1 ]
check "the daemon still answers" quiet ctl status
write_config "$PROM"
ctl reload >/dev/null
advance 1s
check "writable again: said so" grep -q "metrics_file: $PROM written again" "$NF_LOG"
check "numaflipd stops cleanly" nf_stop
nf_done
