#!/bin/sh
# Migrate bench on the patched hypervisor in the Xen E2E's two-node QEMU host: the migrate
# sub-op's MiB/s on never-run PVH domains (64 MiB of 2M and of 4K extents, 256 MiB of 2M) from
# node 0 to node 1, as a ratio of dom0's own copy of as many pages between the two nodes in
# the same boot (the copy limit); the longest call, for which the domain is paused; and one
# observation's cost: the daemon's hypercall per guest against the 'u' dump of the same
# domains. Heavy (it builds and boots Xen): run it under flock /tmp/nf-heavy.lock.
# Usage: bench/xen-migrate.sh
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${NF_E2E_XEN_DIR:-$ROOT/build/default/e2e-xen}
export NF_E2E_XEN_DIR=$WORK NF_XEN_BUILD_DIR=${NF_XEN_BUILD_DIR:-$ROOT/build/xen}
export NF_E2E_XEN_ONLY=migrate
sh "$ROOT/tests/e2e/xen/run.sh"
rc=$?
[ $rc = 77 ] && exit 77
echo
tr -d '\r' <"$WORK/migrate.log" | awk '
	/^NF-RESULT [A-Z]+ migrate-/ {
		sub(/^NF-RESULT [A-Z]+ /, "")
		l = $0
		sz = l; sub(/:.*/, "", sz)
		m = l; sub(/.*migrate /, "", m); sub(/ MiB\/s.*/, "", m)
		c = l; sub(/.*node0->node1 /, "", c); sub(/ MiB\/s.*/, "", c)
		r = l; sub(/.*ratio /, "", r); sub(/;.*/, "", r)
		p = l; sub(/.*longest call /, "", p); sub(/ s .*/, "", p)
		q = l; sub(/.*one hypercall /, "", q); sub(/ us.*/, "", q)
		u = l; sub(/.*dump \(every domain\) /, "", u); sub(/ ms.*/, "", u)
		if (!n++) printf "%-16s %10s %10s %7s %12s %14s %12s\n", "run", "migrate", "dom0 copy", "ratio", "longest call", "hypercall/guest", "u dump (all)"
		printf "%-16s %6s MiB/s %4s MiB/s %7s %10s s %11s us %9s ms\n", sz, m, c, r, p, q, u
	}'
exit $rc
