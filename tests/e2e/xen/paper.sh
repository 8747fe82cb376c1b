#!/bin/sh
# Runs in the E2E dom0 on the patched hypervisor: the paper's experiment, live, under numaflipd.
# Usage: paper.sh LABEL FLIPS RATE.  Flips go into a PVH domU homed on node 1 while dom0's
# frames are on node 0, three times, each into a fresh domU: (a) the daemon in monitor mode
# without pools, (b) with a dynamic flip pool, (c) with threshold migration and no pool.
# Prints "NF-RESULT PASS|FAIL label: detail" lines and one "NF-PAPER run share ..." line a run.
label=$1
flips=${2:-8192}
rate=${3:-512}
NFD=/nf/numaflipd
FL=/nf/numaflip-flipload
SOCK=/run/nf-paper.sock
CTL="/nf/numaflipctl -s $SOCK -t 30s"
LOGS=/var/log/xen/console
THRESHOLD=0.05
POOL_SIZE=256
. /nf/lib.sh

result() { echo "NF-RESULT $1 $label-$2: $3"; }
# died NAME WHEN: a PVH domU that died under the emulator (as they do here on the stock
# hypervisor too, see tests/e2e/xen/README.md): the environment's, with its first fault.
envskip=""
died() {
	fault=$(grep -m1 -E "BUG:|Oops|general protection|double fault|Kernel panic" "$LOGS/guest-$1.log" | cut -c1-120)
	result SKIP "$1" "environment: the PVH domU $2 under QEMU TCG: ${fault:-no fault line}"
	envskip="$envskip $1"
}
pool_get() { # KEY: node 1's pool counter KEY, as the daemon reports it
	$CTL --json pool | sed -n "s/.*{\"node\":1,[^{]*\"$1\":\([0-9]*\).*/\1/p"
}
crashed() { st=$(xl list "$1" 2>/dev/null | tail -1 | awk '{print $5}'); case $st in *c*|"") return 0 ;; esac; return 1; }

# run NAME: one run with the [vm NAME] and [pool] sections in /tmp/NAME.sections, and
# flipload's extra options in FLARGS. Sets share (final), share0, smax, pmax, pend, moved,
# and reloads: the daemon is sent SIGHUP halfway through the flips.
run() {
	name=$1
	share="" share0="" smax=0 pmax=0 pend="" moved="" reloads=""
	cat >/tmp/$name.cfg <<CFG
name = "$name"
type = "pvh"
memory = 128
vcpus = 1
cpus = "2"
kernel = "/boot/vmlinuz"
ramdisk = "/boot/domU.cpio.gz"
extra = "console=hvc0"
on_crash = "preserve"
CFG
	# Node 1's CPU only: Xen derives the node affinity from it and builds the domU there.
	if ! xl create /tmp/$name.cfg >/tmp/$name.create 2>&1; then
		result FAIL "$name" "xl create failed: $(tail -2 /tmp/$name.create | tr '\n' ' ')"
		return 1
	fi
	if ! until_true 120 grep -q "nf-domU: up" "$LOGS/guest-$name.log"; then
		if crashed "$name"; then
			died "$name" "died while it booted, before any flip"
		else
			result FAIL "$name" "the domU did not come up: $(tail -3 "$LOGS/guest-$name.log" | tr '\n' ' ')"
		fi
		xl destroy "$name"
		return 1
	fi
	# Each flip leaves the domU one page bigger (it gets the packet's frame; the frame
	# it gives back was set aside for that): room for all of them.
	xl mem-max "$name" $((128 + flips / 256 + 8))m
	cat >/run/$name.conf <<CFG
[daemon]
backend = xen
socket = $SOCK
poll = 1s
log_level = info
[defaults]
mode = monitor
$(cat /tmp/$name.sections)
CFG
	$NFD -f -c /run/$name.conf >/run/$name.log 2>&1 &
	nfpid=$!
	if ! until_true 30 listed "$name"; then
		result FAIL "$name" "numaflipd does not list $name: $(tail -3 /run/$name.log | tr '\n' ' ')"
		kill $nfpid
		xl destroy "$name"
		return 1
	fi
	sleep 2
	share0=$(jget "$name" remote_share)
	pages0=$(jget "$name" total_pages)
	id=$(xl domid "$name")
	# shellcheck disable=SC2086
	$FL -d "$id" -n "$flips" -r "$rate" -q $FLARGS >/tmp/$name.fl 2>&1 &
	flpid=$!
	t=0
	while kill -0 $flpid 2>/dev/null; do
		sleep 2
		t=$((t + 2))
		s=$(jget "$name" remote_share)
		p=$(pool_get target_pages)
		below "$s" "$smax" || smax=$s
		[ -n "$p" ] && [ "$p" -gt "$pmax" ] && pmax=$p
		echo "paper $name t=${t}s remote_share=$s pool_target=${p:--}"
		[ $t = 8 ] && kill -HUP $nfpid
	done
	wait $flpid
	flrc=$?
	# Two polls after the last flip, so the daemon has seen them all (and acted).
	sleep 3
	share=$(jget "$name" remote_share)
	below "$share" "$smax" || smax=$share
	if [ -n "$(pool_get target_pages)" ] && [ "$pmax" -gt 0 ]; then
		# No more flips: the pool shrinks, a step an interval.
		sleep 8
		pend=$(pool_get target_pages)
	fi
	moved=$(jget "$name" pages_moved)
	reloads=$($CTL --json status | sed -n 's/.*"reloads":\([0-9]*\).*/\1/p')
	echo "paper $name: flipload rc $flrc: $(tr '\n' ' ' </tmp/$name.fl)"
	$CTL vm "$name" | grep -i "migrat\|moved\|pool\|error" | head -8
	dead=0
	crashed "$name" && dead=1
	kill $nfpid
	until_true 10 sh -c "! kill -0 $nfpid 2>/dev/null" || result FAIL "$name" "numaflipd did not stop"
	grep -v debug /run/$name.log | grep -i "warn\|error\|refused\|plan" | tail -5
	xl destroy "$name"
	if [ $dead = 1 ]; then
		died "$name" "died during the run"
		return 1
	fi
	if [ $flrc != 0 ] || [ -z "$share" ]; then
		result FAIL "$name" "flipload rc $flrc, share '$share': $(tail -2 /tmp/$name.fl | tr '\n' ' ')"
		return 1
	fi
	echo "NF-PAPER $name share $share start $share0 max $smax pages $pages0 flips $flips"
	return 0
}

