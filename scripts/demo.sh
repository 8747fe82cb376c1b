#!/usr/bin/env bash
# Installs what is needed, builds numaflip, and runs numaflipd on the simulated NUMA
# host of etc/examples/sim-demo.conf (60x real time), showing its live status until Ctrl-C.
# NF_DEMO_SECONDS=N stops it by itself after N seconds; NF_SKIP_DEPS=1 skips apt.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

if [ "${NF_SKIP_DEPS:-0}" != 1 ]; then
        bash scripts/deps.sh
fi
echo "==> building"
cmake -S "$ROOT" -B build/demo -DBUILD_TESTING=OFF >build/demo.configure.log 2>&1 ||
        { cat build/demo.configure.log; exit 1; }
cmake --build build/demo -j "$(nproc)" >build/demo.build.log 2>&1 ||
        { tail -n 40 build/demo.build.log; exit 1; }

RUN=$(mktemp -d /tmp/numaflip-demo.XXXXXX)
SOCK="$RUN/numaflipd.sock"
LOG="$RUN/numaflipd.log"
CTL="$ROOT/build/demo/bin/numaflipctl"
"$ROOT/build/demo/bin/numaflipd" -f -c "$ROOT/etc/examples/sim-demo.conf" -s "$SOCK" >"$LOG" 2>&1 &
DAEMON=$!
stop() {
        kill "$DAEMON" 2>/dev/null && wait "$DAEMON" 2>/dev/null
        echo
        echo "numaflipd stopped. Its log: $LOG"
}
trap stop EXIT
for _ in $(seq 100); do
        "$CTL" -s "$SOCK" version >/dev/null 2>&1 && break
        kill -0 "$DAEMON" 2>/dev/null || { cat "$LOG"; exit 1; }
        sleep 0.05
done

cat <<EOM
numaflipd runs on a simulated host: the control domain on node 0 flips packets into
guests on node 1, so their memory drifts to node 0; numaflipd moves it back (web1 and
legacy-pv by threshold, db1 periodically; legacy-pv is a PV guest it can only watch).
One minute here is an hour of the host's life. From another terminal:
  $CTL -s $SOCK vm web1
  $CTL -s $SOCK pause web1     (and watch its remote share grow)
  $CTL -s $SOCK --help
EOM
sleep 3
if [ -n "${NF_DEMO_SECONDS:-}" ]; then
        timeout -s INT "$NF_DEMO_SECONDS" "$CTL" -s "$SOCK" status --watch 1 || true
else
        "$CTL" -s "$SOCK" status --watch 1 || true
fi
