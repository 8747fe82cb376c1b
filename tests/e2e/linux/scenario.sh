#!/bin/sh
# Runs inside the two-node guest: the linux backend's E2E scenarios, one line per check.
# Lines "NF-E2E PASS: ..." and "NF-E2E FAIL: ..." are what run.sh reads.
MODE=${1:-e2e}
SOCK=/run/nf.sock
FAILS=0
PAGES_PER_MIB=256

pass() { echo "NF-E2E PASS: $*"; }
fail() {
        echo "NF-E2E FAIL: $*"
        FAILS=$((FAILS + 1))
}
check() { # check DESCRIPTION COMMAND...
        d=$1
        shift
        if "$@"; then pass "$d"; else
                fail "$d"
                return 1
        fi
}
ctl() { numaflipctl -s $SOCK "$@"; }
vmj() { ctl --json vm "$1" 2>/dev/null | jq -r "$2"; }
# Milliseconds since boot (busybox date has no %N).
now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

# Pages of pid on node n by the kernel's own account (numa_maps): the independent check.
node_pages() {
        awk -v n="N$2=" '{ for (i = 1; i <= NF; i++) if (index($i, n) == 1) s += substr($i, length(n) + 1) }
                END { print s + 0 }' "/proc/$1/numa_maps"
}

# wait_until SECONDS COMMAND...: polls every 0.2 s; 0 when it held in time.
wait_until() {
        t=$(($(now_ms) + $1 * 1000))
        shift
        while [ "$(now_ms)" -lt $t ]; do
                "$@" && return 0
                sleep 0.2
        done
        return 1
}

# start_daemon CONFIG: numaflipd in the foreground mode, logging to /tmp/daemon.log.
start_daemon() {
        rm -f $SOCK
        numaflipd -f -c "$1" >/tmp/daemon.log 2>&1 &
        DPID=$!
        wait_until 20 ctl -t 1s status >/dev/null 2>&1 || { fail "daemon started with $1"; cat /tmp/daemon.log; }
}
stop_daemon() {
        kill "$DPID" 2>/dev/null
        wait "$DPID" 2>/dev/null
}

# start_work NAME NUMACTL-ARGS -- WORKLOAD-ARGS: pid in WPID once its memory is touched.
start_work() {
        name=$1
        shift
        rm -f /tmp/$name.pid /tmp/$name.rep
        numactl "$@" -p /tmp/$name.pid -r /tmp/$name.rep >/tmp/$name.out 2>&1 &
        WPID=$!
        wait_until 120 test -s /tmp/$name.pid || fail "$name: workload did not start"
}
passes() { awk '{print $2}' "/tmp/$1.rep" 2>/dev/null || echo 0; }

config() { # config FILE VM-SECTION-LINES...: a linux backend config with these [vm] lines
        f=$1
        shift
        {
                echo "[daemon]"
                echo "backend = linux"
                echo "socket = $SOCK"
                echo "poll = 1s"
                echo "rate_limit = 0"
                echo "batch_time = ${BATCH_TIME:-50ms}"
                echo "log_level = ${LOG_LEVEL:-info}"
                echo "[linux]"
                echo "scan = ${SCAN:-full}"
                echo "[defaults]"
                echo "mode = threshold"
                echo "threshold = 5%"
                echo "target = 2%"
                echo "cooldown = 5s"
                echo "rate_limit = 0"
                echo "batch = 8MiB"
                for l in "$@"; do echo "$l"; done
        } >"$f"
}

# Numeric comparisons; an empty operand (a missing figure) never passes.
le() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'; }
ge() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }

setup() {
        echo 0 >/proc/sys/kernel/numa_balancing # only the daemon moves pages here
        echo "NF-E2E nodes: $(cat /sys/devices/system/node/online), kernel $(uname -r)"
        numactl -H | sed 's/^/  /'
}

