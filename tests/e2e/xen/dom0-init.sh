#!/bin/busybox sh
# /init of the E2E dom0: start the Xen toolstack, run the scenario named on the kernel command line.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin:/usr/lib/xen-4.17/bin
export LD_LIBRARY_PATH=/lib/x86_64-linux-gnu
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
# xenconsoled gives each guest console a pty.
mkdir -p /dev/pts
mount -t devpts -o ptmxmode=0666 devpts /dev/pts
[ -e /dev/ptmx ] || ln -s pts/ptmx /dev/ptmx
mkdir -p /run /tmp /var/log/xen/console /var/lib/xen /var/lib/xenstored /var/lock
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mkdir -p /run/xen /run/xenstored /run/lock
ln -sf /run /var/run 2>/dev/null

# The toolstack's kernel interfaces, in dependency order.
for m in xen-privcmd xen-evtchn xenfs xen-gntdev xen-gntalloc; do
	insmod /lib/modules/$m.ko || echo "NF-DOM0: insmod $m failed"
done
mount -t xenfs xenfs /proc/xen

xenstored --pid-file=/run/xenstored.pid
xen-init-dom0 || echo "NF-DOM0: xen-init-dom0 failed"
xenconsoled --log=guest --pid-file=/run/xenconsoled.pid
echo "NF-DOM0-UP"

mode=patched
for a in $(cat /proc/cmdline); do
	case $a in nf_mode=*) mode=${a#nf_mode=} ;; esac
done
sh /nf/scenario.sh "$mode" 2>&1
echo "NF-DONE"
while :; do sleep 3600; done
