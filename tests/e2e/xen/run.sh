#!/bin/sh
# Xen E2E: boot Debian's stock Xen 4.17 and the numaflip-patched build under QEMU with two NUMA nodes, and run the checks in dom0.
#
# Exit 0 when every check passed, 1 on any failure, 77 (skip, with the reason
# printed) when this machine cannot run it: NF_SKIP_E2E=1, no x86_64, no QEMU
# or busybox and no way to install them, no route to the Debian mirrors, or
# QEMU not able to boot Debian's Xen.  Once Xen boots, failures are real.
#
# Env: NF_E2E_XEN_DIR   work/cache directory (default <repo>/build/e2e-xen)
#      NF_XEN_BUILD_DIR passed to scripts/build-xen.sh
#      NF_E2E_XEN_TIMEOUT seconds allowed for the patched boot (default 1200)
#      NF_E2E_XEN_ONLY    "debug": build and boot only the debug hypervisor;
#                         "paper": only the paper's experiment on the release build
#                         (bench/xen-paper.sh), NF_PAPER_FLIPS flips at NF_PAPER_RATE/s;
#                         "migrate": only the migrate bench (bench/xen-migrate.sh)
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
WORK=${NF_E2E_XEN_DIR:-$REPO/build/e2e-xen}
TIMEOUT=${NF_E2E_XEN_TIMEOUT:-1200}
# shellcheck source=tests/e2e/xen/host.sh
. "$HERE/host.sh"
DEBS="xen-hypervisor-4.17-amd64 xen-utils-4.17 xen-utils-common libxenmisc4.17 libxencall1 libxenevtchn1 libxenforeignmemory1 libxengnttab1 libxenstore4 libxentoollog1 libxendevicemodel1 libxenhypfs1 libxentoolcore1 libyajl2"