# 1. A 256 MiB workload bound to node 1, running on node 0's CPU, home 0 by config: seen
#    ~100% remote, moved home to the target while it runs, data intact, never stopped.
scenario_main() {
        start_work w1 --membind=1 --cpunodebind=0 nf-workload -s 256
        n1=$(node_pages $WPID 1)
        check "main: workload's 256 MiB is on node 1 ($n1 pages)" ge "$n1" $((250 * PAGES_PER_MIB))
        config /tmp/main.conf "[vm work]" "pidfile = /tmp/w1.pid" "home = 0"
        t0=$(now_ms)
        start_daemon /tmp/main.conf
        wait_until 30 sh -c "[ \"\$(numaflipctl -s $SOCK --json vm work | jq -r .max_remote_share)\" != 0 ]"
        max=$(vmj work .max_remote_share)
        check "main: daemon saw it ~100% remote (max share $max)" ge "$max" 0.95
        check "main: home rule says config ($(vmj work .home_rule))" [ "$(vmj work .home_rule)" = config ]
        p0=$(passes w1)
        slow=0 ok=0 probes=0
        done_at=""
        t=$(($(now_ms) + 240000))
        while [ "$(now_ms)" -lt $t ]; do
                probes=$((probes + 1))
                if ctl -t 100ms status >/dev/null 2>&1; then ok=$((ok + 1)); elif ! ctl -t 1s status >/dev/null 2>&1; then slow=$((slow + 1)); fi
                s=$(vmj work .remote_share)
                if le "$s" 0.02 && [ "$(vmj work .migration.active)" = false ]; then
                        done_at=$(now_ms)
                        break
                fi
                sleep 0.2
        done
        check "main: reached target 2% (share $(vmj work .remote_share), $((${done_at:-0} - t0)) ms)" [ -n "$done_at" ] ||
                tail -n 30 /tmp/daemon.log | sed 's/^/  /'
        echo "NF-E2E main: status answered within 100 ms $ok of $probes probes during the move, $slow not within 1 s"
        check "main: status answered within 1 s all through the move" [ $slow -eq 0 ]
        moved=$(vmj work .counters.pages_moved)
        check "main: pages moved ($moved) cover the workload" ge "$moved" $((250 * PAGES_PER_MIB))
        n1=$(node_pages $WPID 1)
        n0=$(node_pages $WPID 0)
        check "main: numa_maps agrees: $n0 pages on node 0, $n1 on node 1" le "$n1" $(((n0 + n1) * 2 / 100))
        p1=$(passes w1)
        check "main: workload kept running during the move (passes $p0 -> $p1)" [ "$p1" -gt "$p0" ]
        kill -TERM $WPID
        wait $WPID
        rc=$?
        out=$(cat /tmp/w1.out)
        echo "NF-E2E main: $out"
        check "main: workload data intact (rc $rc)" [ $rc -eq 0 ]
        gap=$(echo "$out" | awk '{print $NF}')
        check "main: workload never stalled 5 s (longest gap $gap ms)" le "${gap:-99999}" 5000
        stop_daemon
}

# 2. Threshold mode does nothing below the threshold: 3 MiB of 99 on node 1 is 3% < 5%.
scenario_threshold() {
        start_work w2 --membind=0 --cpunodebind=0 nf-workload -s 96 -e 3
        config /tmp/thr.conf "[vm small]" "pidfile = /tmp/w2.pid" "home = 0"
        start_daemon /tmp/thr.conf
        sleep 6
        s=$(vmj small .remote_share)
        check "threshold: daemon sees the remote share below threshold ($s)" sh -c "awk -v s=$s 'BEGIN{exit !(s > 0.01 && s < 0.05)}'"
        check "threshold: nothing moved ($(vmj small .counters.pages_moved) pages)" [ "$(vmj small .counters.pages_moved)" = 0 ]
        check "threshold: no migration started" [ "$(vmj small .counters.migrations.threshold)" = 0 ]
        n1=$(node_pages $WPID 1)
        check "threshold: numa_maps still has the 3 MiB on node 1 ($n1 pages)" ge "$n1" $((3 * PAGES_PER_MIB))
        kill -TERM $WPID
        wait $WPID
        stop_daemon
}

