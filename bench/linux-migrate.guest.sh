# Sourced by tests/e2e/linux/scenario.sh in the two-node guest for bench/linux-migrate.sh.

mib_per_s() { awk -v p="$1" -v ms="$2" 'BEGIN { printf "%.1f", ms ? p / 256 / (ms / 1000) : 0 }'; }

# (a) One process of 256 MiB, five rounds: migratepages moves it from node 1 to node 0,
#     migratepages puts it back (untimed), numaflipd (rate limits off, the default
#     batch_time and scan, started by `numaflipctl migrate`) moves it to node 0 again, and
#     migratepages puts it back for the next round. The medians are compared: an emulated
#     host's timings vary by 2x from one round to the next (migratepages 120-400 MiB/s).
#     numaflipd's time is its plan's own (first batch to last); migratepages' is the
#     tool's run. threshold = 100% never triggers by itself, so only the operator's
#     request moves anything. ctl-load probes status every 20 ms all through both tools'
#     moves (connecting as numaflipctl does), so both share the machine with the same load.
#     Two layouts: the memory 2 MiB aligned, as QEMU maps a guest's RAM (every page can be
#     a huge page: the acceptance figure), and a plain mmap whose ends are 4K pages (up to
#     1022 of them, each 0.5-1 ms to move here), reported beside it.
median() { echo "$@" | tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# migrate_rounds LAYOUT ROUNDS WORKLOAD-FLAGS...: sets ratio and worst (ms).
migrate_rounds() {
        layout=$1 rounds=$2
        shift 2
        start_work m1 --membind=1 --cpunodebind=0 nf-workload -d -s 256 "$@"
        SCAN=${SCAN:-sample} LOG_LEVEL=${LOG_LEVEL:-info} BATCH_TIME=${BATCH_TIME:-100ms} \
                config /tmp/bm.conf "[vm work]" "pidfile = /tmp/m1.pid" "home = 0" \
                "threshold = 100%" "batch = 16MiB"
        start_daemon /tmp/bm.conf
        wait_until 30 sh -c "[ \"\$(numaflipctl -s $SOCK --json vm work | jq -r .remote_share)\" != 0 ]"
        mp_rates="" nf_rates="" worst=0
        for round in $(seq 1 "$rounds"); do
                before=$(node_pages $WPID 1)
                # The same load on the machine as numaflipd's moves have: the probe.
                ctl-load probe $SOCK status 100000 20 >/tmp/probe-mp.out 2>&1 &
                PROBE=$!
                t0=$(now_ms)
                migratepages $WPID 1 0
                t1=$(now_ms)
                kill -TERM $PROBE
                wait $PROBE
                pages=$((before - $(node_pages $WPID 1)))
                ms=$((t1 - t0))
                echo "BENCH migrate layout=$layout round=$round tool=migratepages pages=$pages ms=$ms MiB_per_s=$(mib_per_s $pages $ms) (status meanwhile: $(cat /tmp/probe-mp.out))"
                mp_rates="$mp_rates $(mib_per_s $pages $ms)"

                migratepages $WPID 0 1
                back=$(node_pages $WPID 1)
                check "migrate $layout round $round: the pages went back to node 1 ($back of $before)" \
                        ge "$back" $((before * 99 / 100))
                # The daemon must see the return before it is asked to move them.
                wait_until 30 sh -c "numaflipctl -s $SOCK --json vm work | jq -e '.remote_share > 0.95' >/dev/null"
                ctl-load probe $SOCK status 100000 20 >/tmp/probe.out 2>&1 &
                PROBE=$!
                before=$(node_pages $WPID 1)
                ends=$(grep -c "work: migration \(done\|abandoned\)" /tmp/daemon.log)
                ctl migrate work >/dev/null || fail "migrate $layout round $round: numaflipctl migrate work"
                # Waited for in the daemon's log: a numaflipctl and a jq every 0.2 s would
                # compete with the daemon and the probe for the CPU they share.
                wait_until 120 sh -c "[ \$(grep -c 'work: migration \(done\|abandoned\)' /tmp/daemon.log) -gt $ends ]"
                kill -TERM $PROBE
                wait $PROBE
                j=$(ctl --json vm work)
                ms=$(echo "$j" | jq '((.counters.last_migration_ns - .migration.started_ns) / 1000000) | floor')
                pages=$((before - $(node_pages $WPID 1)))
                probe=$(cat /tmp/probe.out)
                echo "BENCH migrate layout=$layout round=$round tool=numaflipd pages=$pages ms=$ms MiB_per_s=$(mib_per_s $pages $ms) batches=$(echo "$j" | jq .migration.batches) longest_batch_ms=$(echo "$j" | jq '.counters.max_batch_real_ns / 1000000 | floor')"
                echo "BENCH migrate layout=$layout round=$round status during the move: $probe"
                nf_rates="$nf_rates $(mib_per_s $pages $ms)"
                w=$(echo "$probe" | awk '{ printf "%d", $7 + 0.999 }')
                [ "${w:-99999}" -gt "$worst" ] && worst=${w:-99999}
                [ "$round" -lt "$rounds" ] && migratepages $WPID 0 1
        done
        mp=$(median $mp_rates)
        nf=$(median $nf_rates)
        ratio=$(awk -v a="$nf" -v b="$mp" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
        echo "BENCH migrate layout=$layout median MiB/s: numaflipd $nf, migratepages $mp, ratio numaflipd/migratepages=$ratio, slowest status $worst ms"
        sed 's/^/  daemon: /' /tmp/daemon.log | grep -v "batch [0-9]" | tail -n 2
        kill -TERM $WPID
        wait $WPID
        check "migrate $layout: workload data intact" [ $? -eq 0 ]
        stop_daemon
}

bench_migrate() {
        migrate_rounds unaligned 3
        ratio_plain=$ratio worst_plain=$worst
        migrate_rounds aligned 5 -a
        check "migrate: numaflipd at least 0.8x migratepages on the same pages (aligned like QEMU's RAM: median ratio $ratio; unaligned: $ratio_plain)" \
                ge "$ratio" 0.8
        [ "$worst_plain" -gt "$worst" ] && worst=$worst_plain
        check "migrate: status answered within 100 ms all through the moves (slowest $worst ms)" \
                le "$worst" 100
}

# (b) The cost of one observation of a still process by each method, at three sizes; 30%
#     of each process is on node 1 (home 0), so the sample has a share to estimate.
bench_observe() {
        for mib in 32 128 512; do
                start_work o$mib --membind=0 --cpunodebind=0 nf-workload -s $((mib * 7 / 10)) \
                        -e $((mib * 3 / 10))
                kill -STOP $WPID # a still process: the three methods see the same pages
                out=$(nf-observe $WPID 0 2>&1)
                kill -CONT $WPID
                kill -TERM $WPID
                wait $WPID
                line=$(echo "$out" | head -n 1)
                echo "BENCH observe MiB=$mib $line"
                set -- $line
                eval "full$mib=$2 sample$mib=$6"
                bound=$(echo "$out" | sed -n 's/.*within \([0-9.]*\)%.*/\1/p')
                diff=$(awk -v a="$4" -v b="$8" 'BEGIN { d = 100 * (a - b); printf "%.2f", d < 0 ? -d : d }')
                check "observe $mib MiB: sampled share $8 within ${bound:-?}% of the full scan's $4 ($diff points)" \
                        le "$diff" "${bound:--1}"
        done
        r=$(awk -v a="$sample32" -v b="$sample512" 'BEGIN { printf "%.2f", (a > 0 ? b / a : 0) }')
        f=$(awk -v a="$full32" -v b="$full512" 'BEGIN { printf "%.2f", (a > 0 ? b / a : 0) }')
        echo "BENCH observe cost 512 MiB / 32 MiB: sampled $r, full scan $f"
        check "observe: sampled cost flat within 2x from 32 to 512 MiB ($r)" le "$r" 2
}

bench_migrate
bench_observe
