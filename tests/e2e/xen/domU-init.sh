#!/bin/busybox sh
# /init of the E2E domU: busybox, and the memory checker when asked on the command line.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
# A domU asking for a flip-pool frame, which only the control domain may do: the answer
# is on the console before "up".
case " $(cat /proc/cmdline) " in
*" nf_flippool_perm=1 "*) insmod /lib/modules/xen-privcmd.ko unrestricted=1 && /bin/nf-flippool-perm ;;
esac
echo "nf-domU: up ($(uname -r))"
case " $(cat /proc/cmdline) " in
*" nf_memcheck=1 "*) /bin/nf-memcheck 32 & ;;
esac
while :; do sleep 3600; done
