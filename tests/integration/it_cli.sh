#!/usr/bin/env bash
# numaflipctl and numaflipd command lines: help from the command table, usage errors,
# exit codes, and a clear message when no daemon runs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/scenarios.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)

help=$("$NUMAFLIPCTL" --help)
missing=""
for c in status vm pool migrate pause resume reload version advance raw help; do
        echo "$help" | grep -Eq "^  $c( |$)" || missing="$missing $c"
done
check "--help lists every command (missing:${missing:- none})" [ -z "$missing" ]
"$NUMAFLIPCTL" >/dev/null 2>&1
check "no command: exit 2" [ $? -eq 2 ]
"$NUMAFLIPCTL" frobnicate 2>"$NF_TMP/err"
rc=$?
check "unknown command: exit 2 with a message (got $rc: $(cat "$NF_TMP/err"))" \
        rc_is 2 grep -q "unknown command 'frobnicate'" "$NF_TMP/err"
"$NUMAFLIPCTL" vm 2>"$NF_TMP/err"
rc=$?
check "vm without NAME: exit 2 and its usage ($(cat "$NF_TMP/err"))" \
        rc_is 2 grep -q "usage: vm NAME" "$NF_TMP/err"
"$NUMAFLIPCTL" --bogus status >/dev/null 2>&1
check "unknown option: exit 2" [ $? -eq 2 ]
"$NUMAFLIPCTL" -s "$NF_TMP/none.sock" status 2>"$NF_TMP/err"
rc=$?
check "no daemon: exit 3, says so ($(cat "$NF_TMP/err"))" \
        rc_is 3 grep -q "cannot connect to $NF_TMP/none.sock: .*(is numaflipd running?)" "$NF_TMP/err"
NUMAFLIP_SOCKET="$NF_TMP/env.sock" "$NUMAFLIPCTL" status 2>"$NF_TMP/err"
check "NUMAFLIP_SOCKET picks the socket" grep -q "$NF_TMP/env.sock" "$NF_TMP/err"

check "numaflipd -V prints its version" sh -c "\"$NUMAFLIPD\" -V | grep -q '^numaflipd [0-9]'"
"$NUMAFLIPD" -x >/dev/null 2>&1
check "numaflipd with a bad option: exit 2" [ $? -eq 2 ]
"$NUMAFLIPD" -n -c "$NF_TMP/missing.conf" 2>"$NF_TMP/err"
rc=$?
check "numaflipd -n on a missing file: exit 1, says why ($(cat "$NF_TMP/err"))" \
        eval '[ $rc -eq 1 ] && grep -q "missing.conf: cannot open: No such file or directory" "$NF_TMP/err"'
check "the host config etc/numaflipd.conf is valid" quiet "$NUMAFLIPD" -n -c "$SRC/etc/numaflipd.conf"
check "the demo config etc/examples/sim-demo.conf is valid" \
        quiet "$NUMAFLIPD" -n -c "$SRC/etc/examples/sim-demo.conf"

# Against a running daemon.
sim_host | nf_config
nf_start
ctl advance 5x 2>"$NF_TMP/err"
rc=$?
check "advance 5x: exit 2 naming the value ($(cat "$NF_TMP/err"))" \
        rc_is 2 grep -q "'5x'" "$NF_TMP/err"
ctl vm nosuch 2>"$NF_TMP/err"
rc=$?
check "vm of an unknown guest: exit 1 ($(cat "$NF_TMP/err"))" \
        rc_is 1 grep -q "^numaflipctl: not_found: no guest named 'nosuch'$" "$NF_TMP/err"
check "status --watch rejects nonsense" sh -c "! \"$NUMAFLIPCTL\" -s \"$NF_SOCK\" status --watch 0"
"$NUMAFLIPCTL" -s "$NF_SOCK" status --watch 0.2 >"$NF_TMP/watch" &
wpid=$!
n=0
for _ in $(seq 200); do
        n=$(grep -c "^ID " "$NF_TMP/watch")
        [ "$n" -ge 3 ] && break
        sleep 0.05
