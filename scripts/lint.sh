#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lint.sh ABI: the warning-free gate of `make check`.  Builds memx with W=1
# and sparse (C=1) against the -amd64, -cloud-amd64 and -rt-amd64 headers of
# kernel ABI ABI (6.1.0-56, say), each in its own copy of the sources, and
# runs checkpatch --strict.  Any compiler, sparse or checkpatch line fails.
set -euo pipefail

abi=$1
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${MEMX_CACHE:-$top/.cache}
status=0

for flavour in amd64 cloud-amd64 rt-amd64; do
	dir="$cache/lint/$flavour"
	rm -rf "$dir" && mkdir -p "$dir"
	cp -r "$top/Kbuild" "$top/src" "$top/include" "$dir/"
	log="$cache/lint/$flavour.log"
	if ! make -C "/usr/src/linux-headers-$abi-$flavour" M="$dir" \
		W=1 C=1 modules > "$log" 2>&1 ||
	   grep -E 'warning:|error:' "$log"; then
		echo "lint: $abi-$flavour: build with W=1 C=1 is not clean"
		status=1
	else
		echo "lint: $abi-$flavour: W=1 and sparse clean"
	fi
done

# checkpatch from linux-source-6.1.  In user-space selftests two checks do
# not apply: PREFER_KERNEL_TYPES (they use <stdint.h>, as kselftests do)
# and CAMELCASE (Elf64_Ehdr and friends come from <elf.h>).  In the compat
# header nothing needs a waiver: its shims are selected by Kbuild probes.
cp="perl $cache/kselftest/scripts/checkpatch.pl --strict --no-tree -q"
cd "$top"
report=$({ $cp -f src/*.c include/*.h include/uapi/*.h \
		selftests/helper/memx_helper.c
	  $cp --ignore PREFER_KERNEL_TYPES,CAMELCASE -f selftests/*.c \
		selftests/*.h; } 2>&1 || true)
if [ -n "$report" ]; then
	echo "$report"
	echo "lint: checkpatch --strict is not clean"
	status=1
else
	echo "lint: checkpatch --strict clean"
fi
exit $status
