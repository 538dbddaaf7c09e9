#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lint.sh ABI: the warning-free gate of `make check`.  Builds memx with W=1
# and sparse (C=1) against the -amd64, -cloud-amd64 and -rt-amd64 headers of
# kernel ABI ABI (6.1.0-56, say) and, cross-compiled by the host's gcc, the
# -arm64 headers of the 6.1, 6.12 and 5.10 lines (scripts/arm64.sh), each in
# its own copy of the sources, and runs checkpatch --strict.  Any compiler,
# sparse or checkpatch line fails.
set -euo pipefail

abi=$1
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${MEMX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/memx}
status=0

for flavour in amd64 cloud-amd64 rt-amd64; do
	dir="$cache/lint/$flavour"
	rm -rf "$dir" && mkdir -p "$dir"
	cp -r "$top/Kbuild" "$top/src" "$top/include" "$dir/"
	log="$cache/lint/$flavour.log"
	if ! make -C "/usr/src/linux-headers-$abi-$flavour" M="$dir" \
		W=1 C=1 modules > "$log" 2>&1 ||
	   grep -E 'warning:|error:' "$log"; then
		echo "lint: FAIL $abi-$flavour: build with W=1 C=1 has warnings"
		status=1
	else
		echo "lint: ok $abi-$flavour: W=1 and sparse clean"
	fi
done

for line in 6.1 6.12 5.10; do
	dir="$cache/lint/arm64-$line"
	log="$cache/lint/arm64-$line.log"
	rm -rf "$dir" && mkdir -p "$dir"
	cp -r "$top/Kbuild" "$top/src" "$top/include" "$dir/"
	if ! read -r kv kdir _ < <("$top/scripts/arm64.sh" "$line"); then
		echo "lint: FAIL arm64 $line: no headers (scripts/arm64.sh)"
		status=1
	elif ! make -C "$kdir" M="$dir" ARCH=arm64 \
		CROSS_COMPILE=aarch64-linux-gnu- CC=aarch64-linux-gnu-gcc \
		W=1 C=1 modules > "$log" 2>&1 ||
	   grep -E 'warning:|error:' "$log"; then
		echo "lint: FAIL $kv: build with W=1 C=1 has warnings"
		status=1
	else
		echo "lint: ok $kv: W=1 and sparse clean"
	fi
done

# checkpatch from linux-source-6.1, with four waivers:
# - MACRO_ARG_REUSE in the module: mm_access.c's move macros take plain
#   identifiers and a goto label, which each access width uses once, as
#   the kernel's own unsafe_copy_loop() does; nothing has side effects.
# - MACRO_WITH_FLOW_CONTROL there too: a fault leaves those macros through
#   the label they are given, as unsafe_get_user() and
#   __get_kernel_nofault() do.
# - PREFER_KERNEL_TYPES in the user-space selftests and the memx command:
#   <stdint.h>, as kselftests use.
# - CAMELCASE there too: Elf64_Ehdr and friends come from <elf.h>.
# The compat header needs none: Kbuild probes select its shims.
cp="perl $cache/kselftest/scripts/checkpatch.pl --strict --no-tree -q"
cd "$top"
report=$({ $cp --ignore MACRO_ARG_REUSE,MACRO_WITH_FLOW_CONTROL -f src/*.c src/arch/*/*.[ch] \
		include/*.h include/uapi/*.h selftests/helper/*.[ch]
	  $cp --ignore PREFER_KERNEL_TYPES,CAMELCASE -f selftests/*.c \
		selftests/*.h selftests/fuzz/*.[ch] tools/*.[ch] tools/dump/*.[ch]; } 2>&1 || true)
if [ -n "$report" ]; then
	echo "$report"
	echo "lint: FAIL checkpatch --strict has reports"
	status=1
else
	echo "lint: ok checkpatch --strict clean"
fi

# The manual pages: no groff or man warning, at the width lintian uses.
for page in man/memx.4 man/memx.8; do
	report=$({ LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l \
			-Tutf8 -Z "$page" > /dev/null; } 2>&1)
	if [ -n "$report" ]; then
		echo "$report"
		echo "lint: FAIL $page has man warnings"
		status=1
	else
		echo "lint: ok $page: man --warnings clean"
	fi
done

# One version everywhere: dkms.conf, debian/changelog, the manual pages.
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
others=$(dpkg-parsechangelog -l debian/changelog -S Version
	 sed -n 's/^\.TH .* "memx \([^"]*\)".*/\1/p' man/memx.4 man/memx.8)
if [ "$(echo "$others" | sort -u)" = "$version" ]; then
	echo "lint: ok version $version in dkms.conf, debian/changelog and the manual pages"
else
	echo "lint: FAIL versions differ: dkms.conf $version, others:" $others
	status=1
fi
exit $status
