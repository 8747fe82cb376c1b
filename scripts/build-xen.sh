#!/bin/sh
# Fetch Debian 12's Xen 4.17 source, apply patches/xen-4.17, build the hypervisor ELF.
#
# Usage: scripts/build-xen.sh [--stock] [--no-deps] [--config NAME] [--test]
#   --stock        build the unpatched source (like-for-like baseline)
#   --no-deps      do not apt-get install build dependencies
#   --config NAME  release (default), debug (debug=y: ASSERTs on), pvshim
#                  (pvshim_defconfig) or sharing (CONFIG_MEM_SHARING=y)
#   --test         build all four configurations; print one line per config
# Env:   NF_XEN_BUILD_DIR  build directory (default: <repo>/build/xen)
#        NF_XEN_VERSION    Debian source version (default: the tested one)
#        NF_XEN_PATCHES    patch directory with a series file (default: patches/xen-4.17)
# Prints the path of the built hypervisor on the last line of stdout.
set -eu

XEN_VERSION=${NF_XEN_VERSION:-4.17.5+72-g01140da4e8-1}
REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${NF_XEN_BUILD_DIR:-$REPO/build/xen}
PATCHES=${NF_XEN_PATCHES:-$REPO/patches/xen-4.17}
STOCK=0
DEPS=1
CONFIG=release
TEST=0

while [ $# -gt 0 ]; do
	case $1 in
	--stock) STOCK=1 ;;
	--no-deps) DEPS=0 ;;
	--config)
		[ $# -ge 2 ] || { echo "build-xen: --config needs a name" >&2; exit 2; }
		CONFIG=$2; shift ;;
	--test) TEST=1 ;;
	-h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "build-xen: unknown argument: $1" >&2; exit 2 ;;
	esac
	shift
done
case $CONFIG in
release|debug|pvshim|sharing) ;;
*) echo "build-xen: unknown config: $CONFIG (release, debug, pvshim, sharing)" >&2; exit 2 ;;
esac

die() { echo "build-xen: $*" >&2; exit 1; }
log() { echo "build-xen: $*" >&2; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if [ $TEST = 1 ]; then
	# Every configuration a production build may use must compile and link.
	args=
	[ $STOCK = 1 ] && args="$args --stock"
	[ $DEPS = 0 ] && args="$args --no-deps"
	last=
	for c in release debug pvshim sharing; do
		# shellcheck disable=SC2086
		last=$("$0" $args --config $c | tail -1) || die "config $c failed"
		echo "$c: $last"
	done
	echo "$last"
	exit 0
fi

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

# deb-src entries for the host's own binary sources: deb822 stanzas of
# sources.list.d/*.sources get Types: deb-src, classic "deb" lines become
# "deb-src".  Written to $1 (a sources.list.d directory).
host_deb_src() {
	etc=/etc/apt
	eval "$(apt-config shell etc Dir::Etc/d 2>/dev/null)"
	etc=${etc%/}
	for f in "$etc"/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk 'tolower($1) == "types:" {
			deb = 0; for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1
			print (deb ? "Types: deb-src" : $0); next }
		{ print }' "$f" > "$1/$(basename "$f")"
	done
	for f in "$etc/sources.list" "$etc"/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		sed -n 's/^[[:space:]]*deb\([[:space:]]\)/deb-src\1/p' "$f"
	done > "$1/classic.list"
}

# The source package, fetched once into the build dir (never the repo tree).
SRCDIR=$BUILD/src
DSC=$SRCDIR/xen_$XEN_VERSION.dsc
if [ ! -f "$DSC" ]; then
	mkdir -p "$SRCDIR"
	# apt only fetches sources it has deb-src indexes for; use a private
	# apt state so the host's apt configuration is left untouched.
	APTDIR=$BUILD/apt
	rm -rf "$APTDIR/sources.list.d"
	mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial" "$APTDIR/sources.list.d"
	host_deb_src "$APTDIR/sources.list.d"
	grep -qs . "$APTDIR"/sources.list.d/* || die "no apt sources on this host to derive deb-src from"
	APTOPT="-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=$APTDIR/sources.list.d -o Dir::State::Lists=$APTDIR/lists -o Dir::Cache=$APTDIR/cache -o Debug::NoLocking=1"
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
[ $CONFIG = release ] || key=$key-$CONFIG
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
	MK="make -C $TREE/xen XEN_TARGET_ARCH=x86_64"
	case $CONFIG in
	release) $MK defconfig >"$TREE/config.log" 2>&1 ;;
	debug) $MK defconfig >"$TREE/config.log" 2>&1 &&
		echo "CONFIG_DEBUG=y" >>"$TREE/xen/.config" ;;
	pvshim) $MK pvshim_defconfig >"$TREE/config.log" 2>&1 ;;
	sharing) $MK defconfig >"$TREE/config.log" 2>&1 &&
		printf 'CONFIG_EXPERT=y\nCONFIG_UNSUPPORTED=y\nCONFIG_MEM_SHARING=y\n' >>"$TREE/xen/.config" ;;
	esac || { tail -20 "$TREE/config.log" >&2; die "configuring $CONFIG failed"; }
	$MK olddefconfig >>"$TREE/config.log" 2>&1 || die "olddefconfig failed"
	case $CONFIG in
	debug) want=CONFIG_DEBUG=y ;;
	sharing) want=CONFIG_MEM_SHARING=y ;;
	pvshim) want=CONFIG_PV_SHIM_EXCLUSIVE=y ;;
	*) want= ;;
	esac
	[ -z "$want" ] || grep -qx "$want" "$TREE/xen/.config" || die "$CONFIG: $want did not stick"
	log "building hypervisor ($CONFIG)"
	$MK -j2 >"$TREE/build.log" 2>&1 ||
		{ tail -40 "$TREE/build.log" >&2; die "hypervisor build failed (log: $TREE/build.log)"; }
	touch "$TREE/.built"
fi
name=$( [ $STOCK = 1 ] && echo stock || echo patched )
[ $CONFIG = release ] || name=$name-$CONFIG
ln -sfn "$(basename "$TREE")" "$BUILD/$name"
log "hypervisor: $BIN (ELF: $ELF)"
echo "$BIN"
