#!/bin/sh
# Runs in the E2E dom0: creates PV/PVH domUs and runs the numaflip checks against the booted hypervisor.
# Usage: scenario.sh stock|patched.  Prints "NF-RESULT PASS|FAIL|SKIP label: detail" lines.
mode=$1
FL=/nf/numaflip-flipload
LOGS=/var/log/xen/console

result() { echo "NF-RESULT $1 $2: $3"; }

# Run a check; a crash (no verdict of its own) is a failure, not a silence.
C() {
	/nf/nf-xen-check "$@"
	rc=$?
	if [ $rc -gt 2 ]; then
		case $1 in counts|pool-set) ;; *) result FAIL "$2" "nf-xen-check $1 exited with status $rc" ;; esac
	fi
	return $rc
}

# wait_for FILE PATTERN SECONDS: 0 once FILE contains PATTERN.
wait_for() {
	i=0
	while [ $i -lt "$3" ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 1
		i=$((i + 1))
	done
	return 1
}

passes() { n=$(grep -c "nf-memcheck: pass .* ok" "$LOGS/guest-$1.log" 2>/dev/null); echo "${n:-0}"; }
guest_crashed() { # name: 0 if the domain is crashed or gone
	st=$(xl list "$1" 2>/dev/null | tail -1 | awk '{print $5}')
	case $st in *c*|"") return 0 ;; esac
	return 1
}


# died LABEL NAME: a PVH guest that died under the emulator.  It dies on the
# stock hypervisor too, with no migration and no pause (an interrupt taken in
# user mode double-faults in the guest's entry code), so a death is recorded
# as the environment's, with the guest's last words; a corruption report
# before it is still a failure.
died() {
	if grep -q "nf-memcheck: CORRUPT" "$LOGS/guest-$2.log" 2>/dev/null; then
		result FAIL "$1" "the guest reported corrupt memory before it died"
	else
		result SKIP "$1" "environment: the PVH guest died under QEMU TCG (as it does on the stock hypervisor); its memory checker reported no corruption"
	fi
	# What killed it, first: the kind of fault and where, then the last words.
	grep -m4 -E "BUG:|Oops|general protection|double fault|stack guard|traps:" "$LOGS/guest-$2.log"
	grep -E "RIP:|Kernel panic|CORRUPT" "$LOGS/guest-$2.log" | tail -4
}

# faulted LABEL NAME: a PVH guest whose kernel faulted under the emulator before
# it was migrated: recorded as the environment's with the fault's first lines,
# unless its memory checker had reported corruption.
faulted() {
	if grep -q "nf-memcheck: CORRUPT" "$LOGS/guest-$2.log" 2>/dev/null; then
		result FAIL "$1" "the guest reported corrupt memory before its kernel faulted"
	else
		result SKIP "$1" "environment: the PVH guest's kernel faulted under QEMU TCG before it was migrated ($(grep -m1 -E 'WARNING:|BUG:|Oops|RIP: 0010' "$LOGS/guest-$2.log" | cut -c1-120)); nothing of it had moved"
	fi
}

mkcfg() { # name type memory maxmem cpus extra
	cat > /tmp/$1.cfg <<CFG
name = "$1"
type = "$2"
memory = $3
maxmem = $4
vcpus = 1
cpus = "$5"
cpus_soft = "$5"
kernel = "/boot/vmlinuz"
ramdisk = "/boot/domU.cpio.gz"
extra = "console=hvc0 $6"
on_crash = "preserve"
CFG
}

create() { # name [xl create options]
	n=$1
	shift
	if ! xl create "$@" /tmp/$n.cfg >/tmp/$n.create 2>&1; then
		cat /tmp/$n.create
		return 1
	fi
	return 0
}

boot_domu() { # name
	create "$1" || return 1
	wait_for "$LOGS/guest-$1.log" "nf-domU: up" 120
}

