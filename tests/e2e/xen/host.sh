#!/bin/sh
# Host-side pieces the Xen E2E scripts share (sourced): the hypervisor's command line and the QEMU machine.

# Xen's command line: serial console, dom0 on node 0 with room to take frames.
XEN_CMDLINE="console=com1 com1=115200,8n1 dom0_mem=512M,max:544M dom0_nodes=0 loglvl=all guest_loglvl=all noreboot smap=0"

# qemu_xen SERIAL_LOG XEN DOM0_MODULES [QEMU ARGS...]: boots XEN on the two-node machine in
# the background (its pid in qpid); DOM0_MODULES is the multiboot list, "kernel args,initrd".
# One TCG thread: it leaves the other core to the rest of the machine and runs as fast
# here as thread=multi.
qemu_xen() {
	serial=$1 xen=$2 mods=$3
	shift 3
	qemu-system-x86_64 -machine pc -accel tcg,thread=single -cpu max,-rdtscp \
		-m 2G -smp 3 \
		-object memory-backend-ram,id=m0,size=1G -object memory-backend-ram,id=m1,size=1G \
		-numa node,nodeid=0,cpus=0,memdev=m0 -numa node,nodeid=1,cpus=1-2,memdev=m1 \
		-display none -vga none -monitor none -serial "file:$serial" -no-reboot \
		-kernel "$xen" -append "$XEN_CMDLINE" -initrd "$mods" "$@" \
		>"${serial%.log}.qemu.log" 2>&1 &
	# shellcheck disable=SC2034 # the callers wait on it
	qpid=$!
}
