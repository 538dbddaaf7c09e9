#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh [check|demo|vm]: what `make check`, `make demo` and `make vm` do.
# Installs what is missing, builds memx, its helper and the selftests against
# the Debian test kernel, packs the initramfs and boots it in QEMU.
# check: every boot of the matrix below, then one closing line
# "N passed, N failed, N skipped"; exits non-zero on any failure.
set -euo pipefail

mode=${1:-check}
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${MEMX_CACHE:-$top/.cache}
jobs=$(nproc)

kver=$("$top/scripts/deps.sh" | tail -n 1)
kdir=/usr/src/linux-headers-$kver
out="$cache/run"
mkdir -p "$out"

echo "== building memx for $kver"
make -s -C "$top" KDIR="$kdir" -j"$jobs" modules
make -s -C "$kdir" M="$top/selftests/helper" -j"$jobs" modules
make -s -C "$top/selftests" KSFT="$cache/kselftest" OUT="$out/tests"

export MEMX_KERNEL="$cache/kernel/$kver/boot/vmlinuz-$kver"
export MEMX_INITRAMFS="$out/initramfs.cpio.gz"
export MEMX_OUT="$out"
"$top/selftests/vm/mkinitramfs.sh" "$MEMX_INITRAMFS" "$top/memx.ko" \
	"$top/selftests/helper/memx_helper.ko" "$out/tests"

run="$top/selftests/vm/run.sh"
case "$mode" in
vm)
	exec "$run" vm shell "" ""
	;;
demo)
	exec "$run" demo demo "" ""
	;;
esac

# The boot matrix: name, CPU (max has 5-level paging), tests, memx params.
boots=(
	"main max memx_module_test,memx_rw_test,memx_mmap_test -"
	"policy qemu64 memx_rw_test,memx_mmap_test,memx_policy_test writable=1"
)
export MEMX_TALLY="$out/tally"
: > "$MEMX_TALLY"
status=0
for b in "${boots[@]}"; do
	read -r name cpu tests params <<< "$b"
	[ "$params" = - ] && params=
	echo "== boot $name: cpu=$cpu tests=$tests params=${params:-none}"
	MEMX_CPU=$cpu "$run" "$name" test "$tests" "$params" || status=1
done

read -r pass fail skip < <(awk '{p += $1; f += $2; s += $3}
	END {print p + 0, f + 0, s + 0}' "$MEMX_TALLY")
echo "$pass passed, $fail failed, $skip skipped"
[ "$status" -eq 0 ] && [ "$fail" -eq 0 ]
