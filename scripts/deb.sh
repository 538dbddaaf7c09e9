#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# deb.sh OUTDIR: `make deb`.  Builds the source package and memx-dkms and
# memx from the release tarball (`make dist`), never from the work tree,
# unpacked in a scratch folder, and leaves the .dsc, .tar.xz, .changes,
# .buildinfo and .deb files in OUTDIR.  Needs debhelper and dh-dkms.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=$(cd "$1" && pwd)
ver=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
dkms_ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
[ "$ver" = "$dkms_ver" ] || {
	echo "deb: debian/changelog says $ver, dkms.conf $dkms_ver" >&2
	exit 1
}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

make -s -C "$top" dist
tar -C "$scratch" -xzf "$top/memx-$ver.tar.gz"
(cd "$scratch/memx-$ver" && dpkg-buildpackage -us -uc) > "$scratch/build.log" 2>&1 || {
	cat "$scratch/build.log" >&2
	exit 1
}
for f in "$scratch"/memx*_"$ver"*; do
	[ -f "$f" ] && cp "$f" "$out/"
done
ls "$out"/memx-dkms_"$ver"_all.deb "$out"/memx_"$ver"_*.deb