done
nf_interrupt "$wpid"
rc=$?
check "status --watch refreshes ($n screens) and Ctrl-C ends it with exit 0 (got $rc)" \
        eval '[ "$n" -ge 3 ] && [ $rc -eq 0 ]'

# A daemon that stops answering: numaflipctl gives up after its timeout, and Ctrl-C
# ends a watch that is waiting for a reply.
kill -STOP "$NF_PID"
"$NUMAFLIPCTL" -s "$NF_SOCK" -t 300ms status 2>"$NF_TMP/err"
rc=$?
check "a stuck daemon: exit 3 after -t 300ms, says so ($(cat "$NF_TMP/err"))" \
        rc_is 3 grep -q "no reply within 300ms" "$NF_TMP/err"
"$NUMAFLIPCTL" -s "$NF_SOCK" status --watch 0.2 >/dev/null 2>"$NF_TMP/err" &
wpid=$!
sleep 0.3 # let it settle into waiting for the reply that will not come
nf_interrupt "$wpid"
rc=$?
kill -CONT "$NF_PID"
check "Ctrl-C ends a watch waiting on a stuck daemon: exit 0 (got $rc)" [ $rc -eq 0 ]
"$NUMAFLIPCTL" -s "$NF_SOCK" -t soon status 2>"$NF_TMP/err"
rc=$?
check "-t soon: exit 2 naming the value ($(cat "$NF_TMP/err"))" \
        rc_is 2 grep -q "'soon'" "$NF_TMP/err"
check "the daemon answers again after SIGCONT" quiet ctl version
check "--json gives JSON" sh -c "\"$NUMAFLIPCTL\" -s \"$NF_SOCK\" --json status | jq -e .daemon.pid >/dev/null"
nf_stop

# Signals blocked by whoever started them must not be held back for ever: the daemon
# starts from an empty mask, and the watch unblocks the Ctrl-C it offers.
saved_wrapper=${NF_DAEMON_WRAPPER:-}
NF_DAEMON_WRAPPER="$NF_BIN/sigblock TERM HUP INT -- $saved_wrapper"
nf_start
NF_DAEMON_WRAPPER=$saved_wrapper
kill -HUP "$NF_PID"
reloads=0
for _ in $(seq 100); do
        reloads=$(ctlj status | jq .daemon.reloads)
        [ "$reloads" -ge 1 ] && break
        sleep 0.05
done
check "started with HUP blocked: SIGHUP still reloads ($reloads reloads)" [ "$reloads" -ge 1 ]
"$NF_BIN/sigblock" INT -- "$NUMAFLIPCTL" -s "$NF_SOCK" status --watch 0.2 >/dev/null &
nf_interrupt $!
rc=$?
check "started with INT blocked: Ctrl-C still ends status --watch (got $rc)" [ $rc -eq 0 ]
kill -TERM "$NF_PID"
nf_reap "$NF_PID"
rc=$?
NF_PID=""
check "started with TERM blocked: SIGTERM still stops the daemon (got $rc)" [ $rc -eq 0 ]

# A second daemon on a live socket refuses to start and leaves the first alone.
nf_start
"$NUMAFLIPD" -f -c "$NF_CONF" 2>"$NF_TMP/err"
rc=$?
check "a second daemon on the same socket exits 1 ($(tail -n1 "$NF_TMP/err"))" \
        rc_is 1 grep -q "another numaflipd is listening there" "$NF_TMP/err"
check "the first still answers" quiet ctl version
nf_stop

# Real clock: advance is refused.
sed -i 's/^clock = virtual/clock = real/' "$NF_CONF"
nf_start
ctl advance 1s 2>"$NF_TMP/err"
rc=$?
check "advance on a real clock: exit 1, unsupported ($(cat "$NF_TMP/err"))" \
        rc_is 1 grep -q "unsupported: advance needs" "$NF_TMP/err"
nf_done
