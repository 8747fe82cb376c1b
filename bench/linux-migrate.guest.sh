# Sourced by tests/e2e/linux/scenario.sh in the two-node guest for bench/linux-migrate.sh.

# ms a move of workload NAME (256 MiB on node 1) took, by tool; BENCH lines for the table.
bench_migratepages() {
        start_work m1 --membind=1 --cpunodebind=0 nf-workload -d -s 256
        before=$(node_pages $WPID 1)
        t0=$(now_ms)
        migratepages $WPID 1 0
        t1=$(now_ms)
        after=$(node_pages $WPID 1)
        moved=$((before - after))
        ms=$((t1 - t0))
        echo "BENCH migrate tool=migratepages pages=$moved ms=$ms MiB_per_s=$(awk -v p=$moved -v m=$ms 'BEGIN{printf "%.1f", p / 256 / (m / 1000)}')"
        MP_RATE=$(awk -v p=$moved -v m=$ms 'BEGIN{print p / m}')
        kill -TERM $WPID
        wait $WPID
}

bench_numaflipd() {
        start_work m2 --membind=1 --cpunodebind=0 nf-workload -d -s 256
        before=$(node_pages $WPID 1)
        BATCH_TIME=100ms config /tmp/bm.conf "[vm work]" "pidfile = /tmp/m2.pid" "home = 0" "batch = 16MiB"
        start_daemon /tmp/bm.conf
        wait_until 30 sh -c "[ \"\$(numaflipctl -s $SOCK --json vm work | jq -r .migration.active)\" = true ]"
        t0=$(now_ms)
        ok=0 slow=0 probes=0 worst=0
        while :; do
                a=$(now_ms)
                if ctl -t 100ms status >/dev/null 2>&1; then ok=$((ok + 1)); else slow=$((slow + 1)); fi
                b=$(now_ms)
                [ $((b - a)) -gt $worst ] && worst=$((b - a))
                probes=$((probes + 1))
                [ "$(vmj work .migration.active)" = false ] && break
                [ $((b - t0)) -gt 120000 ] && break
        done
        t1=$(now_ms)
        after=$(node_pages $WPID 1)
        moved=$((before - after))
        ms=$((t1 - t0))
        echo "BENCH migrate tool=numaflipd pages=$moved ms=$ms MiB_per_s=$(awk -v p=$moved -v m=$ms 'BEGIN{printf "%.1f", p / 256 / (m / 1000)}') status_within_100ms=$ok/$probes worst_probe_ms=$worst"
        echo "BENCH migrate ratio numaflipd/migratepages=$(awk -v p=$moved -v m=$ms -v r=$MP_RATE 'BEGIN{printf "%.2f", (p / m) / r}')"
        kill -TERM $WPID
        wait $WPID
        stop_daemon
}

bench_observe() {
        for mib in 32 128 512; do
                start_work o$mib --membind=1 --cpunodebind=0 nf-workload -d -s $mib
                kill -STOP $WPID # a still process: the three methods see the same pages
                echo "BENCH observe MiB=$mib $(nf-observe $WPID 0 | head -n 1)"
                kill -CONT $WPID
                kill -TERM $WPID
                wait $WPID
        done
        nf-observe $$ 0 | tail -n 1
}

bench_migratepages
bench_numaflipd
bench_observe
