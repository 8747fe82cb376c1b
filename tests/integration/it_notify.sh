#!/usr/bin/env bash
# Service manager protocol: READY, RELOADING, STOPPING and watchdog pings reach the
# notify socket, and journald-style priority prefixes appear under JOURNAL_STREAM.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/scenarios.sh"
LISTEN="$NF_BIN/notify-listen"
if ! "$NUMAFLIPD" -h >/dev/null 2>&1 || [ ! -x "$LISTEN" ]; then
        echo "SKIP: notify-listen helper not built"
        exit 77
fi
if [ "${NF_HAVE_SYSTEMD:-1}" = 0 ]; then
        echo "SKIP: numaflipd built without libsystemd: it notifies nobody"
        exit 77
fi

sim_host | nf_config
# The listener outlives the run and is stopped below; the daemon starts once it is bound.
"$LISTEN" "$NF_TMP/notify" 120 >"$NF_TMP/notes" &
listener=$!
for _ in $(seq 200); do [ -S "$NF_TMP/notify" ] && break; sleep 0.05; done
# No -f: with a notify socket numaflipd must still stay in the foreground.
NOTIFY_SOCKET="$NF_TMP/notify" WATCHDOG_USEC=400000 JOURNAL_STREAM=8:1 \
        "$NUMAFLIPD" -c "$NF_CONF" >"$NF_LOG" 2>&1 &
NF_PID=$!
for _ in $(seq 100); do ctl version >/dev/null 2>&1 && break; sleep 0.05; done
sleep 1
kill -HUP "$NF_PID"
for _ in $(seq 100); do
        grep -q "^READY=1 STATUS=configuration reloaded" "$NF_TMP/notes" && break
        sleep 0.05
done
sleep 2 # the watchdog: ten more pings due (WATCHDOG_USEC/2 apart)
nf_stop
rc=$?
for _ in $(seq 100); do grep -q "^STOPPING=1" "$NF_TMP/notes" && break; sleep 0.05; done
kill "$listener"
wait "$listener" 2>/dev/null

check "stays in the foreground under a service manager and exits 0 ($rc)" [ "$rc" -eq 0 ]
check "READY=1 sent at start" grep -q "^READY=1 STATUS=running" "$NF_TMP/notes"
check "RELOADING=1 on SIGHUP" grep -q "^RELOADING=1 MONOTONIC_USEC=[0-9]" "$NF_TMP/notes"
check "READY=1 after the reload" grep -q "^READY=1 STATUS=configuration reloaded" "$NF_TMP/notes"
check "STOPPING=1 on SIGTERM" grep -q "^STOPPING=1" "$NF_TMP/notes"
n=$(grep -c "^WATCHDOG=1" "$NF_TMP/notes")
check "watchdog pinged every 200ms ($n pings in over 3s, 15 due)" [ "$n" -ge 10 ]
check "log lines carry syslog priorities for journald" grep -q "^<5>numaflipd .* started" "$NF_LOG"
nf_done
