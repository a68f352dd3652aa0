#!/usr/bin/env bash
# Build the Debian package of zesd from this tree and lint it:
#
#   bash scripts/build-deb.sh [OUTDIR]        (default OUTDIR: build-deb/)
#
# Copies the tree (tracked and new files, not the build folders) into a
# temporary folder, puts packaging/debian there as debian/, installs the
# build dependencies debian/control declares when some are missing
# (apt-get build-dep), runs `dpkg-buildpackage -us -uc -b` (with the unit
# tests), and runs lintian on the result.  OUTDIR receives the .deb, the
# .buildinfo, the .changes, build.log and lintian.txt.  Exits non-zero when
# the build fails or lintian reports an error; warnings are printed.
# scripts/check-package.sh installs the package and runs it.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$(realpath -m -- "${1:-$ROOT/build-deb}")
say() { echo "build-deb.sh: $*" >&2; }

. "$ROOT/scripts/packages.sh"
install_missing "$OUT/log" dpkg-dev debhelper fakeroot lintian git

VERSION=$(dpkg-parsechangelog -l "$ROOT/packaging/debian/changelog" -S Version)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
SRC=$TMP/zesd-$VERSION
mkdir -p "$SRC" "$OUT"
rm -f "$OUT"/zesd*_*.deb "$OUT"/zesd_*.changes "$OUT"/zesd_*.buildinfo

# The tree as it is now, committed or not; ignored files (builds) stay out.
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard |
	while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
	tar --null -T - -cf -) | tar -xf - -C "$SRC"
rm -rf "$SRC/debian"
cp -a "$ROOT/packaging/debian" "$SRC/debian"

if ! (cd "$SRC" && dpkg-checkbuilddeps >/dev/null 2>&1); then
	say "installing the build dependencies of debian/control (log: $OUT/log/apt.log)"
	[ "$(id -u)" = 0 ] || SUDO=sudo
	${SUDO:-} env DEBIAN_FRONTEND=noninteractive apt-get build-dep -y -q "$SRC" \
		>>"$OUT/log/apt.log" 2>&1 || { tail -n 20 "$OUT/log/apt.log" >&2; exit 1; }
fi

say "dpkg-buildpackage -us -uc -b (log: $OUT/build.log)"
start=$(date +%s)
if ! (cd "$SRC" && dpkg-buildpackage -us -uc -b) >"$OUT/build.log" 2>&1; then
	tail -n 40 "$OUT/build.log" >&2
	say "the build failed; see $OUT/build.log"
	exit 1
fi
# zesd and zesd-dbgsym (the detached debugging symbols).
mv "$TMP"/zesd*_"$VERSION"_*.deb "$TMP"/zesd_"$VERSION"_*.changes \
	"$TMP"/zesd_"$VERSION"_*.buildinfo "$OUT"/
say "built $(ls "$OUT"/zesd_"$VERSION"_*.deb) in $(( $(date +%s) - start )) s"

# lintian on the .changes (the .deb and the .buildinfo); errors fail.
CHANGES=$(ls "$OUT"/zesd_"$VERSION"_*.changes)
rc=0
lintian --fail-on error --display-info --pedantic "$CHANGES" >"$OUT/lintian.txt" 2>&1 || rc=$?
cat "$OUT/lintian.txt"
say "lintian: $(grep -c '^E: ' "$OUT/lintian.txt" || true) errors," \
	"$(grep -c '^W: ' "$OUT/lintian.txt" || true) warnings," \
	"$(grep -c '^I: ' "$OUT/lintian.txt" || true) info," \
	"$(grep -c '^P: ' "$OUT/lintian.txt" || true) pedantic (all in $OUT/lintian.txt)"
exit "$rc"
