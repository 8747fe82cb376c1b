# Sourced by tests/e2e/linux/scenario.sh in the two-node guest for bench/linux-vs.sh.
VS_SECS=${VS_SECS:-90}
TARGET=0.02

share_of() { # remote share of pid by numa_maps, home node 0
        awk -v a="$(node_pages $1 1)" -v b="$(node_pages $1 0)" 'BEGIN { printf "%.4f", (a + b) ? a / (a + b) : 0 }'
}
migrated() { awk '/^pgmigrate_success/ { print $2 }' /proc/vmstat; }
cpu_ms() { awk '{ printf "%d", $1 / 1000000 }' "/proc/$1/schedstat" 2>/dev/null || echo 0; }
# On-CPU ms of the kernel's NUMA-balancing work is spread over the workload's own faults and
# kthreads: reported as n/a.

vs_run() { # vs_run NAME
        how=$1
        echo 0 >/proc/sys/kernel/numa_balancing
        start_work vs --cpunodebind=0 nf-workload -d -s 400
        m0=$(migrated)
        MPID=""
        case $how in
        balancing) echo 1 >/proc/sys/kernel/numa_balancing ;;
        numad)
                # numad daemonizes itself (it has no foreground option) and logs to
                # /var/log/numad.log; "numad -i 0" is its documented way to stop.
                mkdir -p /var/log /var/run
                # numad 0.5 leaves every process whose memory is not bound alone until
                # the machine has been up 5 minutes (its first bind time stamp is 0 and
                # it waits 300 s after a bind): a freshly booted VM must wait that out.
                while [ "$(cut -d. -f1 /proc/uptime)" -lt 310 ]; do sleep 5; done
                numad >/tmp/numad.out 2>&1
                wait_until 10 pidof numad >/dev/null || fail "numad did not start: $(cat /tmp/numad.out)"
                MPID=$(pidof numad)
                ;;
        numaflipd-full | numaflipd-sample)
                # Threshold mode (5%, target 2%), polling every second; the two ways of
                # observing the guest differ in the daemon's CPU.
                SCAN=${how#numaflipd-} config /tmp/vs.conf "[vm work]" "pidfile = /tmp/vs.pid"
                start_daemon /tmp/vs.conf
                MPID=$DPID
                ;;
        esac
        t0=$(now_ms)
        p0=$(passes vs)
        reached=""
        while [ $(($(now_ms) - t0)) -lt $((VS_SECS * 1000)) ]; do
                s=$(share_of $WPID)
                if [ -z "$reached" ] && le "$s" $TARGET; then reached=$(($(now_ms) - t0)); fi
                sleep 1
        done
        t1=$(now_ms)
        p1=$(passes vs)
        cpu=n/a
        [ -n "$MPID" ] && cpu=$(cpu_ms $MPID)
        m1=$(migrated)
        s=$(share_of $WPID)
        echo "BENCH vs how=$how to_target_ms=${reached:-never} final_share=$s passes_per_s=$(awk -v a=$p0 -v b=$p1 -v t=$((t1 - t0)) 'BEGIN{printf "%.3f", (b - a) / (t / 1000)}') mover_cpu_ms=$cpu pages_migrated=$((m1 - m0))"
        kill -TERM $WPID
        wait $WPID
        case $how in
        numad)
                numad -i 0 >/dev/null 2>&1
                wait_until 20 sh -c "! kill -0 $MPID 2>/dev/null" || kill -TERM $MPID
                sed 's/^/  numad: /' /var/log/numad.log 2>/dev/null | tail -n 5
                ;;
        numaflipd-*) stop_daemon ;;
        esac
        echo 0 >/proc/sys/kernel/numa_balancing
}

for how in nothing balancing numaflipd-full numaflipd-sample numad; do vs_run $how; done
