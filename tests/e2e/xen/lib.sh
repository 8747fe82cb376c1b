#!/bin/sh
# Shell helpers shared by the dom0 scripts of the Xen E2E (sourced; CTL is the caller's numaflipctl command).

# until_true SECONDS CMD...: 0 once CMD succeeds, checked every second.
until_true() {
	t=$1
	shift
	i=0
	while [ $i -lt "$t" ]; do
		"$@" && return 0
		sleep 1
		i=$((i + 1))
	done
	return 1
}

# below A B: A <= B, as numbers.
below() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'; }

# jget GUEST KEY: a number of the guest's JSON detail.
jget() { $CTL --json vm "$1" | sed -n "s/.*\"$2\":\([0-9.e+-]*\).*/\1/p" | head -1; }

# listed NAME: the daemon's status lists it (quietly false while it is not answering yet).
listed() { $CTL status 2>/dev/null | awk '{print $2}' | grep -qx "$1"; }