# 3. The workload exits mid-migration: counted as vanished, logged once, the daemon goes on.
scenario_exit() {
        start_work w3 --membind=1 --cpunodebind=0 nf-workload -s 256
        config /tmp/exit.conf "[vm leaver]" "pidfile = /tmp/w3.pid" "home = 0" "rate_limit = 16MiB/s"
        start_daemon /tmp/exit.conf
        wait_until 60 sh -c "[ \"\$(numaflipctl -s $SOCK --json vm leaver | jq -r .counters.pages_moved)\" -gt 0 ]"
        active=$(vmj leaver .migration.active)
        check "exit: migration under way when the workload exits (active $active)" [ "$active" = true ]
        kill -KILL $WPID
        wait $WPID 2>/dev/null
        sleep 4
        check "exit: daemon still answers" ctl -t 1s status
        v=$(ctl --json status | jq -r .daemon.totals.vanished)
        check "exit: counted as vanished ($v)" [ "$v" = 1 ]
        n=$(grep -c leaver /tmp/daemon.log)
        grep leaver /tmp/daemon.log | sed 's/^/  /'
        check "exit: logged without a storm ($n lines name it)" [ "$n" -le 6 ]
        check "exit: the end of its migration logged once" [ "$(grep -c 'vanished' /tmp/daemon.log)" = 1 ]
        check "exit: no error logged" sh -c "! grep -q '\[err' /tmp/daemon.log"
        stop_daemon
}

# 4. Dry run: reports the plan, moves nothing.
scenario_dry() {
        start_work w4 --membind=1 --cpunodebind=0 nf-workload -s 64
        config /tmp/dry.conf "[vm dry]" "pidfile = /tmp/w4.pid" "home = 0" "dry_run = yes"
        start_daemon /tmp/dry.conf
        wait_until 20 sh -c "[ \"\$(numaflipctl -s $SOCK --json vm dry | jq -r .counters.dry_runs)\" -gt 0 ]"
        check "dry: a dry run was reported ($(vmj dry .counters.dry_runs))" [ "$(vmj dry .counters.dry_runs)" -gt 0 ]
        check "dry: the log states the plan" grep -q "dry run: would migrate" /tmp/daemon.log
        check "dry: nothing moved" [ "$(vmj dry .counters.pages_moved)" = 0 ]
        n1=$(node_pages $WPID 1)
        check "dry: numa_maps still has it on node 1 ($n1 pages)" ge "$n1" $((63 * PAGES_PER_MIB))
        kill -TERM $WPID
        wait $WPID
        stop_daemon
}

# 5. A process with libvirt's QEMU command line is found by itself and named by -name; its
#    home comes from its CPU affinity (node 1's CPU).
scenario_qemu() {
        mkdir -p /tmp/q
        cp /usr/bin/nf-workload /tmp/q/qemu-system-x86_64
        taskset 2 /tmp/q/qemu-system-x86_64 -name guest=debian12-web,debug-threads=on -S \
                -object '{"qom-type":"secret","id":"masterKey0","format":"raw","file":"/var/lib/libvirt/qemu/domain-3-debian12-web/master-key.aes"}' \
                -machine pc-q35-7.2,usb=off,vmport=off,dump-guest-core=off,memory-backend=pc.ram \
                -accel kvm -cpu host,migratable=on -m size=2097152k \
                -object '{"qom-type":"memory-backend-ram","id":"pc.ram","size":2147483648}' \
                -smp 2,sockets=2,cores=1,threads=1 -uuid c7a5fdbd-cdaf-4b4c-a1e4-1a2b3c4d5e6f \
                -no-user-config -nodefaults -mon chardev=charmonitor,id=monitor,mode=control &
        QPID=$!
        config /tmp/qemu.conf "[vm debian12-web]" "mode = monitor"
        sleep 1
        start_daemon /tmp/qemu.conf
        wait_until 10 sh -c "numaflipctl -s $SOCK vm debian12-web >/dev/null 2>&1"
        check "qemu: found as debian12-web" [ "$(vmj debian12-web .id)" = "$QPID" ]
        check "qemu: home from CPU affinity ($(vmj debian12-web .backend_home) by $(vmj debian12-web .home_rule))" [ "$(vmj debian12-web .home_rule)" = "CPU affinity" ]
        kill -TERM $QPID
        wait $QPID
        stop_daemon
}

setup
case $MODE in
e2e)
        scenario_main
        scenario_threshold
        scenario_exit
        scenario_dry
        scenario_qemu
        ;;
*)
        [ -r /extra.sh ] && . /extra.sh
        ;;
esac
echo "NF-E2E failures: $FAILS"
[ $FAILS -eq 0 ]
