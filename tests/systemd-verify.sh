#!/bin/sh
# Checks the systemd unit with systemd-analyze verify; skips where systemd is absent.
unit=$1
if ! command -v systemd-analyze >/dev/null 2>&1; then
        echo "SKIP: systemd-analyze is not installed (apt-get install systemd)"
        exit 77
fi
# The man pages are checked where they are installed, not here.
out=$(systemd-analyze verify --man=no "$unit" 2>&1)
rc=$?
echo "$out"
# verify also complains about unrelated units on the host; only ours counts.
if [ $rc -ne 0 ] || echo "$out" | grep -q "numaflipd.service"; then
        echo "FAIL: systemd-analyze verify $unit"
        exit 1
fi
echo "PASS: systemd-analyze verify $unit"