# CPUs: 0 is node 0 (dom0), 1 and 2 are node 1 (1: the PV domU, 2: the PVH
# domU).  Under QEMU TCG, a PV domain intermittently saw wrong memory
# contents while a PVH guest shared its CPU, with the stock hypervisor too,
# so the PVH guest gets a CPU of its own.
PVH_CPU=2
cpu_of_node() { [ "$1" = 0 ] && echo 0 || echo $PVH_CPU; }

# pause_stress LABEL NAME: pause/unpause a running guest 20 times; it must
# survive and its memory checker keep passing.
pause_stress() {
	b=$(passes "$2")
	k=0
	while [ $k -lt 20 ]; do
		xl pause "$2"; sleep 0.2; xl unpause "$2"; sleep 0.3
		k=$((k + 1))
	done
	sleep 3
	a=$(passes "$2")
	st=$(xl list "$2" 2>/dev/null | tail -1 | awk '{print $5}')
	case $st in
	*c*|"")
		died "$1" "$2"
		tail -25 "$LOGS/guest-$2.log" ;;
	*) if [ "$a" -gt "$b" ]; then
		result PASS "$1" "alive after 20 pauses (state $st), memory checker passes $b -> $a"
	   else
		# Evidence for what stalled: does its vCPU still get CPU time (it spins, or
		# runs without getting anywhere) or none (blocked, waiting for an event)?
		c0=$(xl vcpu-list "$2" | awk 'NR == 2 {print $6}')
		sleep 5
		c1=$(xl vcpu-list "$2" | awk 'NR == 2 {print $6}')
		result FAIL "$1" "memory checker stalled after 20 pauses: passes $b -> $a; vCPU state $(xl vcpu-list "$2" | awk 'NR == 2 {print $5}'), CPU time ${c0}s -> ${c1}s in 5 s"
		tail -15 "$LOGS/guest-$2.log"
		xl dmesg | tail -15
	   fi ;;
	esac
}

# A PVH domU built on node 0 (cpus="0") whose vCPU is re-pinned to node 1
# before it first runs: its memory is then wholly remote.
boot_pvh_remote() { # name
	create "$1" -p || return 1
	xl vcpu-pin "$1" 0 $PVH_CPU $PVH_CPU
	xl unpause "$1"
	wait_for "$LOGS/guest-$1.log" "nf-domU: up" 120
}

# dom0 runs from an initramfs: its page cache is the only copy of every
# binary and library.  Any frame Xen gives away or scrubs while dom0 still
# uses it shows up here.
SUMS=/run/nf-dom0.md5
find /bin/busybox /lib /usr /nf /boot -type f | sort | xargs md5sum >$SUMS 2>/dev/null
integrity() { # label
	if bad=$(md5sum -c $SUMS 2>/dev/null | grep -v ': OK$'); then
		result FAIL "$1" "dom0 files changed in memory: $(echo "$bad" | head -3 | tr '\n' ' ')"
	else
		result PASS "$1" "all $(wc -l <$SUMS) dom0 files intact"
	fi
}

# The heap's scrub backlog (debug key H): an offlined frame left counted as
# dirty keeps the idle scrubbers busy for good.
scrub_backlog() {
	sleep 5
	xl debug-keys H
	echo "scrub backlog: $(xl dmesg | grep 'unscrubbed pages' | tail -2 | tr '\n' ' ')"
}

