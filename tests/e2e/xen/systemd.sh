#!/bin/sh
# Xen E2E with a Debian 12 dom0 whose PID 1 is systemd: numaflip installed from its .deb on the patched hypervisor, checked as an operator runs it.
#
# Usage: systemd.sh DEB_DIR (where the package test left numaflip_*.deb).
# Builds a dom0 root filesystem with mmdebstrap (systemd, Debian's kernel and Xen
# utilities, numaflip's dependencies; cached in the build tree by its inputs), boots it
# from a virtio disk under the patched Xen in QEMU with two NUMA nodes, and runs
# systemd-scenario.sh there as a unit: apt-get install of the .deb, start/READY, group
# access, reload with a broken config, the watchdog, the metrics file (checked here with
# promtool), systemd-analyze security and stop. Exit 0 when all passed, 1 on a failure,
# 77 (reason printed) where it cannot run: NF_SKIP_E2E=1, not x86_64, not root, no
# mmdebstrap/QEMU/e2fsprogs, no .deb, no route to the Debian mirrors.
# Env: NF_E2E_XEN_DIR (work/cache directory; this uses its systemd/), NF_XEN_BUILD_DIR,
#      NF_E2E_SYSTEMD_TIMEOUT seconds for the boot (default 1500).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
WORK=${NF_E2E_XEN_DIR:-$REPO/build/e2e-xen}/systemd
TIMEOUT=${NF_E2E_SYSTEMD_TIMEOUT:-1500}
DEBDIR=${1:-}
# shellcheck source=tests/e2e/xen/host.sh
. "$HERE/host.sh"
# Bump to rebuild the cached root filesystem when its recipe changes.
RECIPE=1

skip() { echo "SKIP: e2e_xen_systemd: $*"; exit 77; }
fail() { echo "FAIL: e2e_xen_systemd: $*"; echo "0 passed, 1 failed"; exit 1; }
log() { echo "e2e_xen_systemd: $*"; }

[ "${NF_SKIP_E2E:-0}" = 1 ] && skip "NF_SKIP_E2E=1"
[ "$(uname -m)" = x86_64 ] || skip "needs an x86_64 host (have $(uname -m))"
[ "$(id -u)" = 0 ] || skip "needs root (mmdebstrap builds the dom0 root filesystem in a chroot)"
for t in mmdebstrap qemu-system-x86_64 mkfs.ext4 debugfs cpio gzip dpkg-deb; do
	command -v $t >/dev/null 2>&1 || skip "$t is not installed (scripts/deps.sh installs it)"
done
[ -x /bin/busybox ] || skip "no static busybox for the domU"
deb=$(ls "$DEBDIR"/numaflip_*_amd64.deb 2>/dev/null | head -1)
[ -n "$deb" ] || skip "no numaflip_*.deb in '$DEBDIR' (the package test builds it; run ctest, which orders the two)"
mkdir -p "$WORK"

# --- the patched hypervisor (cached by scripts/build-xen.sh) ------------------------
log "building the patched hypervisor, release config (scripts/build-xen.sh)"
XEN=$("$REPO/scripts/build-xen.sh" --config release 2>"$WORK/build-xen.log" | tail -1)
if [ -z "$XEN" ] || [ ! -f "$XEN" ]; then
	grep -q "cannot download\|apt-get update (deb-src) failed" "$WORK/build-xen.log" &&
		skip "cannot fetch Debian's Xen source: $(tail -1 "$WORK/build-xen.log")"
	tail -20 "$WORK/build-xen.log"
	fail "scripts/build-xen.sh --config release failed"
fi

# --- the dom0 root filesystem --------------------------------------------------------
# The host's own apt sources (deb822 and classic), so it works behind a local mirror.
SRCS=""
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
	[ -s "$f" ] && grep -qv '^[[:space:]]*\(#\|$\)' "$f" && SRCS="$SRCS $f"
done
[ -n "$SRCS" ] || skip "no apt sources on this host to build the dom0 from"
# numaflip's own dependencies go in beforehand: the .deb is installed offline in dom0.
DEPS=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/[[:space:]]//g' | grep . | sort -u | tr '\n' ',')
PKGS="systemd-sysv,udev,dbus,kmod,procps,linux-image-amd64,initramfs-tools,xen-utils-4.17,xen-utils-common,xenstore-utils,${DEPS%,}"
# shellcheck disable=SC2086
KEY=$({ echo "$RECIPE $PKGS"; cat $SRCS; } | md5sum | cut -c1-12)
BASE=$WORK/base-$KEY
if [ ! -f "$BASE.img" ]; then
	log "building the dom0 root filesystem with mmdebstrap (cached as $BASE.img)"
	rm -rf "$WORK"/base-* "$BASE.dir"
	# shellcheck disable=SC2086
	if ! mmdebstrap --variant=minbase --mode=root --aptopt='APT::Install-Recommends "false"' \
		--include="$PKGS" \
		--customize-hook='echo nfdom0 >"$1/etc/hostname"' \
		--customize-hook='echo "/dev/vda / ext4 defaults 0 1" >"$1/etc/fstab"' \
		bookworm "$BASE.dir" $SRCS >"$WORK/mmdebstrap.log" 2>&1; then
		tail -5 "$WORK/mmdebstrap.log"
		rm -rf "$BASE.dir"
		grep -qi "could not resolve\|failed to fetch\|unable to connect\|temporary failure" "$WORK/mmdebstrap.log" &&
			skip "cannot reach the Debian mirrors: $(grep -i -m1 'fetch\|resolve\|connect' "$WORK/mmdebstrap.log")"
		fail "mmdebstrap failed (see $WORK/mmdebstrap.log)"
	fi
	cp -L "$BASE.dir"/boot/vmlinuz-* "$BASE.vmlinuz" && cp -L "$BASE.dir"/boot/initrd.img-* "$BASE.initrd" ||
		fail "no kernel or initramfs in the dom0 root filesystem"
	mkfs.ext4 -q -F -L nfroot -d "$BASE.dir" "$BASE.img.tmp" 3G >"$WORK/mkfs.log" 2>&1 ||
		fail "mkfs.ext4 -d failed: $(tail -2 "$WORK/mkfs.log")"
	mv "$BASE.img.tmp" "$BASE.img"
	rm -rf "$BASE.dir"
