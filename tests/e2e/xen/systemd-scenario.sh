#!/bin/sh
# Runs in the Debian dom0 of systemd.sh, as a unit under systemd: installs numaflip from its .deb and checks the service as an operator uses it.
# Prints "NF-RESULT PASS|FAIL|SKIP systemd-label: detail" lines, the metrics between
# NF-METRICS-BEGIN/END markers (the host checks them with promtool), and NF-SCENARIO-COMPLETE.
CTL="numaflipctl -t 30s"
CONF=/etc/numaflip/numaflipd.conf
PROM=/var/lib/prometheus/node-exporter/numaflip.prom
. /nf/lib.sh

result() { echo "NF-RESULT $1 systemd-$2: $3"; }
prop() { systemctl show -p "$1" --value numaflipd; }
as() { u=$1; shift; runuser -u "$u" -- "$@"; }
active() { [ "$(systemctl is-active numaflipd)" = active ]; }

echo "== xen.service: $(systemctl is-active xen.service); $(xl info | grep -E '^(xen_version|nr_nodes)' | tr '\n' ' ')"

# A PV domU to look at, from this dom0's own kernel and a busybox initramfs.
cat >/tmp/nfs.cfg <<CFG
name = "nfs"
type = "pv"
memory = 128
vcpus = 1
cpus = "1"
kernel = "$(ls /boot/vmlinuz-* | head -1)"
ramdisk = "/nf/domU.cpio.gz"
extra = "console=hvc0"
CFG
xl create /tmp/nfs.cfg >/tmp/nfs.create 2>&1 ||
	result FAIL domu "xl create failed: $(tr '\n' ' ' </tmp/nfs.create | cut -c1-400)"

# --- install, as an operator would ----------------------------------------------
cd /nf || exit 0
if apt-get install -y ./numaflip_*.deb >/tmp/apt.log 2>&1; then
	result PASS install "apt-get install ./$(ls numaflip_*.deb): /usr/sbin/numaflipd $([ -x /usr/sbin/numaflipd ] && echo present), unit $(systemctl is-enabled numaflipd), $(grep -c '^backend = auto$' $CONF) 'backend = auto' in $CONF, group $(getent group numaflip | cut -d: -f1)"
else
	result FAIL install "apt-get install failed: $(tail -5 /tmp/apt.log | tr '\n' ' ')"
	echo "NF-SCENARIO-COMPLETE"
	exit 0
fi
if man -w 5 numaflipd.conf >/dev/null 2>&1 || [ -f /usr/share/man/man5/numaflipd.conf.5.gz ]; then
	result PASS man-page "numaflipd.conf(5) installed: /usr/share/man/man5/numaflipd.conf.5.gz"
else
	result FAIL man-page "no numaflipd.conf(5)"
fi
case " $(prop After) " in
*" xen.service "*) result PASS ordered-after-xen "numaflipd.service is ordered after xen.service (xenstored, xenfs)" ;;
*) result FAIL ordered-after-xen "After= lacks xen.service: $(prop After)" ;;
esac

# The package started it; start it again from stopped, as the operator's own step.
systemctl stop numaflipd
sed -i 's|^;metrics_file = |metrics_file = |' $CONF
mkdir -p /var/lib/prometheus/node-exporter
useradd -m -G numaflip alice
useradd -m bob
t0=$(date +%s)
if systemctl start numaflipd && active; then
	# Type=notify: "active" only once the daemon said READY=1; its STATUS= is shown too.
	result PASS start "active in $(($(date +%s) - t0)) s, Type=$(prop Type), READY received: status '$(prop StatusText)'"
else
	result FAIL start "systemctl start: $(systemctl is-active numaflipd); $(journalctl -u numaflipd -n 5 --no-pager | tr '\n' ' ')"
fi

# --- the socket: a member of numaflip steers it, anyone else is refused -----------
until_true 20 sh -c "runuser -u alice -- $CTL status | grep -q ' nfs '"
if as alice $CTL status | grep -q " nfs "; then
	result PASS member-status "alice (group numaflip): $(as alice $CTL status | grep ' nfs ' | tr -s ' ')"
else
	result FAIL member-status "alice's status: $(as alice $CTL status 2>&1 | tr '\n' ' ' | cut -c1-300)"
