#!/bin/sh
# The paper's experiment on the patched hypervisor in the Xen E2E's two-node QEMU host: flips
# into a domU homed on node 1 under numaflipd in monitor mode, with a dynamic flip pool, and
# with threshold migration; prints the three remote shares beside the paper's 22%. Heavy (it
# builds and boots Xen): run it under flock /tmp/nf-heavy.lock on a shared machine.
# Usage: bench/xen-paper.sh [FLIPS [RATE]]   (default 8192 flips at 512/s, into 128 MiB)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${NF_E2E_XEN_DIR:-$ROOT/build/default/e2e-xen}
export NF_E2E_XEN_DIR=$WORK NF_XEN_BUILD_DIR=${NF_XEN_BUILD_DIR:-$ROOT/build/xen}
export NF_E2E_XEN_ONLY=paper NF_PAPER_FLIPS=${1:-8192} NF_PAPER_RATE=${2:-512}
sh "$ROOT/tests/e2e/xen/run.sh"
rc=$?
[ $rc = 77 ] && exit 77
table=$(tr -d '\r' <"$WORK/paper.log" | grep "^NF-PAPER-TABLE" | tail -1)
if [ -z "$table" ]; then
	echo "xen-paper: no result (see $WORK/paper.log)"
	exit 1
fi
echo
echo "remote share of a 128 MiB domU after $NF_PAPER_FLIPS flips at $NF_PAPER_RATE/s (dom0 on node 0, domU homed on node 1):"
echo "$table" | awk '{
	printf "  %-30s %8s\n", "mitigation", "share"
	printf "  %-30s %7.2f%%\n", "none (daemon monitoring)", $3 * 100
	printf "  %-30s %7.2f%%\n", "dynamic flip pool", $5 * 100
	printf "  %-30s %7.2f%%\n", "threshold migration (5%)", $7 * 100
	printf "  %-30s %7.2f%%\n", "paper, no mitigation, hours", 22
	if ($5 > 0) printf "  monitor / pool: %.0fx\n", $3 / $5; else print "  monitor / pool: pool share 0"
}'
exit $rc
