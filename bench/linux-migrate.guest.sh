# Sourced by tests/e2e/linux/scenario.sh in the two-node guest for bench/linux-migrate.sh.

mib_per_s() { awk -v p="$1" -v ms="$2" 'BEGIN { printf "%.1f", ms ? p / 256 / (ms / 1000) : 0 }'; }

# (a) One process, the same 256 MiB, three rounds: migratepages moves it from node 1 to
#     node 0, migratepages puts it back (untimed), numaflipd (rate limits off, batch_time
#     50ms, started by `numaflipctl migrate`) moves it to node 0 again, and migratepages puts
#     it back for the next round. The medians are compared: an emulated host's timings
#     vary by 2x from one run to the next. numaflipd's time is its plan's own (first batch
#     to last); migratepages' is the tool's run. threshold = 100% never triggers by itself,
#     so only the operator's request moves anything. ctl-load probes status every 20 ms all
#     through both tools' moves (connecting as numaflipctl does), so both share the
#     machine with the same load.
median3() { echo "$@" | tr ' ' '\n' | sort -n | sed -n 2p; }

bench_migrate() {
        start_work m1 --membind=1 --cpunodebind=0 nf-workload -d -s 256
        LOG_LEVEL=${LOG_LEVEL:-info} BATCH_TIME=50ms config /tmp/bm.conf "[vm work]" \
                "pidfile = /tmp/m1.pid" "home = 0" "threshold = 100%" "batch = 16MiB"
        start_daemon /tmp/bm.conf
        wait_until 30 sh -c "[ \"\$(numaflipctl -s $SOCK --json vm work | jq -r .remote_share)\" != 0 ]"
        mp_rates="" nf_rates="" worst=0
        for round in 1 2 3; do
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
                echo "BENCH migrate round=$round tool=migratepages pages=$pages ms=$ms MiB_per_s=$(mib_per_s $pages $ms) (status meanwhile: $(cat /tmp/probe-mp.out))"
                mp_rates="$mp_rates $(mib_per_s $pages $ms)"

                migratepages $WPID 0 1
                back=$(node_pages $WPID 1)
                check "migrate round $round: the pages went back to node 1 ($back of $before)" \
                        ge "$back" $((before * 99 / 100))
                # The daemon must see the return before it is asked to move them.
                wait_until 30 sh -c "numaflipctl -s $SOCK --json vm work | jq -e '.remote_share > 0.95' >/dev/null"
                ctl-load probe $SOCK status 100000 20 >/tmp/probe.out 2>&1 &
                PROBE=$!
                before=$(node_pages $WPID 1)
                ends=$(grep -c "work: migration \(done\|abandoned\)" /tmp/daemon.log)
                ctl migrate work >/dev/null || fail "migrate round $round: numaflipctl migrate work"
                # Waited for in the daemon's log: a numaflipctl and a jq every 0.2 s would
                # compete with the daemon and the probe for the CPU they share.
                wait_until 120 sh -c "[ \$(grep -c 'work: migration \(done\|abandoned\)' /tmp/daemon.log) -gt $ends ]"
                kill -TERM $PROBE
                wait $PROBE
                j=$(ctl --json vm work)
                ms=$(echo "$j" | jq '((.counters.last_migration_ns - .migration.started_ns) / 1000000) | floor')
                pages=$((before - $(node_pages $WPID 1)))
                probe=$(cat /tmp/probe.out)
                echo "BENCH migrate round=$round tool=numaflipd pages=$pages ms=$ms MiB_per_s=$(mib_per_s $pages $ms) batches=$(echo "$j" | jq .migration.batches) longest_batch_ms=$(echo "$j" | jq '.counters.max_batch_real_ns / 1000000 | floor')"
                echo "BENCH migrate round=$round status during the move: $probe"
                nf_rates="$nf_rates $(mib_per_s $pages $ms)"
                w=$(echo "$probe" | awk '{ printf "%d", $7 + 0.999 }')
                [ "${w:-99999}" -gt "$worst" ] && worst=${w:-99999}
                [ $round -lt 3 ] && migratepages $WPID 0 1
        done
        mp=$(median3 $mp_rates)
        nf=$(median3 $nf_rates)
        ratio=$(awk -v a="$nf" -v b="$mp" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
        echo "BENCH migrate median MiB/s: numaflipd $nf, migratepages $mp, ratio numaflipd/migratepages=$ratio"
        check "migrate: numaflipd at least 0.8x migratepages on the same pages (median ratio $ratio)" ge "$ratio" 0.8
        check "migrate: status answered within 100 ms all through the moves (slowest $worst ms)" \
                le "$worst" 100
        sed 's/^/  daemon: /' /tmp/daemon.log | grep -v "batch [0-9]" | tail -n 3
        kill -TERM $WPID
        wait $WPID
        check "migrate: workload data intact" [ $? -eq 0 ]
        stop_daemon
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
