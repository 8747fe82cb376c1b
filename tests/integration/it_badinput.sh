#!/usr/bin/env bash
# Bad requests get specific errors; huge lines, half-sent requests, floods and
# unprivileged clients never hurt the daemon or other clients.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/scenarios.sh"

{
        printf 'socket_mode = 0666\n'
        printf '[defaults]\nmode = threshold\n'
        sim_host
} | nf_config
nf_start

# raw LINE: send one line, print the one reply.
raw() { printf '%s\n' "$1" | ctl raw; }
code() { raw "$1" | jq -r '.error.code'; }

check "invalid JSON: parse_error" [ "$(code 'this is not json')" = parse_error ]
check "truncated JSON: parse_error" [ "$(code '{"id":1,"cmd":')" = parse_error ]
check "an array: invalid_request" [ "$(code '[1,2,3]')" = invalid_request ]
check "missing cmd: invalid_request, id echoed" \
        [ "$(raw '{"id":7}' | jq -c '[.id,.ok,.error.code]')" = '[7,false,"invalid_request"]' ]
check "cmd not a string: invalid_request" [ "$(code '{"id":1,"cmd":5}')" = invalid_request ]
check "id an object: invalid_request" [ "$(code '{"id":{},"cmd":"status"}')" = invalid_request ]
check "duplicate keys: parse_error" [ "$(code '{"id":1,"cmd":"status","cmd":"reload"}')" = parse_error ]
check "unknown command: unknown_command, id echoed" \
        [ "$(raw '{"id":"x","cmd":"explode"}' | jq -c '[.id,.error.code]')" = '["x","unknown_command"]' ]
check "vm without name: invalid_argument" [ "$(code '{"id":1,"cmd":"vm"}')" = invalid_argument ]
check "vm with a numeric name: invalid_argument" \
        [ "$(code '{"id":1,"cmd":"vm","name":5}')" = invalid_argument ]
check "unknown guest: not_found" [ "$(code '{"id":1,"cmd":"vm","name":"nosuch"}')" = not_found ]
check "advance by garbage: invalid_argument naming it" \
        [ "$(raw '{"id":1,"cmd":"advance","by":"soon"}' | jq -r .error.message)" = "invalid duration 'soon': expected a number" ]
check "a good request still works: ok" [ "$(raw '{"id":9,"cmd":"version"}' | jq -c '[.id,.ok]')" = '[9,true]' ]

# A 1 MiB line: the daemon skips it and answers line_too_long on the same connection,
# which stays usable.
head -c 1048576 /dev/zero | tr '\0' a >"$NF_TMP/big"
echo >>"$NF_TMP/big"
printf '{"id":2,"cmd":"version"}\n' >>"$NF_TMP/big"
ctl raw <"$NF_TMP/big" >"$NF_TMP/out" 2>&1
check "1 MiB line: answered line_too_long ($(head -c 200 "$NF_TMP/out"))" \
        [ "$(head -n1 "$NF_TMP/out" | jq -r .error.code)" = line_too_long ]
check "1 MiB line: the next request on that connection is served" \
        [ "$(sed -n 2p "$NF_TMP/out" | jq -c '[.id,.ok]')" = '[2,true]' ]
check "the daemon survives the 1 MiB line and serves others" quiet ctl status
check "it logged the oversized line" grep -q "sent a line over 65536 bytes" "$NF_LOG"

# An endless line with no newline: the client is dropped after 64 MiB, others unharmed.
head -c 70000000 /dev/zero | tr '\0' a | ctl raw >"$NF_TMP/out" 2>&1
check "endless line: the client is dropped ($(head -c 120 "$NF_TMP/out"))" \
        grep -Eq 'line_too_long|closed the connection' "$NF_TMP/out"
check "endless line: the daemon serves others" quiet ctl status

# A client that hangs up in the middle of a request.
printf '{"id":1,"cmd":"sta' | ctl raw >/dev/null 2>&1
check "half a request then hang-up: daemon fine" quiet ctl status

# A flood: 2000 requests in one write, every one answered, in order.
for i in $(seq 2000); do printf '{"id":%d,"cmd":"version"}\n' "$i"; done >"$NF_TMP/flood"
ctl raw <"$NF_TMP/flood" >"$NF_TMP/out"
check "flood: 2000 replies ($(wc -l <"$NF_TMP/out"))" [ "$(wc -l <"$NF_TMP/out")" -eq 2000 ]
check "flood: replies in order" [ "$(jq -s '[.[].id] == [range(1;2001)]' "$NF_TMP/out")" = true ]

# Two clients at once: a slow one holds its connection while another is served.
# The first holds its connection open for 3 s; the second must be answered before the
# first has sent anything.
(sleep 3; printf '{"id":1,"cmd":"version"}\n') | ctl raw >"$NF_TMP/slow" &
slow=$!
sleep 0.3
t0=$(date +%s%N)
ctl status >/dev/null
rc=$?
t1=$(date +%s%N)
[ -s "$NF_TMP/slow" ] && slow_done=yes || slow_done=no
check "a second client is served while the first idles ($(((t1 - t0) / 1000000)) ms, rc $rc)" \
        eval '[ $rc -eq 0 ] && [ $slow_done = no ] && [ $(((t1 - t0) / 1000000)) -lt 2500 ]'
wait $slow
check "the idle client gets its answer later" [ "$(jq -r .ok "$NF_TMP/slow")" = true ]

# Many at once.
pids=""
for i in $(seq 30); do
        ctlj vm web1 >"$NF_TMP/c$i" &
        pids="$pids $!"
done
wait $pids
okc=0
for i in $(seq 30); do [ "$(jq -r .name "$NF_TMP/c$i")" = web1 ] && okc=$((okc + 1)); done
check "30 concurrent clients all answered ($okc)" [ $okc -eq 30 ]

# Peer credentials: an unprivileged user may read but not change.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
        chmod 755 "$NF_TMP"
        as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$NUMAFLIPCTL" -s "$NF_SOCK" "$@"; }
        if as_nobody version >/dev/null 2>&1; then
                check "nobody may read status" quiet as_nobody status
                as_nobody pause web1 >/dev/null 2>"$NF_TMP/err"
                check "nobody may not pause: $(cat "$NF_TMP/err")" \
                        grep -q "permission_denied: 'pause' changes the daemon" "$NF_TMP/err"
                check "and web1 is not paused" [ "$(vmf web1 .phase.paused)" = false ]
        else
                echo "SKIP: peer credential checks: user nobody cannot run $NUMAFLIPCTL here"
        fi
else
        echo "SKIP: peer credential checks need root and setpriv"
fi

check "after all that the daemon still runs" kill -0 "$NF_PID"
check "and shuts down cleanly" nf_stop
nf_done
