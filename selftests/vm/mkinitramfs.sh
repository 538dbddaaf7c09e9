#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh OUT MEMX_KO HELPER_KO TESTS_DIR [KERNEL_ROOT KVER MODULE...]
# Packs busybox-static, the modules, the static selftests and /init; with
# KERNEL_ROOT (an unpacked linux-image), also MODULEs from it (unless built
# in) and their dependencies, in load order, under /modules (listed in
# /modules/order).  MEMX_BUSYBOX names another busybox (another
# architecture's).
set -euo pipefail

out=$1 memx_ko=$2 helper_ko=$3 tests=$4
here=$(cd "$(dirname "$0")" && pwd)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{bin,dev,proc,sys,tmp,tests}
cp "${MEMX_BUSYBOX:-/bin/busybox}" "$root/bin/busybox"
cp "$here/init" "$root/init"
cp "$here/demo.sh" "$here/dumpbench.sh" "$root/"
[ -n "${MEMX_LIME_KO:-}" ] && cp "$MEMX_LIME_KO" "$root/lime.ko"
cp "$here/badness" "$root/badness"
cp "$memx_ko" "$root/memx.ko"
cp "$helper_ko" "$root/memx_helper.ko"
cp "$tests"/* "$root/tests/"
if [ $# -gt 4 ]; then
	kroot=$5 kver=$6
	shift 6
	mkdir -p "$root/modules"
	depmod -b "$kroot" "$kver"
	for m in "$@"; do
		# A module the kernel builds in (virtio_pci on 7.2) has no file.
		[ -n "$(find "$kroot/lib/modules/$kver/" -name "$m.ko*")" ] ||
			continue
		modprobe -d "$kroot" -S "$kver" --show-depends "$m"
	done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' |
	while read -r ko; do
		# busybox's insmod takes no compressed module (newer
		# kernels' .ko.xz).
		case "$ko" in
		*.xz) ko_name=$(basename "${ko%.xz}")
		      xz -dc "$ko" > "$root/modules/$ko_name" ;;
		*) ko_name=$(basename "$ko")
		   cp "$ko" "$root/modules/" ;;
		esac
		echo "$ko_name" >> "$root/modules/order"
	done
fi
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