skip() { echo "SKIP: e2e_xen: $*"; exit 77; }
fail() { echo "FAIL: e2e_xen: $*"; echo "0 passed, 1 failed"; exit 1; }
log() { echo "e2e_xen: $*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else return 1; fi; }

[ "${NF_SKIP_E2E:-0}" = 1 ] && skip "NF_SKIP_E2E=1"
[ "$(uname -m)" = x86_64 ] || skip "needs an x86_64 host (have $(uname -m))"

# --- host tools ---------------------------------------------------------
have_tools() {
	for t in qemu-system-x86_64 cpio gzip dpkg-deb apt-get cc pkg-config; do
		command -v $t >/dev/null 2>&1 || return 1
	done
	[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 || return 1
	pkg-config --exists xencontrol xencall xenforeignmemory || return 1
}
if ! have_tools; then
	log "installing qemu-system-x86, busybox-static, cpio, libxen-dev"
	{ as_root apt-get update && as_root env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y --no-install-recommends qemu-system-x86 \
		busybox-static cpio libxen-dev gcc libc6-dev pkg-config; } >"$WORK.apt.log" 2>&1 ||
		true
	have_tools || skip "missing qemu-system-x86_64, static busybox, cpio or libxen-dev, and cannot install them (see $WORK.apt.log)"
fi
mkdir -p "$WORK/debs"

# --- Debian packages ------------------------------------------------------
KPKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
[ -n "$KPKG" ] || skip "apt has no linux-image-amd64 (no Debian package lists?)"
stamp="$KPKG $DEBS"
if [ "$(cat "$WORK/debs/.stamp" 2>/dev/null)" != "$stamp" ]; then
	log "downloading $KPKG and Xen 4.17 packages"
	rm -f "$WORK"/debs/*.deb
	# shellcheck disable=SC2086
	(cd "$WORK/debs" && apt-get download $KPKG $DEBS) >"$WORK/download.log" 2>&1 ||
		skip "cannot download Debian packages (no route to the mirrors?): $(tail -1 "$WORK/download.log")"
	rm -rf "$WORK/root"
	echo "$stamp" >"$WORK/debs/.stamp"
fi
ROOT=$WORK/root
if [ ! -d "$ROOT" ]; then
	mkdir -p "$ROOT.tmp"
	for d in "$WORK"/debs/*.deb; do dpkg-deb -x "$d" "$ROOT.tmp" || fail "cannot unpack $d"; done
	mv "$ROOT.tmp" "$ROOT"
fi
KVER=$(ls "$ROOT/lib/modules" | head -1)
VMLINUZ=$ROOT/boot/vmlinuz-$KVER
[ -f "$VMLINUZ" ] || fail "no kernel in $KPKG"

# --- hypervisors ----------------------------------------------------------
# build_xen CONFIG: the patched hypervisor's path on stdout.
build_xen() {
	log "building the patched hypervisor, $1 config (scripts/build-xen.sh)"
	p=$("$REPO/scripts/build-xen.sh" --config "$1" 2>"$WORK/build-xen-$1.log" | tail -1)
	if [ -z "$p" ] || [ ! -f "$p" ]; then
		if grep -q "cannot download\|apt-get update (deb-src) failed" "$WORK/build-xen-$1.log"; then
			skip "cannot fetch Debian's Xen source: $(tail -1 "$WORK/build-xen-$1.log")"
		fi
		tail -20 "$WORK/build-xen-$1.log"
		fail "scripts/build-xen.sh --config $1 failed"
	fi
	PATCHED=$p
}
# The release build runs the full scenario (its timings are the product's);
# the debug build (ASSERTs on) runs the safety checks.
ONLY=${NF_E2E_XEN_ONLY:-}
case $ONLY in "" | debug | paper | migrate) ;; *) fail "NF_E2E_XEN_ONLY: '$ONLY' is not debug, paper or migrate" ;; esac
# A bench boots the release build alone.
BENCH=""
case $ONLY in paper | migrate) BENCH=$ONLY ;; esac
if [ -z "$BENCH" ]; then
	build_xen debug
	DEBUG=$PATCHED
fi
[ "$ONLY" = debug ] || build_xen release
STOCK=$WORK/xen-stock
gunzip -c "$ROOT/boot/xen-4.17-amd64.gz" >"$STOCK" || fail "cannot unpack Debian's xen-4.17-amd64.gz"

# --- programs run in the guests --------------------------------------------
BIN=$WORK/bin
mkdir -p "$BIN"
CFLAGS="-std=gnu11 -O2 -g -rdynamic -Wall -Wextra -Werror -I$REPO/include -I$REPO/src/backend -include $HERE/crashtrace.h"
XENLIBS=$(pkg-config --cflags --libs xencontrol xencall xenforeignmemory xenguest)
# shellcheck disable=SC2086
{ cc $CFLAGS -o "$BIN/nf-xen-check" "$HERE/nf-xen-check.c" "$REPO/src/backend/xen_domctl.c" $XENLIBS &&
  cc $CFLAGS -o "$BIN/numaflip-flipload" "$REPO/src/flipload/flipload.c" "$REPO/src/backend/xen_domctl.c" $XENLIBS &&
  cc -std=c11 -O2 -Wall -Wextra -Werror -static -o "$BIN/nf-memcheck" "$HERE/nf-memcheck.c" &&
  cc -std=gnu11 -O2 -Wall -Wextra -Werror -static -I"$REPO/include" -o "$BIN/nf-flippool-perm" \
	"$HERE/nf-flippool-perm.c"; } ||
	fail "cannot build the test programs"

# --- numaflipd and numaflipctl for dom0 (daemon-scenario.sh) ---------------------
NFB=$WORK/nf-build
{ cmake -S "$REPO" -B "$NFB" -DBUILD_TESTING=OFF -DNF_WITH_XEN=ON -DNF_WITH_SYSTEMD=OFF \
	-DNF_WERROR=ON && cmake --build "$NFB" -j2 --target numaflipd numaflipctl; } \
	>"$WORK/nf-build.log" 2>&1 || fail "cannot build numaflipd for dom0 (see $WORK/nf-build.log)"
NF_DAEMON_BINS="$NFB/bin/numaflipd $NFB/bin/numaflipctl"

# --- initramfs ---------------------------------------------------------------
# copy_libs DEST BINARY...: the shared libraries they need, from the unpacked
# packages first, else from the host (same Debian release).
copy_libs() {
	dest=$1
	shift
	for b in "$@"; do
		LD_LIBRARY_PATH=$ROOT/usr/lib/x86_64-linux-gnu ldd "$b" | awk '/=> \//{print $3}'
	done | sort -u | while read -r l; do
		cp -L "$l" "$dest/lib/x86_64-linux-gnu/"
	done
	cp -L /lib64/ld-linux-x86-64.so.2 "$dest/lib64/"
	# glibc dlopens it for pthread_cancel; xl create aborts without it.
	cp -L /lib/x86_64-linux-gnu/libgcc_s.so.1 "$dest/lib/x86_64-linux-gnu/"
}

mkcpio() { (cd "$1" && find . | cpio -o -H newc --quiet | gzip -1) >"$2"; }

U=$WORK/domU-root
rm -rf "$U" && mkdir -p "$U/bin" "$U/proc" "$U/sys" "$U/dev"
cp /bin/busybox "$U/bin/busybox"
cp "$BIN/nf-memcheck" "$BIN/nf-flippool-perm" "$U/bin/"
mkdir -p "$U/lib/modules"
f=$(find "$ROOT/lib/modules/$KVER" -name "xen-privcmd.ko" | head -1)
[ -n "$f" ] || fail "module xen-privcmd missing from $KPKG"
cp "$f" "$U/lib/modules/"
cp "$HERE/domU-init.sh" "$U/init" && chmod +x "$U/init"
mkcpio "$U" "$WORK/domU.cpio.gz"

D=$WORK/dom0-root
XB=$ROOT/usr/lib/xen-4.17/bin
rm -rf "$D" && mkdir -p "$D/bin" "$D/lib/modules" "$D/lib/x86_64-linux-gnu" "$D/lib64" \
	"$D/usr/lib/xen-4.17/bin" "$D/etc/xen" "$D/boot" "$D/nf" "$D/proc" "$D/sys" "$D/dev" \
	"$D/var/log/xen" "$D/var/lib/xen"
cp /bin/busybox "$D/bin/busybox"
cp "$HERE/dom0-init.sh" "$D/init" && chmod +x "$D/init"
for m in xen-privcmd xen-evtchn xenfs xen-gntdev xen-gntalloc; do
	f=$(find "$ROOT/lib/modules/$KVER" -name "$m.ko" | head -1)
	[ -n "$f" ] || fail "module $m missing from $KPKG"
	cp "$f" "$D/lib/modules/"
done
for b in xl xenstored xenconsoled xen-init-dom0; do cp "$XB/$b" "$D/usr/lib/xen-4.17/bin/"; done
cp "$ROOT/etc/xen/xl.conf" "$D/etc/xen/" && cp -r "$ROOT/etc/xen/scripts" "$D/etc/xen/"
cp "$BIN/nf-xen-check" "$BIN/numaflip-flipload" "$HERE/scenario.sh" "$D/nf/"
# shellcheck disable=SC2086
cp $NF_DAEMON_BINS "$HERE/daemon-scenario.sh" "$HERE/lib.sh" "$HERE/paper.sh" "$D/nf/"
cp "$VMLINUZ" "$D/boot/vmlinuz"
cp "$WORK/domU.cpio.gz" "$D/boot/domU.cpio.gz"
copy_libs "$D" "$XB/xl" "$XB/xenstored" "$XB/xenconsoled" "$XB/xen-init-dom0" \
	"$BIN/nf-xen-check" "$BIN/numaflip-flipload" $NF_DAEMON_BINS || fail "cannot collect libraries"
mkcpio "$D" "$WORK/dom0.cpio.gz"

# --- boots ------------------------------------------------------------------
# boot NAME XEN MODE SECONDS: run QEMU until dom0 prints NF-DONE; 0 if it did,
# 2 if dom0 never came up, 1 if it came up but did not finish.
boot() {
	out=$WORK/$1.log
	rm -f "$out"
	log "booting $1 Xen under QEMU (TCG, 2 NUMA nodes), log: $out"
	qemu_xen "$out" "$2" "$VMLINUZ console=hvc0 earlyprintk=xen nf_mode=$3,$WORK/dom0.cpio.gz"
	t=0
	status=1
	while [ $t -lt "$4" ]; do
		sleep 2
		t=$((t + 2))
		if grep -q "^NF-DONE" "$out" 2>/dev/null; then status=0; break; fi
		if ! kill -0 $qpid 2>/dev/null; then break; fi
		if grep -q "Panic on CPU\|Reboot in five seconds" "$out" 2>/dev/null; then break; fi
		if [ $t -ge 300 ] && ! grep -q "NF-DOM0-UP" "$out" 2>/dev/null; then break; fi
	done
	kill $qpid 2>/dev/null
	wait $qpid 2>/dev/null
	if [ $status = 0 ]; then
		log "$1 boot done in ${t}s"
		return 0
	fi
	grep -q "NF-DOM0-UP" "$out" 2>/dev/null && return 1
	return 2
}

stock_rc=0 patched_rc=0 debug_rc=0
if [ "$ONLY" = paper ]; then
boot paper "$PATCHED" "paper nf_flips=${NF_PAPER_FLIPS:-8192} nf_rate=${NF_PAPER_RATE:-512}" "$TIMEOUT"
bench_rc=$?
elif [ "$ONLY" = migrate ]; then
boot migrate "$PATCHED" migrate "$TIMEOUT"
bench_rc=$?
elif [ "$ONLY" != debug ]; then
boot stock "$STOCK" stock 600
rc=$?
if [ $rc = 2 ]; then
	tail -5 "$WORK/stock.log" 2>/dev/null
	skip "QEMU could not boot Debian's Xen 4.17 to a dom0 here (see $WORK/stock.log)"
fi
[ $rc = 0 ] || log "stock boot did not finish (see $WORK/stock.log)"
stock_rc=$rc

boot patched "$PATCHED" patched "$TIMEOUT"
patched_rc=$?
fi

if [ -z "$BENCH" ]; then
	boot debug "$DEBUG" debug "$TIMEOUT"
	debug_rc=$?
fi

# --- report -------------------------------------------------------------------
pass=0 failn=0 skipn=0
report() { # name rc
	if [ "$2" != 0 ] || ! grep -q "^NF-SCENARIO-COMPLETE" "$WORK/$1.log"; then
		echo "FAIL [$1] scenario: dom0 did not run the scenario to its end (see $WORK/$1.log)"
		failn=$((failn + 1))
	fi
	grep "^NF-RESULT " "$WORK/$1.log" | tr -d '\r' >"$WORK/$1.results"
	while read -r _ verdict rest; do
		echo "$verdict [$1] $rest"
		case $verdict in
		PASS) pass=$((pass + 1)) ;;
		SKIP) skipn=$((skipn + 1)) ;;
		*) failn=$((failn + 1)) ;;
		esac
	done <"$WORK/$1.results"
}
if [ -n "$BENCH" ]; then
	report "$BENCH" $bench_rc
elif [ "$ONLY" != debug ]; then
	report stock $stock_rc
	report patched $patched_rc
fi
[ -n "$BENCH" ] || report debug $debug_rc
# A failed ASSERT or BUG in the debug hypervisor is a failure even if dom0 went on.
for n in patched debug paper migrate; do
	if grep -q "Assertion '.*' failed\|Xen BUG at\|FATAL TRAP\|Panic on CPU" "$WORK/$n.log" 2>/dev/null; then
		echo "FAIL [$n] hypervisor: $(grep -m1 "Assertion '.*' failed\|Xen BUG at\|FATAL TRAP\|Panic on CPU" "$WORK/$n.log" | tr -d '\r')"
		failn=$((failn + 1))
	fi
done
echo "$pass passed, $failn failed, $skipn skipped"
[ $failn = 0 ] && [ $pass -gt 0 ]