fi

# --- this run's disk: the base, the .deb, the scenario and its unit ------------------
U=$WORK/domU-root
rm -rf "$U" && mkdir -p "$U/bin" "$U/proc" "$U/sys" "$U/dev"
cp /bin/busybox "$U/bin/" && cp "$HERE/domU-init.sh" "$U/init" && chmod +x "$U/init"
(cd "$U" && find . | cpio -o -H newc --quiet | gzip -1) >"$WORK/domU.cpio.gz"
cat >"$WORK/nf-e2e.service" <<UNIT
[Unit]
Description=numaflip E2E: the service as an operator runs it
After=multi-user.target xen.service

[Service]
Type=oneshot
ExecStart=/bin/sh /nf/systemd-scenario.sh
ExecStopPost=/bin/sh -c 'echo NF-DONE >/dev/hvc0'
StandardOutput=tty
StandardError=tty
TTYPath=/dev/hvc0
TimeoutStartSec=infinity
UNIT
IMG=$WORK/dom0.img
cp --sparse=always "$BASE.img" "$IMG"
debugfs -w -f - "$IMG" >"$WORK/debugfs.log" 2>&1 <<CMDS
mkdir /nf
write $deb /nf/$(basename "$deb")
write $HERE/systemd-scenario.sh /nf/systemd-scenario.sh
write $HERE/lib.sh /nf/lib.sh
write $WORK/domU.cpio.gz /nf/domU.cpio.gz
write $WORK/nf-e2e.service /etc/systemd/system/nf-e2e.service
mkdir /etc/systemd/system/multi-user.target.wants
symlink /etc/systemd/system/multi-user.target.wants/nf-e2e.service /etc/systemd/system/nf-e2e.service
CMDS
debugfs -R "ls -l /nf" "$IMG" 2>/dev/null | grep -q systemd-scenario.sh || fail "cannot write the scenario into the disk image: $(tail -3 "$WORK/debugfs.log")"

# --- the boot ---------------------------------------------------------------------
out=$WORK/boot.log
rm -f "$out"
log "booting the patched Xen with a systemd dom0 under QEMU (TCG, 2 NUMA nodes), log: $out"
qemu_xen "$out" "$XEN" \
	"$BASE.vmlinuz root=/dev/vda rw console=hvc0 earlyprintk=xen systemd.mask=serial-getty@hvc0.service,$BASE.initrd" \
	-drive "file=$IMG,if=virtio,format=raw,cache=unsafe"
t=0
done=0
while [ $t -lt "$TIMEOUT" ]; do
	sleep 5
	t=$((t + 5))
	grep -q "^NF-DONE" "$out" 2>/dev/null && { done=1; break; }
	kill -0 $qpid 2>/dev/null || break
	grep -q "Panic on CPU\|Kernel panic" "$out" 2>/dev/null && break
done
kill $qpid 2>/dev/null
wait $qpid 2>/dev/null
[ $done = 1 ] && log "boot done in ${t}s"

# --- report -------------------------------------------------------------------------
pass=0 failn=0 skipn=0
verdict() { # VERDICT LINE
	echo "$1 [systemd] $2"
	case $1 in PASS) pass=$((pass + 1)) ;; SKIP) skipn=$((skipn + 1)) ;; *) failn=$((failn + 1)) ;; esac
}
if ! grep -q "^NF-SCENARIO-COMPLETE" "$out" 2>/dev/null; then
	grep -q "NF-RESULT" "$out" 2>/dev/null || tail -30 "$out" 2>/dev/null
	verdict FAIL "scenario: the dom0 did not run it to its end within ${TIMEOUT}s (see $out)"
fi
tr -d '\r' <"$out" | grep "^NF-RESULT " >"$WORK/results"
while read -r _ v rest; do verdict "$v" "$rest"; done <"$WORK/results"
# The metrics the dom0 printed, through promtool here.
for what in file ctl; do
	tr -d '\r' <"$out" | sed -n "/^NF-METRICS-BEGIN $what\$/,/^NF-METRICS-END\$/p" | sed '1d;$d' >"$WORK/metrics-$what.prom"
	if ! command -v promtool >/dev/null; then
		verdict SKIP "systemd-promtool-$what: promtool is not installed (Debian's prometheus package)"
	elif [ ! -s "$WORK/metrics-$what.prom" ]; then
		verdict FAIL "systemd-promtool-$what: the dom0 printed no metrics ($what)"
	elif msg=$(promtool check metrics <"$WORK/metrics-$what.prom" 2>&1); then
		verdict PASS "systemd-promtool-$what: promtool check metrics accepts $(grep -c '^numaflip_' "$WORK/metrics-$what.prom") samples${msg:+ ($msg)}"
	else
		verdict FAIL "systemd-promtool-$what: $(echo "$msg" | head -3 | tr '\n' ' ')"
	fi
done
echo "$pass passed, $failn failed, $skipn skipped"
[ $failn = 0 ] && [ $pass -gt 0 ]
