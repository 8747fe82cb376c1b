#!/bin/sh
# Fetch Debian 12's Xen 4.17 source, apply patches/xen-4.17, build the hypervisor ELF.
#
# Usage: scripts/build-xen.sh [--stock] [--no-deps]
#   --stock    build the unpatched source (like-for-like baseline)
#   --no-deps  do not apt-get install build dependencies
# Env:   NF_XEN_BUILD_DIR  build directory (default: <repo>/build/xen)
#        NF_XEN_VERSION    Debian source version (default: the tested one)
# Prints the path of the built hypervisor ELF on the last line of stdout.
set -eu

XEN_VERSION=${NF_XEN_VERSION:-4.17.5+72-g01140da4e8-1}
REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${NF_XEN_BUILD_DIR:-$REPO/build/xen}
PATCHES=$REPO/patches/xen-4.17
STOCK=0
DEPS=1

for a in "$@"; do
	case $a in
	--stock) STOCK=1 ;;
	--no-deps) DEPS=0 ;;
	-h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "build-xen: unknown argument: $a" >&2; exit 2 ;;
	esac
done

die() { echo "build-xen: $*" >&2; exit 1; }
log() { echo "build-xen: $*" >&2; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

mkdir -p "$BUILD"

if [ $DEPS = 1 ]; then
	missing=
	for t in gcc make flex bison dpkg-source python3; do
		command -v $t >/dev/null 2>&1 || missing=1
	done
	if [ -n "$missing" ]; then
		log "installing build dependencies"
		as_root apt-get update >&2
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y \
			--no-install-recommends build-essential flex bison dpkg-dev \
			python3 >&2
	fi
fi

# The source package, fetched once into the build dir (never the repo tree).
SRCDIR=$BUILD/src
DSC=$SRCDIR/xen_$XEN_VERSION.dsc
if [ ! -f "$DSC" ]; then
	mkdir -p "$SRCDIR"
	# apt only fetches sources it has deb-src indexes for; use a private
	# sources list so the host's apt configuration is left untouched.
	APTDIR=$BUILD/apt
	mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial"
	cat > "$APTDIR/sources.list" <<SRC
deb-src http://deb.debian.org/debian bookworm main
deb-src http://deb.debian.org/debian bookworm-updates main
deb-src http://deb.debian.org/debian-security bookworm-security main
SRC
	APTOPT="-o Dir::Etc::SourceList=$APTDIR/sources.list -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists=$APTDIR/lists -o Dir::Cache=$APTDIR/cache -o Debug::NoLocking=1"
	log "fetching xen source $XEN_VERSION"
	# shellcheck disable=SC2086
	apt-get $APTOPT update >&2 || die "apt-get update (deb-src) failed"
	# shellcheck disable=SC2086
	(cd "$SRCDIR" && apt-get $APTOPT source --download-only "xen=$XEN_VERSION" >&2) ||
		die "cannot download xen source $XEN_VERSION"
fi

# Key the tree on the patch series so a changed patch forces a clean rebuild.
if [ $STOCK = 1 ]; then
	key=stock
else
	[ -f "$PATCHES/series" ] || die "no $PATCHES/series"
	key=$( (cat "$PATCHES/series"; grep -v '^#' "$PATCHES/series" | while read -r p; do
		[ -n "$p" ] && cat "$PATCHES/$p"; done) | sha256sum | cut -c1-16)
fi
TREE=$BUILD/tree-$key
ELF=$TREE/xen/xen-syms
BIN=$TREE/xen/xen
if [ -f "$TREE/.built" ] && [ -f "$ELF" ]; then
	log "reusing build in $TREE"
else
	rm -rf "$TREE" "$TREE.tmp"
	log "unpacking into $TREE"
	dpkg-source --no-check -x "$DSC" "$TREE.tmp" >&2 || die "dpkg-source -x failed"
	if [ $STOCK = 0 ]; then
		grep -v '^#' "$PATCHES/series" | while read -r p; do
			[ -n "$p" ] || continue
			log "applying $p"
			patch -d "$TREE.tmp" -p1 --forward --batch --no-backup-if-mismatch \
				< "$PATCHES/$p" >&2 || die "patch $p does not apply"
		done
	fi
	mv "$TREE.tmp" "$TREE"
	log "building hypervisor"
	make -C "$TREE/xen" -j2 XEN_TARGET_ARCH=x86_64 >"$TREE/build.log" 2>&1 ||
		{ tail -40 "$TREE/build.log" >&2; die "hypervisor build failed (log: $TREE/build.log)"; }
	touch "$TREE/.built"
fi
ln -sfn "$(basename "$TREE")" "$BUILD/$( [ $STOCK = 1 ] && echo stock || echo patched )"
log "hypervisor: $BIN (ELF: $ELF)"
echo "$BIN"
