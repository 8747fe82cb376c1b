#!/usr/bin/env bash
# Locality achieved: web1's remote share after one simulated hour of flipping, under
# each mitigation, side by side and as a ratio of the unmitigated run in this script.
# With --plot FILE (.svg or .png), also draws web1's memory share per node over the
# hour under each mitigation with gnuplot, from `numaflipctl history web1`.
# Usage: bench/locality.sh [--plot FILE] [BUILD_BIN_DIR]   (default build/default/bin)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PLOT=""
if [ "${1:-}" = --plot ]; then
        [ -n "${2:-}" ] || { echo "usage: bench/locality.sh [--plot FILE] [BUILD_BIN_DIR]"; exit 2; }
        PLOT=$(realpath -m "$2")
        shift 2
        case "$PLOT" in
        *.svg) TERM_LINE="set terminal svg size 900,640 dynamic font 'sans,12' background rgb 'white'" ;;
        *.png) TERM_LINE="set terminal pngcairo size 900,640 font 'sans,11'" ;;
        *) echo "--plot: FILE must end in .svg or .png"; exit 2 ;;
        esac
        command -v gnuplot >/dev/null || { echo "--plot needs gnuplot (apt-get install gnuplot-nox)"; exit 1; }
fi
export NF_BIN=${1:-$ROOT/build/default/bin}
[ -x "$NF_BIN/numaflipd" ] || { echo "no numaflipd in $NF_BIN: build first (scripts/test.sh)"; exit 1; }
. "$ROOT/tests/integration/lib.sh"
. "$ROOT/tests/integration/scenarios.sh"

declare -A final peak moved
for s in none threshold periodic pool; do
        scenario_config "$s" | nf_config
        nf_start
        advance 60m
        j=$(ctlj vm web1)
        final[$s]=$(echo "$j" | jq .remote_share)
        peak[$s]=$(echo "$j" | jq .max_remote_share)
        moved[$s]=$(echo "$j" | jq .counters.bytes_moved)
        # Minutes, then web1's share on node 0 (the CVM's) and node 1 (its home), in %.
        [ -n "$PLOT" ] && ctlj history web1 | jq -r '.points[] |
                (.pages_per_node | add) as $all |
                [.t_ns / 6e10, .pages_per_node[0] / $all * 100,
                 .pages_per_node[1] / $all * 100] | @tsv' >"$NF_TMP/$s.dat"
        nf_stop
done

printf '\nweb1 (4 GiB on node 1, 70 flips/s from the CVM on node 0), after 1 simulated hour\n\n'
printf '%-10s %12s %12s %12s %14s\n' mitigation "remote" "peak" "vs none" "migrated"
for s in none threshold periodic pool; do
        awk -v n="$s" -v f="${final[$s]}" -v p="${peak[$s]}" -v b="${final[none]}" -v m="${moved[$s]}" \
                'BEGIN { printf "%-10s %11.2f%% %11.2f%% %11.3fx %11.1f MiB\n", n, f * 100, p * 100, (b > 0 ? f / b : 0), m / 1048576 }'
done

[ -n "$PLOT" ] || exit 0
gnuplot <<EOG || { echo "gnuplot failed"; exit 1; }
$TERM_LINE
set output '$PLOT'
set multiplot layout 2,1 title "web1: 4 GiB homed on node 1, 70 flips/s from the CVM on node 0, one simulated hour"
set key outside right
set grid
set xrange [0:60]
set ylabel "share on node 1 (home), %"
set format x ""
plot for [s in "none threshold periodic pool"] '$NF_TMP/'.s.'.dat' using 1:3 with lines lw 2 title s
set xlabel "simulated minutes"
set format x "%g"
set ylabel "share on node 0 (remote), %"
plot for [s in "none threshold periodic pool"] '$NF_TMP/'.s.'.dat' using 1:2 with lines lw 2 title s
unset multiplot
EOG
echo "plot: $PLOT"