# (a) Monitor only: every flip brings a node-0 frame into the domU homed on node 1.
echo "[vm nfpa]" >/tmp/nfpa.sections
FLARGS=""
if run nfpa; then
	want=$(awk -v f="$flips" -v p="$pages0" 'BEGIN { print f / (p + f) / 2 }')
	if below "$want" "$share"; then
		result PASS monitor-climbs "remote share $share0 -> $share after $flips flips (at least $want expected)"
	else
		result FAIL monitor-climbs "remote share $share0 -> $share after $flips flips, expected at least $want"
	fi
fi
sa=$share

# (c) Threshold migration, no pool: the daemon brings it back each time it crosses.
cat >/tmp/nfpc.sections <<CFG
[vm nfpc]
mode = threshold
threshold = 5%
target = 2%
cooldown = 1s
CFG
if run nfpc; then
	if below "$share" "$THRESHOLD"; then
		result PASS threshold-held "remote share $share at the end (highest sampled $smax, threshold $THRESHOLD), $moved pages migrated home"
	else
		result FAIL threshold-held "remote share $share at the end, above the threshold $THRESHOLD (highest sampled $smax)"
	fi
	if [ "${reloads:-0}" -ge 1 ]; then
		result PASS sighup-under-load "reloaded $reloads time(s) by SIGHUP in the middle of the flips and migrations, and answered to the end"
	else
		result FAIL sighup-under-load "SIGHUP in the middle of the load: reloads '${reloads}'"
	fi
fi
sc=$share

# (b) A dynamic pool on node 1: dom0 takes the packets' frames from it, the frames the
# domU gives back refill it. Last: the pool outlives the daemon (as it is meant to).
cat >/tmp/nfpb.sections <<CFG
[vm nfpb]
[pool]
mode = dynamic
size = $POOL_SIZE pages
min = 64 pages
max = 8192 pages
interval = 2s
CFG
FLARGS="-p 1"
if run nfpb; then
	hr=$(sed -n 's/.*hits +\([0-9]*\), misses +\([0-9]*\).*/\1 \2/p' /tmp/nfpb.fl | awk '{ if ($1 + $2) printf "%.3f", $1 / ($1 + $2) }')
	if below "$share" "$(awk -v s="$share0" 'BEGIN { print s + 0.01 }')"; then
		result PASS pool-stays-low "remote share $share0 -> $share after $flips flips from the pool (hit rate ${hr:-?})"
	else
		result FAIL pool-stays-low "remote share $share0 -> $share after $flips flips from the pool (hit rate ${hr:-?})"
	fi
	if [ "$pmax" -gt $POOL_SIZE ] && [ -n "$pend" ] && [ "$pend" -lt "$pmax" ]; then
		result PASS pool-grows-and-shrinks "pool target $POOL_SIZE -> $pmax pages under load -> $pend after it"
	else
		result FAIL pool-grows-and-shrinks "pool target $POOL_SIZE -> $pmax under load -> ${pend:-?} after it"
	fi
fi
sb=$share

if [ -n "$sa" ] && [ -n "$sb" ] && [ -n "$sc" ]; then
	echo "NF-PAPER-TABLE monitor $sa pool $sb threshold $sc"
	if below "$(awk -v b="$sb" 'BEGIN { print b * 10 }')" "$sa" && below "$sc" "$THRESHOLD"; then
		result PASS shares "remote share after $flips flips: monitor $sa, pool $sb, threshold $sc (monitor >= 10 x pool, threshold <= $THRESHOLD)"
	else
		result FAIL shares "remote share after $flips flips: monitor $sa, pool $sb, threshold $sc (want monitor >= 10 x pool, threshold <= $THRESHOLD)"
	fi
elif [ -n "$envskip" ]; then
	result SKIP shares "environment: the domU of$envskip died under QEMU TCG; finished: monitor '${sa}', pool '${sb}', threshold '${sc}'"
else
	result FAIL shares "a run did not finish: monitor '${sa}', pool '${sb}', threshold '${sc}'"
fi