fi
if out=$(as alice $CTL pause nfs 2>&1) && as alice $CTL --json vm nfs | grep -q '"paused":true'; then
	result PASS member-pause "alice: numaflipctl pause nfs: '$out', and nfs is paused"
else
	result FAIL member-pause "alice: numaflipctl pause nfs: $out"
fi
if out=$(as bob $CTL pause nfs 2>&1); then
	result FAIL other-refused "bob (not in numaflip) paused nfs: $out"
else
	result PASS other-refused "bob (not in numaflip): $out"
fi
as alice $CTL resume nfs >/dev/null

# --- reload with a broken config: refused, old config kept, error with file:line --
cp $CONF /tmp/good.conf
pid=$(prop MainPID)
echo "poll = soon" >>$CONF
since=$(date '+%Y-%m-%d %H:%M:%S')
systemctl reload numaflipd
sleep 3
err=$(journalctl -u numaflipd --since "$since" --no-pager -o cat | grep -m1 "numaflipd.conf:[0-9]")
if active && [ "$(prop MainPID)" = "$pid" ] && [ -n "$err" ] && as alice $CTL status >/dev/null; then
	result PASS reload-broken "still active (pid $pid), old configuration kept; journal: $err"
else
	result FAIL reload-broken "active: $(systemctl is-active numaflipd), pid $pid -> $(prop MainPID), journal: '$err'"
fi
cp /tmp/good.conf $CONF
systemctl reload numaflipd

# --- metrics: the file for node-exporter, and numaflipctl metrics ----------------
if until_true 20 test -s $PROM; then
	result PASS metrics-file "$PROM written: $(grep -c '^numaflip_' $PROM) samples"
	echo "NF-METRICS-BEGIN file"
	cat $PROM
	echo "NF-METRICS-END"
else
	result FAIL metrics-file "$PROM not written: $(journalctl -u numaflipd -n 3 --no-pager -o cat | tr '\n' ' ')"
fi
echo "NF-METRICS-BEGIN ctl"
as alice $CTL metrics
echo "NF-METRICS-END"

# --- the watchdog: a stopped daemon is killed and started again ------------------
n0=$(prop NRestarts)
wds=$(systemctl show -p WatchdogUSec --value numaflipd)
pid=$(prop MainPID)
t0=$(date +%s)
kill -STOP "$pid"
restarted() { [ "$(prop NRestarts)" -gt "$n0" ] && active && [ "$(prop MainPID)" != "$pid" ]; }
if until_true 90 restarted; then
	dt=$(($(date +%s) - t0))
	# WatchdogSec=30s, RestartSec=5s, and a margin for an emulated host.
	if [ $dt -le 50 ]; then
		result PASS watchdog "SIGSTOPped pid $pid: killed and restarted as pid $(prop MainPID) after $dt s (WatchdogSec $wds, RestartSec 5s); $(journalctl -u numaflipd --no-pager -o cat | grep -m1 -i watchdog)"
	else
		result FAIL watchdog "restarted only after $dt s (WatchdogSec $wds)"
	fi
else
	result FAIL watchdog "not restarted within 90 s of SIGSTOP: $(systemctl is-active numaflipd), restarts $(prop NRestarts)"
fi

# --- hardening score, and a clean stop -------------------------------------------
score=$(systemd-analyze security --no-pager numaflipd 2>&1 | grep "Overall exposure level")
if [ -n "$score" ]; then
	result PASS security-score "systemd-analyze security: ${score#*: }"
	systemd-analyze security --no-pager numaflipd 2>&1 | grep -E "^ *✗" | head -25
else
	result FAIL security-score "systemd-analyze security printed no score"
fi
if systemctl stop numaflipd && [ "$(systemctl is-active numaflipd)" = inactive ] &&
	[ "$(prop Result)" = success ] && [ "$(prop ExecMainStatus)" = 0 ]; then
	result PASS stop "inactive, result success, exit status 0: $(journalctl -u numaflipd -n 3 --no-pager -o cat | tr '\n' ' ' | cut -c1-200)"
else
	result FAIL stop "after stop: $(systemctl is-active numaflipd), result $(prop Result), status $(prop ExecMainStatus)"
fi
xl destroy nfs 2>/dev/null
echo "NF-SCENARIO-COMPLETE"
