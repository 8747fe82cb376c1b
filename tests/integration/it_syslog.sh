#!/usr/bin/env bash
# A detached numaflipd (no -f, no service manager) logs to syslog: its stderr is
# /dev/null by then. The test gives it a /dev/log of its own in a private mount
# namespace, so no syslog daemon of the host is needed or touched.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/scenarios.sh"
LISTEN="$NF_BIN/notify-listen" # prints each datagram it receives: syslog's too
if [ ! -x "$LISTEN" ]; then
        echo "SKIP: notify-listen helper not built"
        exit 77
fi
if ! unshare --user --map-root-user --mount true 2>/dev/null; then
        echo "SKIP: cannot make a user and mount namespace here (unshare -Urm), so no private /dev/log"
        exit 77
fi

sim_host | nf_config
DEV="$NF_TMP/dev"
mkdir -p "$DEV"
touch "$DEV/null"
# Inside the namespace: a /dev holding only null and the listener's socket as log. The
# daemon keeps the namespace after this shell exits.
cat >"$NF_TMP/inner.sh" <<EOS
set -e
mount --bind /dev/null "$DEV/null"
"$LISTEN" "$DEV/log" 60 >"$NF_TMP/syslog" &
for _ in \$(seq 200); do [ -S "$DEV/log" ] && break; sleep 0.05; done
mount --rbind "$DEV" /dev
exec "$NUMAFLIPD" -c "$NF_CONF"
EOS
env -u NOTIFY_SOCKET -u JOURNAL_STREAM unshare --user --map-root-user --mount \
        bash "$NF_TMP/inner.sh" >"$NF_LOG" 2>&1
rc=$?
check "numaflipd detaches and its parent exits 0 ($rc)" [ "$rc" -eq 0 ]
for _ in $(seq 200); do ctl version >/dev/null 2>&1 && break; sleep 0.05; done
PID=$(ctlj status | jq -r .daemon.pid)
NF_PID=$PID # for the cleanup, should a check fail
check "the detached daemon answers (pid $PID)" eval '[ -n "$PID" ] && kill -0 "$PID"'
kill -HUP "$PID"
for _ in $(seq 100); do grep -q "configuration reloaded" "$NF_TMP/syslog" && break; sleep 0.05; done
# Not our child any more: stop it and wait for it to be gone (or a zombie for init).
gone() {
        local st
        st=$(awk '{print $3}' "/proc/$PID/stat" 2>/dev/null)
        [ -z "$st" ] || [ "$st" = Z ]
}
kill -TERM "$PID"
for _ in $(seq 200); do gone && break; sleep 0.05; done
check "SIGTERM stops it" gone
NF_PID=""
for _ in $(seq 100); do grep -q "stopped" "$NF_TMP/syslog" && break; sleep 0.05; done
pkill -f "$LISTEN $DEV/log" 2>/dev/null
[ "${NF_DEBUG:-0}" = 1 ] && cat "$NF_TMP/syslog"

# <29> is facility daemon (3) with priority notice (5); the tag names the process.
check "the start-up notice reaches syslog as daemon.notice" \
        grep -Eq "^<29>.* numaflipd\[$PID\]: numaflipd .* started: backend sim" "$NF_TMP/syslog"
# Logged before the fork: the pid is the parent's.
check "so do the info lines of start-up (<30>)" \
        grep -Eq "^<30>.*numaflipd\[[0-9]+\]: guest web1 \(id 1\) appeared" "$NF_TMP/syslog"
check "and the reload" grep -q "configuration reloaded" "$NF_TMP/syslog"
check "and the stop" grep -Eq "^<29>.*numaflipd\[$PID\]: stopped" "$NF_TMP/syslog"
# What it said before detaching went to both: the terminal shows start-up trouble, and
# syslog has the whole story. Nothing after.
check "start-up lines went to the terminal too" grep -q "guest web1 (id 1) appeared" "$NF_LOG"
quiet_after() { ! grep -Eq "started|reloaded|stopped" "$NF_LOG"; }
check "nothing after detaching did" quiet_after
nf_done
