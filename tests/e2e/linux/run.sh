#!/bin/sh
# Linux E2E: boots Debian's kernel with two NUMA nodes under QEMU (TCG) and runs scenario.sh in it.
# Usage: run.sh BINDIR (numaflipd, numaflipctl, nf-workload). Exits 77 with a reason where it
# cannot run: no qemu-system-x86_64, kernel, static busybox, numactl, numad or jq.
set -eu

BIN=${1:?usage: run.sh BINDIR}
HERE=$(cd "$(dirname "$0")" && pwd)
# What the scenario runs: main (the E2E) or bench NAME (bench/linux-*.sh).
MODE=${NF_E2E_LINUX_MODE:-e2e}
TIMEOUT=${NF_E2E_LINUX_TIMEOUT:-600}

skip() {
        echo "SKIP: e2e_linux: $*"
        exit 77
}

for t in qemu-system-x86_64 cpio gzip numactl migratepages numad jq ldd timeout; do
        command -v "$t" >/dev/null 2>&1 || skip "$t is missing (scripts/deps.sh installs it)"
done
[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 ||
        skip "no static /bin/busybox (package busybox-static)"
VMLINUZ=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
[ -n "$VMLINUZ" ] && [ -r "$VMLINUZ" ] || skip "no readable /boot/vmlinuz-* (package linux-image-amd64)"
for b in numaflipd numaflipctl nf-workload; do
        [ -x "$BIN/$b" ] || skip "$BIN/$b is not built"
done

WORK=$(mktemp -d /tmp/nf-e2e-linux.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
R=$WORK/root
mkdir -p "$R/bin" "$R/usr/bin" "$R/proc" "$R/sys" "$R/dev" "$R/tmp" "$R/run" "$R/etc"

# Programs and every library they load, at the paths the loader looks for them.
cp /bin/busybox "$R/bin/busybox"
for a in $(/bin/busybox --list); do
        [ -e "$R/bin/$a" ] || ln -s busybox "$R/bin/$a"
done
progs="$BIN/numaflipd $BIN/numaflipctl $BIN/nf-workload $(command -v numactl)
 $(command -v migratepages) $(command -v numad) $(command -v jq)"
# The benches' probes, where the build has them (bench/linux-migrate.sh).
for b in nf-observe ctl-load; do
        [ -x "$BIN/$b" ] && progs="$progs $BIN/$b"
done
for p in $progs; do
        cp "$p" "$R/usr/bin/"
        ldd "$p" | awk '/=> \//{print $3} /^[ \t]*\/lib/{print $1}' | while read -r lib; do
                mkdir -p "$R$(dirname "$lib")"
                [ -e "$R$lib" ] || cp -L "$lib" "$R$lib"
        done
done
mkdir -p "$R/lib64"
[ -e "$R/lib64/ld-linux-x86-64.so.2" ] || cp -L /lib64/ld-linux-x86-64.so.2 "$R/lib64/"
cp "$HERE/scenario.sh" "$R/scenario.sh"
[ -n "${NF_E2E_LINUX_EXTRA:-}" ] && cp "$NF_E2E_LINUX_EXTRA" "$R/extra.sh"
cat >"$R/init" <<INIT
#!/bin/sh
export PATH=/usr/bin:/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t tmpfs run /run
sh /scenario.sh $MODE
echo "NF-E2E-EXIT \$?"
poweroff -f
INIT
chmod +x "$R/init"
(cd "$R" && find . | cpio -o -H newc --quiet | gzip -1) >"$WORK/initramfs.cpio.gz"

# Two nodes of 1 GiB, one CPU each: node 0 is CPU 0, node 1 is CPU 1. This is a heavy job: on a
# shared machine run the whole script under flock /tmp/nf-heavy.lock (CI runs alone).
echo "==> booting $VMLINUZ with two NUMA nodes (TCG), scenario $MODE"
start=$(date +%s)
set +e
timeout "$TIMEOUT" qemu-system-x86_64 -accel tcg,thread=multi -cpu max \
        -m 2G -smp 2 -object memory-backend-ram,id=m0,size=1G \
        -object memory-backend-ram,id=m1,size=1G -numa node,nodeid=0,cpus=0,memdev=m0 \
        -numa node,nodeid=1,cpus=1,memdev=m1 -kernel "$VMLINUZ" \
        -initrd "$WORK/initramfs.cpio.gz" -append "console=ttyS0 panic=-1 quiet" \
        -display none -serial stdio -monitor none -no-reboot </dev/null >"$WORK/console.log" 2>&1
qrc=$?
set -e
tr -d '\r' <"$WORK/console.log" | grep -E '^(NF-|nf-|BENCH|  )' || true
echo "==> QEMU exited $qrc after $(($(date +%s) - start)) s"
if [ -n "${NF_E2E_LINUX_LOG:-}" ]; then cp "$WORK/console.log" "$NF_E2E_LINUX_LOG"; fi
if ! grep -q '^NF-E2E-EXIT' "$WORK/console.log"; then
        echo "FAIL: e2e_linux: the guest did not finish (QEMU rc $qrc); last lines:"
        tail -n 30 "$WORK/console.log"
        exit 1
fi
if grep -q '^NF-E2E FAIL' "$WORK/console.log" || ! grep -q '^NF-E2E-EXIT 0' "$WORK/console.log"; then
        echo "FAIL: e2e_linux"
        exit 1
fi
echo "PASS: e2e_linux ($(grep -c '^NF-E2E PASS' "$WORK/console.log") checks)"