# bench/xen-paper.sh: the paper's experiment alone, as long as the boot's command line says.
if [ "$mode" = paper ]; then
	flips=8192 rate=512
	for a in $(cat /proc/cmdline); do
		case $a in nf_flips=*) flips=${a#nf_flips=} ;; nf_rate=*) rate=${a#nf_rate=} ;; esac
	done
	sh /nf/paper.sh paper "$flips" "$rate"
	echo "NF-SCENARIO-COMPLETE"
	exit 0
fi
# bench/xen-migrate.sh: the migrate sub-op against dom0's copy, and the cost of observing.
if [ "$mode" = migrate ]; then
	for run in "64 9" "64 0" "256 9"; do
		set -- $run
		C bench-migrate "migrate-$1M-$([ "$2" = 9 ] && echo 2M || echo 4K)" "$1" "$2"
	done
	echo "NF-SCENARIO-COMPLETE"
	exit 0
fi

echo "== xl info -n (hypervisor: $mode)"
xl info -n | sed -n '/^xen_version/p;/^free_memory/p;/^numa_info/,$p'

if [ "$mode" = stock ]; then
	C probe probe-stock absent
	mkcfg nfpv pv 128 192 1 ""
	mkcfg nfpvh pvh 128 128 0 "nf_memcheck=1"
	if boot_domu nfpv; then
		boot_pvh_remote nfpvh || result FAIL stock-domu-pvh "PVH domU did not boot"
		xl debug-keys u
		if xl dmesg | grep -q "Memory location of each domain"; then
			result PASS stock-u-dump "the 'u' dump (the daemon's fallback) lists $(xl dmesg | grep -c 'Domain [0-9]* (total') domain entries"
		else
			result FAIL stock-u-dump "no 'Memory location' block in xl dmesg"
		fi
		d=$(xl domid nfpv)
		if $FL -d "$d" -n 50 -q; then
			result PASS stock-flipload "50 real flips to PV d$d on the stock hypervisor"
		else
			result FAIL stock-flipload "numaflip-flipload failed on the stock hypervisor"
		fi
		# The same flip load as on the patched hypervisor, for comparison.
		/nf/nf-xen-check setmaxmem "$d" $((192 * 1024))
		for k in 1 2 3; do $FL -d "$d" -n 200 -q || result FAIL stock-flipload-$k "flipload failed"; done
		integrity stock-dom0-intact-after-flips
		$FL -d "$d" -n 1 -p 1 -q >/tmp/flp.out 2>&1
		if grep -q "needs the numaflip hypervisor patch" /tmp/flp.out; then
			result PASS stock-flipload-pool "--pool refused cleanly: $(head -1 /tmp/flp.out)"
		else
			result FAIL stock-flipload-pool "unexpected: $(head -1 /tmp/flp.out)"
		fi
	else
		result FAIL stock-domu "PV domU did not boot"
	fi
	sleep 5
	if guest_crashed nfpvh; then
		died stock-pvh-memory-intact nfpvh
	else
		C memlog stock-pvh-memory-intact "$LOGS/guest-nfpvh.log" 3
	fi
	# Pausing a running PVH guest as often as a migration does, on the stock
	# hypervisor: tells the environment's limits from the patch's.
	pause_stress stock-pvh-pause-unpause nfpvh
	integrity stock-dom0-intact
	# The daemon and CLI on this hypervisor (issue 8).
	sh /nf/daemon-scenario.sh stock
	echo "NF-SCENARIO-COMPLETE"
	exit 0
fi

C probe probe-$mode present || exit 0

if [ "$mode" = debug ]; then
	# The debug hypervisor (ASSERTs on) under TCG is slow: only the checks
	# that need no guest boot.
	C compare-u debug-counts-at-rest
	C safety debug-safety 20
	C pool-safety debug-pool-safety 1
	scrub_backlog
	C pool debug-pool-reserve-release 1 8192
	C compare-u debug-counts-at-end
	integrity debug-dom0-intact
	echo "NF-SCENARIO-COMPLETE"
	exit 0
fi

mkcfg nfpv pv 128 192 1 "nf_flippool_perm=1"
mkcfg nfpvh pvh 128 128 0 ""
boot_domu nfpv || result FAIL domu-pv "PV domU did not boot: $(tail -3 /tmp/nfpv.create)"
# XENMEMF_flip_pool from a domU: -EPERM, before any frame is handed out.
# The domU's program first proves its hypercalls reach Xen (a domU's privcmd refuses
# them itself unless loaded unrestricted), so the EPERM is the hypervisor's.
if grep -q "nf-flippool-perm: hypercalls reach Xen" "$LOGS/guest-nfpv.log" 2>/dev/null &&
   fp=$(grep -m1 "nf-flippool-perm: \(refused\|accepted\)" "$LOGS/guest-nfpv.log") &&
   echo "$fp" | grep -q "refused: EPERM"; then
	result PASS flip-pool-domu-eperm "a domU asking for a flip-pool frame: $(echo "$fp" | tr -d '\r')"
else
	fp=$(grep "nf-flippool-perm:" "$LOGS/guest-nfpv.log" 2>/dev/null | tr -d '\r' | tr '\n' ' ')
	result FAIL flip-pool-domu-eperm "a domU asking for a flip-pool frame: ${fp:-no answer on its console}"
fi
boot_pvh_remote nfpvh || result FAIL domu-pvh "PVH domU did not boot: $(tail -3 /tmp/nfpvh.create)"
xl list -n
xl vcpu-list
PV=$(xl domid nfpv 2>/dev/null)
PVH=$(xl domid nfpvh 2>/dev/null)
# libxl caps max_pages at memory + 1 MiB; flips need more headroom.
[ -n "$PV" ] && /nf/nf-xen-check setmaxmem "$PV" $((192 * 1024))

C compare-u counts-at-rest

if [ -n "$PV" ]; then
	# dom0 is confined to node 0 (dom0_nodes=0); the PV domU lives on node 1.
	C flip flipload "$PV" 0 1 "$FL" 200
	C compare-u counts-after-flipload
	integrity dom0-intact-after-flipload
	C migrate-pv migrate-pv-eopnotsupp "$PV"

	xl mem-set nfpv 96
	# Wait for the balloon driver to reach its target.
	i=0
	while [ $i -lt 60 ]; do
		m=$(xl list nfpv | awk 'NR==2{print $3}')
		[ "${m:-999}" -le 98 ] && break
		sleep 1
		i=$((i + 1))
	done
	sleep 2
	echo "nfpv after balloon: $(xl list nfpv | tail -1)"
	C compare-u counts-after-balloon
else
	result SKIP flipload "no PV domU"
fi

C pool pool-reserve-release 1 8192
integrity dom0-intact-after-pool
# The same, as an operator sees it: free memory per node in xl info -n (MiB).
nodefree() { v=$(xl info -n | sed -n '/^numa_info/,$p' | awk -v n="$1:" '$1 == n {print $3; exit}'); echo "${v:-0}"; }
f0=$(nodefree 1); o0=$(nodefree 0)
C pool-set 1 16384
xl info -n | sed -n '/^numa_info/,/^ *1:/p'
f1=$(nodefree 1); o1=$(nodefree 0)
C pool-set 1 0
f2=$(nodefree 1)
echo "xl info -n free MiB: node1 $f0 $f1 $f2, node0 $o0 $o1"
if [ $((f0 - f1)) -ge 62 ] && [ $((f0 - f1)) -le 66 ] && [ $((f2 - f1)) -ge 62 ] &&
   [ $((f2 - f1)) -le 66 ] && [ $((o0 - o1)) -le 2 ] && [ $((o1 - o0)) -le 2 ]; then
	result PASS pool-visible-in-xl-info "64 MiB pool on node 1: xl info -n node 1 free ${f0} -> ${f1} -> ${f2} MiB, node 0 ${o0} -> ${o1} MiB"
else
	result FAIL pool-visible-in-xl-info "64 MiB pool on node 1: xl info -n node 1 free ${f0} -> ${f1} -> ${f2} MiB, node 0 ${o0} -> ${o1} MiB"
fi

# migrate_pvh SUFFIX: move the running PVH domU's memory to its vCPU's node
# while nf-memcheck runs in it.  Returns 2 if the guest died; any other
# problem is reported as a failure.
migrate_pvh() {
	PVH=$(xl domid nfpvh 2>/dev/null)
	log=$LOGS/guest-nfpvh.log
	C counts "$PVH"
	if ! wait_for "$log" "nf-memcheck: pass 2 ok" 180; then
		guest_crashed nfpvh && { tail -30 "$log"; return 2; }
		# The guest's kernel faulted before anything of it was migrated (seen:
		# signal delivery failing in copy_fpstate_to_sigframe under TCG): not the
		# migration's doing, and nothing is left to test on this guest.
		if grep -q -- "---\[ end trace" "$log"; then
			tail -30 "$log"
			return 3
		fi
		result FAIL migrate-pvh$1 "the in-guest memory checker never completed 2 passes"
		tail -30 "$log"
		return 1
	fi
	before=$(passes nfpvh)
	# Memory stays where the domain was built, whatever its vCPU's affinity
	# says; move it to the node its vCPU is pinned to.
	cnt=$(/nf/nf-xen-check counts "$PVH")
	n0=$(echo "$cnt" | sed -n 's/.*node0=\([0-9]*\).*/\1/p')
	n1=$(echo "$cnt" | sed -n 's/.*node1=\([0-9]*\).*/\1/p')
	if [ "${n0:-0}" -ge "${n1:-0}" ]; then from=0 to=1; else from=1 to=0; fi
	c=$(cpu_of_node $to)
	echo "PVH d$PVH memory: $cnt; vCPU on CPU $c (node $to)"
	xl vcpu-pin nfpvh 0 $c $c
	# Big batches: each call pauses the guest once.
	C migrate migrate-pvh-node$from-to-node$to$1 "$PVH" $from $to 8192
	C counts "$PVH"
	want=$((before + 3))
	i=0
	while [ "$(passes nfpvh)" -lt $want ] && [ $i -lt 120 ] && ! guest_crashed nfpvh; do
		sleep 1
		i=$((i + 1))
	done
	tail -3 "$log"
	if guest_crashed nfpvh; then
		echo "PVH guest died; its console:"
		tail -30 "$log"
		return 2
	fi
	C memlog migrate-pvh-memory-intact$1 "$log" $want
	C compare-u counts-after-migrate$1
	integrity dom0-intact-after-migrate$1
	return 0
}

if [ -n "$PVH" ]; then
	# The migration runs on a guest booted for it, once: no second attempt.
	xl destroy nfpvh
	mkcfg nfpvh pvh 128 128 0 "nf_memcheck=1"
	boot_pvh_remote nfpvh || result FAIL migrate-pvh "could not boot the PVH domU"
	migrate_pvh ""
	case $? in
	2) died migrate-pvh nfpvh ;;
	3) faulted migrate-pvh nfpvh ;;
	esac
else
	result SKIP migrate-pvh "no PVH domU"
fi

# Query cost against domain size (it creates and destroys its own domains).
C cost query-cost-64M-vs-512M

# Migrate safety on never-run PVH domains (no guest boot, so cheap on the
# debug hypervisor too): refusals, 2M extents, log-dirty, PoD, -ENOMEM,
# destroy between batches, and the pause bound: a batch's call may take at
# most 20 times the time dom0 needs to copy its 1024 pages.
C safety safety 20
C pool-safety pool-safety 1
scrub_backlog

# A flip receiver destroyed while its pool is enabled.
[ -n "$PV" ] && C pool-destroy pool-receiver-destroyed "$PV" 1
for n in nfpv nfpvh; do xl destroy $n 2>/dev/null; done
sleep 2
[ -n "$PV" ] && C gone destroyed-domain-gone "$PV"
C compare-u counts-after-destroy
integrity dom0-intact-at-end
# The daemon and CLI on this hypervisor (issue 8).
sh /nf/daemon-scenario.sh patched
echo "NF-SCENARIO-COMPLETE"
exit 0
