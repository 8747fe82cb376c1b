#!/usr/bin/env bash
# The Debian packages: dpkg-buildpackage -us -uc -b on a copy of the source tree, then
# lintian (no error or warning that debian/*.lintian-overrides does not justify) and a
# look inside: the daemon, the enabled unit, the conffile, the group, the man pages.
# Skips (77) where the Debian tools or the build dependencies are missing.
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
for t in dpkg-buildpackage dh lintian dpkg-checkbuilddeps; do
        if ! command -v "$t" >/dev/null; then
                echo "SKIP: $t is not installed (scripts/deps.sh installs dpkg-dev, debhelper, lintian)"
                exit 77
        fi
done
if ! missing=$(cd "$SRC" && dpkg-checkbuilddeps 2>&1); then
        echo "SKIP: build dependencies missing: $missing"
        exit 77
fi

TMP=$(mktemp -d /tmp/nf-pkg.XXXXXX)
trap '[ -n "${NF_KEEP:-}" ] || rm -rf "$TMP"' EXIT
PASS=0
FAIL=0
check() {
        local what=$1
        shift
        if "$@"; then
                PASS=$((PASS + 1))
                echo "PASS: $what"
        else
                FAIL=$((FAIL + 1))
                echo "FAIL: $what"
        fi
}

# The files a clean clone has (and edits not yet committed), without any build output:
# dpkg-buildpackage writes its results beside the tree, so the tree must be a copy.
TREE="$TMP/numaflip"
mkdir "$TREE"
if git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
        (cd "$SRC" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$TREE")
else
        (cd "$SRC" && tar --exclude=./build -cf - .) | tar -C "$TREE" -xf -
fi

echo "==> dpkg-buildpackage -us -uc -b"
if ! (cd "$TREE" && DEB_BUILD_OPTIONS="parallel=$(nproc)" dpkg-buildpackage -us -uc -b \
        >"$TMP/build.log" 2>&1); then
        tail -n 60 "$TMP/build.log"
        echo "FAIL: dpkg-buildpackage"
        exit 1
fi
echo "PASS: dpkg-buildpackage -us -uc -b"
changes=$(ls "$TMP"/numaflip_*_*.changes)
deb=$(ls "$TMP"/numaflip_*_*.deb)
# Beside their -dbgsym companions.
pkgs=$(cd "$TMP" && ls -- *.deb | grep -v -- -dbgsym_ | sed "s/_.*//" | LC_ALL=C sort | tr "\n" " ")
check "three binary packages: $pkgs" [ "$pkgs" = "numaflip numaflip-flipload numaflip-xen-patches " ]

echo "==> lintian"
lintian --fail-on error,warning --display-info "$changes" >"$TMP/lintian.log" 2>&1
rc=$?
cat "$TMP/lintian.log"
check "lintian: no errors or warnings" [ $rc -eq 0 ]

dpkg-deb -c "$deb" | awk '{print $6}' >"$TMP/files"
for f in ./usr/sbin/numaflipd ./usr/bin/numaflipctl ./etc/numaflip/numaflipd.conf \
        ./lib/systemd/system/numaflipd.service ./usr/share/man/man5/numaflipd.conf.5.gz \
        ./usr/share/man/man8/numaflipd.8.gz ./usr/share/man/man8/numaflipctl.8.gz; do
        check "numaflip ships $f" grep -qx "$f" "$TMP/files"
done
dpkg-deb -e "$deb" "$TMP/control"
check "the config is a conffile" grep -qx /etc/numaflip/numaflipd.conf "$TMP/control/conffiles"
check "postinst creates the numaflip group" grep -q "addgroup --system --quiet numaflip" \
        "$TMP/control/postinst"
check "postinst enables and starts the unit (dh_installsystemd)" \
        sh -c "grep -q 'deb-systemd-helper enable .numaflipd.service' '$TMP/control/postinst' &&
               grep -q 'deb-systemd-invoke .* .numaflipd.service' '$TMP/control/postinst'"
check "Depends come from shlibs (libevent, jansson, inih)" \
        sh -c "dpkg-deb -f '$deb' Depends | grep -q libevent &&
               dpkg-deb -f '$deb' Depends | grep -q libjansson &&
               dpkg-deb -f '$deb' Depends | grep -q libinih"
dpkg-deb -x "$deb" "$TMP/root"
check "the installed config says backend = auto" \
        grep -qx "backend = auto" "$TMP/root/etc/numaflip/numaflipd.conf"
check "the unit runs /usr/sbin/numaflipd on /etc/numaflip/numaflipd.conf" \
        grep -qx "ExecStart=/usr/sbin/numaflipd -f -c /etc/numaflip/numaflipd.conf" \
        "$TMP/root/lib/systemd/system/numaflipd.service"
check "numaflip-xen-patches holds the series" \
        sh -c "dpkg-deb -c '$TMP'/numaflip-xen-patches_*.deb | grep -q 'xen-4.17/series'"
# For the real-systemd dom0 test (tests/e2e/xen/systemd.sh), which installs it.
if [ -n "${NF_DEB_OUT:-}" ] && [ "$FAIL" -eq 0 ]; then
        mkdir -p "$NF_DEB_OUT" && rm -f "$NF_DEB_OUT"/*.deb && cp "$deb" "$NF_DEB_OUT/"
fi
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
