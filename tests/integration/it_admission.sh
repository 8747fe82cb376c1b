#!/usr/bin/env bash
# Admission: nobody who can reach the socket can lock others out of it. A client holding
# hundreds of connections (idle and half-sent), whatever its uid, cannot keep an
# operator's status or pause from being answered within 100 ms; half-sent requests time
# out; rights come from the kernel's list of the peer's groups.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/scenarios.sh"
HOLD="$NF_BIN/hold-conns"
[ -x "$HOLD" ] || { echo "SKIP: hold-conns helper not built"; exit 77; }
BOUND_MS=100

{
        printf 'socket_mode = 0666\nsocket_group = root\n'
        printf '[defaults]\nmode = monitor\n'
        sim_host
} | nf_config
nf_start

# worst_ms N CMD...: runs CMD N times, prints the slowest in ms; fails if one failed.
worst_ms() {
        local n=$1 worst=0 t0 t1 ms
        shift
        for _ in $(seq "$n"); do
                t0=$(date +%s%N)
                "$@" >/dev/null || return 1
                t1=$(date +%s%N)
                ms=$(((t1 - t0) / 1000000))
                [ "$ms" -gt "$worst" ] && worst=$ms
        done
        echo "$worst"
}

# hold AS IDLE HALF: starts a holder as user AS (or ourselves: -), waits until it is ready.
hold() {
        local as=$1 out="$NF_TMP/hold.$1.out"
        if [ "$as" = - ]; then
                "$HOLD" "$NF_SOCK" "$2" "$3" 30 >"$out" &
        else
                setpriv --reuid="$as" --regid="$as" --clear-groups "$HOLD" "$NF_SOCK" "$2" "$3" 30 >"$out" &
        fi
        HOLDER=$!
        for _ in $(seq 200); do grep -q ready "$out" 2>/dev/null && return 0; sleep 0.05; done
        echo "holder did not get its connections: $(cat "$out")"
        return 1
}

unhold() {
        kill -TERM "$HOLDER" 2>/dev/null
        nf_reap "$HOLDER" >/dev/null
        tail -n1 "$NF_TMP/hold.$1.out"
}

as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$NUMAFLIPCTL" -s "$NF_SOCK" "$@"; }
can_setpriv=no
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
        chmod 755 "$NF_TMP"
        as_nobody version >/dev/null 2>&1 && can_setpriv=yes
fi

if [ $can_setpriv = yes ]; then
        # 1. A read-only user holds 200 connections: its own cap evicts its own.
        hold 65534 100 100
        w1=$(worst_ms 20 ctl status)
        check "read-only user holding 200 connections: root's status answered (worst ${w1}ms < ${BOUND_MS}ms)" \
                eval '[ -n "$w1" ] && [ "$w1" -lt $BOUND_MS ]'
        w2=$(worst_ms 10 ctl pause web1)
        check "and root's pause answered (worst ${w2}ms)" eval '[ -n "$w2" ] && [ "$w2" -lt $BOUND_MS ]'
        ctl resume web1 >/dev/null
        w3=$(worst_ms 10 as_nobody status)
        check "another read-only user is served too (worst ${w3}ms)" eval '[ -n "$w3" ] && [ "$w3" -lt $BOUND_MS ]'
        live=$(ls -l /proc/"$NF_PID"/fd 2>/dev/null | grep -c socket)
        check "the holder keeps at most its share of the daemon's descriptors ($live sockets)" \
                [ "$live" -le 40 ]
        sleep 6 # past the request timeout of the half-sent ones it still holds
        r=$(unhold 65534)
        timeouts=$(echo "$r" | sed -E 's/.*timeout ([0-9]+).*/\1/')
        busy=$(echo "$r" | sed -E 's/.*busy ([0-9]+).*/\1/')
        check "its surplus was closed as busy ($r)" [ "$busy" -ge 150 ]
        check "its half-sent requests timed out" [ "$timeouts" -ge 1 ]
        check "the daemon logged the timeout" grep -q "left a request half-sent for 5000 ms" "$NF_LOG"

        # 2. Rights from the kernel's group list: nobody with root as a supplementary
        #    group (socket_group = root) may pause; NSS would not have said so.
        setpriv --reuid=65534 --regid=65534 --groups=0 "$NUMAFLIPCTL" -s "$NF_SOCK" pause web1 \
                >"$NF_TMP/out" 2>&1
        check "a member of socket_group by its supplementary groups may pause ($(cat "$NF_TMP/out"))" \
                [ "$(vmf web1 .phase.paused)" = true ]
        ctl resume web1 >/dev/null
        as_nobody pause web1 >/dev/null 2>"$NF_TMP/err"
        check "nobody without it may not ($(cat "$NF_TMP/err"))" grep -q permission_denied "$NF_TMP/err"
else
        echo "SKIP: other-user admission and group checks need root and setpriv"
fi

# 3. A leaking privileged client (ourselves: root or the daemon's user) with 300
#    connections: the table stays bounded, and a new client is still served.
hold - 200 100
w4=$(worst_ms 20 ctl status)
check "a privileged holder of 300 connections: status still answered (worst ${w4}ms)" \
        eval '[ -n "$w4" ] && [ "$w4" -lt $BOUND_MS ]'
w5=$(worst_ms 10 ctl pause web1)
check "and pause (worst ${w5}ms)" eval '[ -n "$w5" ] && [ "$w5" -lt $BOUND_MS ]'
ctl resume web1 >/dev/null
r=$(unhold -)
# 300 against a cap of 128 (NF_CONTROL_UID_CAP_PRIV) for a uid that may change things
check "its surplus beyond the per-user cap was closed ($r)" \
        [ "$(echo "$r" | sed -E 's/.*closed ([0-9]+).*/\1/')" -ge 170 ]

# 4. A client pipelining 20000 requests gets bursts, not the whole loop.
for i in $(seq 20000); do printf '{"id":%d,"cmd":"version"}\n' "$i"; done >"$NF_TMP/flood"
ctl raw <"$NF_TMP/flood" >"$NF_TMP/flood.out" &
flood=$!
sleep 0.05
w6=$(worst_ms 10 ctl status)
wait $flood
check "status during a 20000-request flood (worst ${w6}ms)" eval '[ -n "$w6" ] && [ "$w6" -lt $BOUND_MS ]'
check "and the flood got every reply ($(wc -l <"$NF_TMP/flood.out"))" \
        [ "$(wc -l <"$NF_TMP/flood.out")" -eq 20000 ]

check "the daemon still runs" kill -0 "$NF_PID"
check "and stops cleanly" nf_stop
nf_done
