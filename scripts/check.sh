#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh [check|demo|bench|clients|vm|lint|unit]: what `make check`,
# `make demo`, `make bench`, `make clients`, `make vm`, `make lint` and
# `make unit` do.
# Installs what is missing, lints, builds memx through DKMS (the module users
# get is the module tested), its helper and the selftests, packs one
# initramfs per test kernel and boots them in QEMU.
# check: the lint gate, `make install`, every boot of the matrix below and
# the crash/drgn boot (`make clients`), then
# one closing line "N passed, N failed, N skipped"; non-zero on any failure.
# KERNELS=6.1,5.10,6.12,7.2,debug,arm64 (the default) picks the kernel
# lines to test.
set -euo pipefail

mode=${1:-check}
top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/tally.sh
. "$top/scripts/tally.sh"
cache=${MEMX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/memx}
export MEMX_CACHE=$cache
out="$cache/run"
jobs=$(nproc)
mkdir -p "$out"
# One run at a time per cache: a second one would rebuild the trees, the
# initramfs and the tally this one is using.
exec 9> "$cache/.lock"
if ! flock -n 9; then
	echo "== waiting for the other run using $cache to finish"
	flock 9
fi

case "$mode" in
check|clients) kver=$("$top/scripts/deps.sh" clients | tail -n 1) ;;
*) kver=$("$top/scripts/deps.sh" | tail -n 1) ;;
esac
abi=${kver%-amd64}
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")

export MEMX_TALLY="$out/tally"
: > "$MEMX_TALLY"
# Everything a test run prints, also in a log: the failures are listed
# again just above the closing line, where a CI log's tail shows them.
# tee is waited for at exit: the closing line is out before the run ends.
case "$mode" in
check|clients)
	exec > >(tee "$out/check.log") 2>&1
	tee_pid=$!
	trap 'rc=$?; exec >&- 2>&-; wait "$tee_pid" || true; exit $rc' EXIT
	;;
esac

# A host-side check: one TAP-like line and a tally entry.
host_check() {
	local name=$1 log="$out/host-check.log"
	shift
	if "$@" > "$log" 2>&1; then
		echo "ok $name" | tally_tap "[host]"
	else
		sed 's/^/[host]   /' "$log"
		tally_fail "[host]" "$name"
	fi
}

# DKMS in private trees under the cache: nothing lands in /var/lib/dkms.
dkms_setup() {
	local src="$cache/dkms-src/memx-$version"

	rm -rf "$cache/dkms-src" "$cache/dkms" && mkdir -p "$src" "$cache/dkms"
	cp -r "$top/Kbuild" "$top/Makefile" "$top/dkms.conf" "$top/src" \
		"$top/include" "$src/"
	dkms add --sourcetree "$cache/dkms-src" --dkmstree "$cache/dkms" \
		"memx/$version"
}

# Build memx (DKMS), the helper and the initramfs for kernel $1.
prepare_dkms() {
	local k=$1
	local helper="$cache/helper/$k"

	echo "== building memx $version for $k through DKMS"
	dkms build --sourcetree "$cache/dkms-src" --dkmstree "$cache/dkms" \
		"memx/$version" -k "$k" > "$out/dkms-$k.log" 2>&1 ||
		{ cat "$out/dkms-$k.log"; return 1; }
	rm -rf "$helper" && mkdir -p "$helper"
	cp "$top/selftests/helper/"* "$helper/"
	make -s -C "/usr/src/linux-headers-$k" M="$helper" -j"$jobs" modules
	"$top/selftests/vm/mkinitramfs.sh" "$out/$k.cpio.gz" \
		"$cache/dkms/memx/$version/$k/x86_64/module/memx.ko" \
		"$helper/memx_helper.ko" "$out/tests"
}

install_check() {
	local dest="$cache/install"

	rm -rf "$dest"
	make -s -C "$top" KVER="$kver" KDIR="/usr/src/linux-headers-$kver" \
		INSTALL_MOD_PATH="$dest" DESTDIR="$dest" install
	test -x "$dest/usr/local/sbin/memx"
	test -f "$dest/lib/modules/$kver/updates/memx.ko"
	grep -q '^updates/memx.ko:' "$dest/lib/modules/$kver/modules.dep"
}


# kbuild KVER KDIR ROOT NAME FILES...: a W=1 build of FILES, in a chroot
# into ROOT unless it is / (then under the cache, cross-compiled with the
# make variables in $MEMX_CROSS), with sparse when ROOT has it; fails on
# any warning.
# Prints the .ko's path.
kbuild() {
	local k=$1 kdir=$2 root=$3 name=$4
	local dir="$root/build/$k/$name" log="$out/build-$k-$name.log"
	shift 4
	[ "$root" = / ] && dir="$cache/build/$k/$name"

	if [ -z "$root" ] || [ ! -d "$root" ]; then
		echo "kbuild: no root to build in" >&2
		return 1
	fi
	rm -rf "$dir" && mkdir -p "$dir" && cp -r "$@" "$dir/"
	if [ "$root" = / ]; then
		make -C "$kdir" M="$dir" W=1 -j"$jobs" ${MEMX_CROSS:-} modules \
			> "$log" 2>&1
	else
		# objtool reads /proc; unmounted again so the cache stays plain.
		mount -t proc proc "$root/proc"
		local sparse=
		[ -x "$root/usr/bin/sparse" ] && sparse=C=1
		chroot "$root" make -C "$kdir" M="/build/$k/$name" W=1 \
			$sparse -j"$jobs" modules > "$log" 2>&1
		local rc=$?
		umount "$root/proc"
		[ $rc -eq 0 ]
	fi || { cat "$log" >&2; return 1; }
	if grep -E 'warning:|error:' "$log" >&2; then
		return 1
	fi
	echo "$dir/$name.ko"
}

# LINE's kernel: "KVER KDIR ROOT IMAGE", ROOT the root its modules build
# in (/: the host's compilers, cross for arm64).  The debug kernel started
# building in the background at the beginning (below): its build overlaps
# the downloads and root file systems a cold run makes.
kernel_of() {	# kernel_of LINE
	local k kdir image

	case "$1" in
	debug)
		[ -n "${debug_pid:-}" ] && { wait "$debug_pid" || true; }
		debug_pid=
		read -r k kdir image < <("$top/scripts/debugkernel.sh") &&
			echo "$k $kdir / $image"
		;;
	arm64-*)
		read -r k kdir image < <("$top/scripts/arm64.sh" "${1#arm64-}") &&
			echo "$k $kdir / $image"
		;;
	*)
		"$top/scripts/kernels.sh" "$1"
		;;
	esac
}

# The one builder of every line but 6.1's (DKMS builds memx there): W=1
# builds of memx and the helper for LINE's kernel, and its initramfs (on
# arm64 with arm64's busybox, selftests and memx command, and the virtio
# console the results go to when the kernel does not build it in); sets
# built_kver, built_memx and built_helper.
prepare() {	# prepare LINE
	local k kdir root image memx helper tests="$out/tests" mods=()
	local MEMX_CROSS='' MEMX_BUSYBOX=''

	read -r k kdir root image < <(kernel_of "$1") || true
	# Guard every path: an empty root would mount over the host's /proc.
	if [ -z "$k" ] || [ -z "$root" ] || [ ! -d "$root$kdir" ] ||
	   [ ! -f "$image" ]; then
		echo "kernel line $1 is not ready" >&2
		return 1
	fi
	case "$1" in
	arm64-*)
		# The host's cross gcc, also for 5.10, whose headers name
		# the gcc-10 it was built with (not in Debian 12).
		MEMX_CROSS="ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- CC=aarch64-linux-gnu-gcc"
		tests="$out/tests-arm64"
		make -s -C "$top/selftests" KSFT="$cache/kselftest" \
			OUT="$tests" CC=aarch64-linux-gnu-gcc arm64 &&
			arm64_tool "$tests/memx" || return 1
		MEMX_BUSYBOX=$("$top/scripts/arm64.sh" busybox) || return 1
		mods=("${image%/boot/*}" "$k" virtio_pci virtio_console \
		      9pnet_virtio 9p)
		;;
	esac
	echo "== building memx for $k (W=1)"
	memx=$(kbuild "$k" "$kdir" "$root" memx "$top/Kbuild" "$top/src" \
		"$top/include") || return 1
	helper=$(kbuild "$k" "$kdir" "$root" memx_helper \
		"$top/selftests/helper/"*) || return 1
	mkdir -p "$cache/kernel/$k/boot"
	cmp -s "$image" "$cache/kernel/$k/boot/vmlinuz-$k" ||
		cp "$image" "$cache/kernel/$k/boot/vmlinuz-$k"
	MEMX_BUSYBOX=$MEMX_BUSYBOX "$top/selftests/vm/mkinitramfs.sh" \
		"$out/$k.cpio.gz" "$memx" "$helper" "$tests" "${mods[@]}" ||
		return 1
	built_kver=$k built_memx=$memx built_helper=$helper
}

# The memx command for arm64, static, against the arm64 libraries
# scripts/arm64.sh unpacks (the host's dpkg stays amd64-only).
arm64_tool() {	# arm64_tool OUT
	local sr

	sr=$("$top/scripts/arm64.sh" sysroot) || return 1
	make -s -C "$top" TOOL="$1" CC=aarch64-linux-gnu-gcc \
		CPPFLAGS="-I$sr/usr/include -I$sr/usr/include/aarch64-linux-gnu" \
		TOOL_CFLAGS="-O2 -Wall -Wextra -Werror" \
		TOOL_LDFLAGS="-static -L$sr/usr/lib/aarch64-linux-gnu" "$1"
}

# The release tarball: the tracked files of HEAD, the same bytes twice.
dist_check() {
	local t="$top/memx-$version.tar.gz" first

	make -s -C "$top" dist && first=$(sha256sum < "$t") &&
		sleep 1 && make -s -C "$top" dist &&
		[ "$(sha256sum < "$t")" = "$first" ] &&
		diff <(git -C "$top" ls-files | sed "s|^|memx-$version/|" | sort) \
			<(tar -tzf "$t" | grep -v '/$' | sort)
}

# The Debian packages: built from the release tarball, lintian-clean,
# installed into a bookworm root by apt (DKMS builds memx there) and purged;
# sets pkg_ko to the module the installed package had, and debs_made.
packages() {
	local d="$out/deb"

	pkg_ko=
	rm -rf "$d" && mkdir -p "$d"
	host_check "make deb: memx-dkms and memx from the release tarball" \
		"$top/scripts/deb.sh" "$d"
	[ -e "$d/memx-dkms_${version}_all.deb" ] && debs_made=1
	host_check "lintian: no error and no warning on the source and both packages" \
		lintian --fail-on error,warning "$d/memx_${version}_amd64.changes"
	pkgtest "$kver" "$d/memx.ko"
	[ -s "$d/memx.ko" ] && pkg_ko="$d/memx.ko"
	return 0
}

# scripts/pkgtest.sh on the packages packages() made, its TAP lines tallied.
pkgtest() {	# pkgtest KVER MODULE_OUT [SUITE]
	local d="$out/deb" log="$out/pkgtest-${3:-bookworm}.tap" rc=0

	"$top/scripts/pkgtest.sh" "$1" "$d" "$2" ${3:-} > "$log" || rc=$?
	tally_log "[host]" "pkgtest.sh ${3:-bookworm}" "$log" $rc
}

# The test kernel with the module the installed memx-dkms package built.
package_boot() {	# package_boot CPU
	"$top/selftests/vm/mkinitramfs.sh" "$out/package.cpio.gz" "$pkg_ko" \
		"$cache/helper/$kver/memx_helper.ko" "$out/tests"
	MEMX_KERNEL="$cache/kernel/$kver/boot/vmlinuz-$kver" \
	MEMX_INITRAMFS="$out/package.cpio.gz" MEMX_OUT="$out" MEMX_CPU=$1 \
		"$run" package test memx_module_test,memx_rw_test ""
}

# The test kernel with hot-added memory: a virtio-mem device, 192 MiB
# plugged (one memory block and half of the next), its driver in the
# initramfs and its memory onlined as it comes (memx_mmap_test's
# driver-managed RAM check); a 128 MiB pc-dimm that ACPI adds with
# memmap_on_memory (the whole-block revocation check, which ejects it).
hotplug_boot() {	# hotplug_boot CPU
	"$top/selftests/vm/mkinitramfs.sh" "$out/hotplug.cpio.gz" \
		"$cache/dkms/memx/$version/$kver/x86_64/module/memx.ko" \
		"$cache/helper/$kver/memx_helper.ko" "$out/tests" \
		"$cache/kernel/$kver" "$kver" virtio_pci virtio_mem
	MEMX_KERNEL="$cache/kernel/$kver/boot/vmlinuz-$kver" \
	MEMX_INITRAMFS="$out/hotplug.cpio.gz" MEMX_OUT="$out" MEMX_CPU=$1 \
	MEMX_MEM=2G,slots=2,maxmem=4G \
	MEMX_QEMU_EXTRA="-object memory-backend-ram,id=vmem0,size=1G -device virtio-mem-pci,id=vm0,memdev=vmem0,requested-size=192M -object memory-backend-ram,id=dimm0,size=128M -device pc-dimm,id=dimm0,memdev=dimm0" \
		"$run" hotplug test memx_mmap_test "" \
		"memhp_default_state=online_movable memory_hotplug.memmap_on_memory=1"
}

# Boot NAME: crash and drgn on kernel KVER (memx MEMX_KO, the helper
# HELPER_KO, debug info in VMLINUX), sid's crash 9 and drgn 0.3 from the sid
# root and, with WHICH "all", Debian 12's from the host's root, both shared
# read-only over 9p; with WHICH "lts", Debian 12's only, crash 8.0.2 in
# full mode too.
clients_boot() {	# clients_boot NAME KVER MEMX_KO HELPER_KO VMLINUX WHICH CPU
	local name=$1 k=$2 memx=$3 helper=$4 vmlinux=$5 which=$6 cpu=$7 sid=
	local isf="$out/isf-$1" rc=0 tallied

	if [ "$which" != lts ]; then
		sid=$("$top/scripts/kernels.sh" debuggers) ||
			{ host_fail "sid's crash and drgn in the sid root"; return 1; }
		sid="memxt_sid=$(realpath "$sid")"
	fi
	"$top/selftests/vm/mkinitramfs.sh" "$out/$name.cpio.gz" "$memx" \
		"$helper" "$out/tests" "$cache/kernel/$k" "$k" \
		virtio_pci 9pnet_virtio 9p
	rm -rf "$isf" && mkdir -p "$isf"
	tallied=$(wc -l < "$MEMX_TALLY")
	MEMX_KERNEL="$cache/kernel/$k/boot/vmlinuz-$k" \
	MEMX_INITRAMFS="$out/$name.cpio.gz" MEMX_OUT="$out" MEMX_CPU=$cpu \
	MEMX_QEMU_EXTRA="-virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap -virtfs local,path=$isf,mount_tag=isf,security_model=none,multidevs=remap" \
		"$run" "$name" clients "" "" \
		"memxt_repo=$(realpath "$top") memxt_vmlinux=$(realpath "$vmlinux") $sid memxt_clients=$which" ||
		rc=1
	# A runner that stopped before its tally is a failure of its own.
	[ "$(wc -l < "$MEMX_TALLY")" -gt "$tallied" ] ||
		host_fail "$name: the boot did not run to its tally"
	# The guest's memx isf against the vmlinux's DWARF and symbols, here.
	local log="$out/isf-check-$name.log" status=0
	/usr/bin/python3 "$top/selftests/clients/isf_check.py" "$top/tools/memx" \
		"$isf" "$vmlinux" > "$log" 2>&1 || status=$?
	tally_log "[$name]" isf_check.py "$log" $status
	[ $rc = 0 ] && [ $status = 0 ]
}

# crash and drgn on LINE's kernel KVER: WHICH "all" (Debian 12's and sid's),
# "lts" (Debian 12's, crash in full mode) or "sid".
clients_row() {	# clients_row NAME LINE KVER MEMX_KO HELPER_KO WHICH CPU
	local vmlinux="$cache/dbg/vmlinux-$3"

	echo "== boot $1: crash and drgn ($6) on $3 through memx"
	if [ "$2" != 6.1 ]; then
		vmlinux=$("$top/scripts/kernels.sh" "dbg-$2") ||
			{ host_fail "the $2 line's vmlinux with debug info"; return 1; }
	fi
	clients_boot "$1" "$3" "$4" "$5" "$vmlinux" "$6" "$7"
}

# A host-side failure that is not a TAP line of its own.
host_fail() {
	tally_fail "[host]" "$1"
}

# memx dump in a 1 GiB VM to a host folder, then crash, drgn and a LiME
# parser on the host.
dump_e2e() {	# dump_e2e CPU
	local dumps="$out/dumps"

	echo "== boot dump: memx dump to the host, opened by crash and drgn"
	rm -rf "$dumps" && mkdir -p "$dumps"
	"$top/selftests/vm/mkinitramfs.sh" "$out/dump.cpio.gz" \
		"$cache/dkms/memx/$version/$kver/x86_64/module/memx.ko" \
		"$cache/helper/$kver/memx_helper.ko" "$out/tests" \
		"$cache/kernel/$kver" "$kver" virtio_pci 9pnet_virtio 9p
	MEMX_KERNEL="$cache/kernel/$kver/boot/vmlinuz-$kver" \
	MEMX_INITRAMFS="$out/dump.cpio.gz" MEMX_OUT="$out" MEMX_CPU=$1 \
	MEMX_MEM=1G MEMX_SMP=3 \
	MEMX_QEMU_EXTRA="-virtfs local,path=$dumps,mount_tag=dumps,security_model=none,multidevs=remap -virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap" \
		"$run" dump dump "" "" \
		"crashkernel=16M memxt_repo=$(realpath "$top")" || return 1
	local rc=0
	/usr/bin/python3 "$top/selftests/clients/dump_check.py" "$dumps" \
		"$cache/dbg/vmlinux-$kver" > "$out/dump-check.log" 2>&1 || rc=$?
	tally_log "[host]" dump_check.py "$out/dump-check.log" $rc
}

# The memx command's unit tests on the host: a test that fails, does not
# build, or dies half way is a failure, and the run goes on.
host_unit_tests() {
	local log="$out/memx_lib_test.log" rc=0

	if ! cc -O2 -Wall -Werror -D_GNU_SOURCE -I"$cache/kselftest" \
		-o "$out/memx_lib_test" \
		"$top/selftests/memx_lib_test.c" "$top/tools/memx_lib.c" \
		"$top/tools/dump/layout.c" \
		> "$log" 2>&1; then
		sed 's/^/[host]   /' "$log"
		host_fail "memx_lib_test builds"
		return
	fi
	"$out/memx_lib_test" > "$log" 2>&1 || rc=$?
	tally_log "[host]" memx_lib_test "$log" $rc
	rc=0
	"$top/scripts/tally_test.sh" > "$out/tally-test.log" 2>&1 || rc=$?
	tally_log "[host]" tally_test.sh "$out/tally-test.log" $rc
}

# The memx command's readers against hostile input (selftests/fuzz): memx
# built with ASan and UBSan refuses each damaged file and bad argument
# with a message, then each fuzz target runs a bounded count of
# executions from its seeds and regressions.
host_fuzz() {
	local asan="$out/memx-asan" log="$out/verify-test.log" rc=0

	if ! make -s -C "$top" TOOL="$asan" TOOL_LDFLAGS= \
		TOOL_CFLAGS="-O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
		"$asan" > "$log" 2>&1; then
		sed 's/^/[host]   /' "$log"
		host_fail "memx builds with ASan and UBSan"
		return
	fi
	/usr/bin/python3 "$top/selftests/fuzz/verify_test.py" "$asan" \
		"$top/selftests/fuzz/regress" > "$log" 2>&1 || rc=$?
	tally_log "[host]" verify_test.py "$log" $rc
	rc=0
	make -s -k -C "$top/selftests/fuzz" OUT="$out/fuzz" RUNS=150000 check \
		> "$log" 2>&1 || rc=$?
	grep -E '^(not )?ok |^#' "$log" | tally_tap "[host]"
	if [ $rc != 0 ] && ! grep -q '^not ok ' "$log"; then
		grep -vE '^(not )?ok |^#' "$log" | tail -n 20 | sed 's/^/[host]   /'
		host_fail "the fuzz targets build and run (make -C selftests/fuzz check)"
	fi
}

# LiME, as users get it: Debian's lime-forensics-dkms built through DKMS
# (private trees, as memx's) for kernel $1; prints lime.ko's path.
lime_build() {
	local k=$1 src="$cache/lime/src" tree="$cache/lime/dkms" deb ver

	if [ ! -d "$src" ]; then
		deb=$(cd "$cache" && mkdir -p lime && cd lime &&
		      apt-get download -qq -o APT::Sandbox::User=root \
			lime-forensics-dkms >&2 && ls "$PWD"/*.deb)
		mkdir -p "$cache/lime/root" "$src"
		dpkg -x "$deb" "$cache/lime/root"
		mv "$cache/lime/root/usr/src/"* "$src/"
		rm -rf "$cache/lime/root" "$deb"
	fi
	ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$src"/*/dkms.conf)
	if [ ! -d "$tree/lime-forensics/$ver/$k" ]; then
		mkdir -p "$tree"
		dkms add --sourcetree "$src" --dkmstree "$tree" \
			"lime-forensics/$ver" >&2 || true
		dkms build --sourcetree "$src" --dkmstree "$tree" \
			"lime-forensics/$ver" -k "$k" >&2
	fi
	ls "$tree/lime-forensics/$ver/$k/x86_64/module/lime.ko"
}

# memx dump against LiME and /proc/kcore, to /dev/null and a host folder.
dump_bench() {
	local lime share="$out/bench-share"

	lime=$(lime_build "$kver") || return 1
	rm -rf "$share" && mkdir -p "$share"
	MEMX_LIME_KO="$lime" "$top/selftests/vm/mkinitramfs.sh" \
		"$out/dumpbench.cpio.gz" \
		"$cache/dkms/memx/$version/$kver/x86_64/module/memx.ko" \
		"$cache/helper/$kver/memx_helper.ko" "$out/tests" \
		"$cache/kernel/$kver" "$kver" virtio_pci 9pnet_virtio 9p
	MEMX_KERNEL="$cache/kernel/$kver/boot/vmlinuz-$kver" \
	MEMX_INITRAMFS="$out/dumpbench.cpio.gz" MEMX_OUT="$out" MEMX_CPU=max \
	MEMX_MEM=2G \
	MEMX_QEMU_EXTRA="-virtfs local,path=$share,mount_tag=dumps,security_model=none,multidevs=remap" \
		"$run" dumpbench dumpbench "" ""
	rm -rf "$share"
}

# The fast loop, no boot: `make lint` (the warning gate) and `make unit`
# (the memx command's unit, hostile-input and fuzz tests on the host).
case "$mode" in
lint)
	exec "$top/scripts/lint.sh" "$abi"
	;;
unit)
	echo "== unit tests of the memx command (host)"
	host_unit_tests
	echo "== the memx command on hostile input: tests and fuzzing (host)"
	host_fuzz
	closing_line
	exit
	;;
esac

make -s -C "$top/selftests" KSFT="$cache/kselftest" OUT="$out/tests"
make -s -C "$top" TOOL_CFLAGS="-O2 -Wall -Wextra -Werror" tools/memx
cp "$top/tools/memx" "$out/tests/memx"
dkms_setup > "$out/dkms-add.log" 2>&1 || { cat "$out/dkms-add.log"; exit 1; }
prepare_dkms "$kver"

run="$top/selftests/vm/run.sh"
# With memxt_dumps=1 in EXTRA_CMDLINE, the guest writes dumps into the host
# folder $out/dumps-NAME after its tests.
boot() {	# boot NAME KERNEL CPU MODE TESTS PARAMS [EXTRA_CMDLINE]
	local arch=x86_64 share=

	case "$2" in *-arm64|*-arm64-16k) arch=aarch64 ;; esac
	case "${7:-}" in
	*memxt_dumps=1*)
		rm -rf "$out/dumps-$1" && mkdir -p "$out/dumps-$1"
		share="-virtfs local,path=$out/dumps-$1,mount_tag=dumps,security_model=none,multidevs=remap"
		;;
	esac
	MEMX_ARCH=$arch MEMX_KERNEL="$cache/kernel/$2/boot/vmlinuz-$2" \
	MEMX_INITRAMFS="$out/$2.cpio.gz" MEMX_OUT="$out" MEMX_CPU=$3 \
	MEMX_QEMU_EXTRA=$share "$run" "$1" "$4" "$5" "$6" "${7:-}"
}

# The kdump the 16K boot wrote, on the host: its blocks are the kernel's
# pages, drgn opens it with that kernel's -dbg vmlinux.
pagesize_check() {	# pagesize_check NAME
	local vmlinux log="$out/pagesize-check.log" rc=0

	vmlinux=$("$top/scripts/arm64.sh" dbg-6.12-16k) ||
		{ host_fail "the arm64 16K kernel's vmlinux with debug info"; return; }
	/usr/bin/python3 "$top/selftests/clients/pagesize_check.py" \
		"$out/dumps-$1" "$vmlinux" > "$log" 2>&1 || rc=$?
	tally_log "[$1]" pagesize_check.py "$log" $rc 3
	rm -rf "$out/dumps-$1"
}

case "$mode" in
vm)
	boot vm "$kver" max shell "" ""
	exit
	;;
demo)
	boot demo "$kver" max demo "" ""
	exit
	;;
bench)
	boot bench "$kver" max bench "" ""
	dump_bench
	# The same figures on arm64 6.1, under qemu-system-aarch64.
	prepare arm64-6.1 || { echo "bench: arm64 6.1 did not build"; exit 1; }
	boot bench-arm64 "$built_kver" max,pauth-impdef=on bench "" ""
	exit
	;;
esac

# The matrix, scripts/boots.txt: the rows of the kernel lines picked (6.1's
# -rt and arm64's lines with them), each as "NAME LINE CPU TESTS PARAMS
# CMDLINE" with the test sets expanded; `make clients` picks the debugger
# boots of 6.1, 5.10, 6.12 and 7.2.
matrix() {	# matrix LINES MODE
	awk -v lines=",$1," -v mode="$2" '
		/^#/ || NF == 0 { next }
		/^@/ { set[$1] = $2; next }
		{
			group = $2
			sub(/-rt$/, "", group)
			if (group ~ /^arm64-/)
				group = "arm64"
			if (index(lines, "," group ",") == 0)
				next
			debugger = $4 ~ /^(clients:|dump$)/
			if (mode == "clients" && !debugger)
				next
			n = split($4, t, ",")
			tests = ""
			for (i = 1; i <= n; i++)
				tests = tests (i > 1 ? "," : "") \
					(t[i] in set ? set[t[i]] : t[i])
			print $1, $2, $3, tests, $5, $6
		}' "$top/scripts/boots.txt"
}

# One row: a test boot, or a boot of its own (TESTS clients:WHICH, dump,
# package, hotplug).  A row with memxt_dumps=1 (the 16K boot) is followed
# by pagesize_check.
run_row() {	# run_row "NAME LINE CPU TESTS PARAMS CMDLINE"
	local name line cpu tests params cmdline k memx helper

	read -r name line cpu tests params cmdline <<< "$1"
	[ "$params" = - ] && params=
	[ "$cmdline" = - ] && cmdline=
	read -r k memx helper <<< "${built[$line]}"
	case "$tests" in
	clients:*)
		clients_row "$name" "$line" "$k" "$memx" "$helper" \
			"${tests#clients:}" "$cpu"
		;;
	dump) dump_e2e "$cpu" ;;
	package)
		[ -n "${pkg_ko:-}" ] || return 0
		echo "== boot package: $k with memx from the installed memx-dkms"
		package_boot "$cpu"
		;;
	hotplug)
		echo "== boot hotplug: $k with a virtio-mem device and a pc-dimm"
		hotplug_boot "$cpu"
		;;
	*)
		echo "== boot $name: $k cpu=$cpu tests=$tests params=${params:-none}"
		boot "$name" "$k" "$cpu" test "$tests" "$params" "$cmdline" ||
			return 1
		case "$cmdline" in
		*memxt_dumps=1*) pagesize_check "$name" ;;
		esac
		;;
	esac
}

lines=${KERNELS:-6.1,5.10,6.12,7.2,debug,arm64}
[ "$mode" = clients ] && lines=${KERNELS:-6.1,5.10,6.12,7.2}
if [ "$mode" = check ] && [[ ",$lines," == *,debug,* ]]; then
	"$top/scripts/debugkernel.sh" > "$out/debugkernel.log" 2>&1 &
	debug_pid=$!
fi
for l in ${lines//,/ }; do
	case "$l" in
	6.1|5.10|6.12|7.2|debug|arm64) ;;
	*)
		echo "unknown kernel line $l (KERNELS=6.1,5.10,6.12,7.2,debug,arm64)"
		exit 1
		;;
	esac
done
mapfile -t rows < <(matrix "$lines" "$mode")

declare -A built=()
built[6.1]="$kver $cache/dkms/memx/$version/$kver/x86_64/module/memx.ko $cache/helper/$kver/memx_helper.ko"
if [ "$mode" = check ] && [[ ",$lines," == *,6.1,* ]]; then
	echo "== lint"
	{ "$top/scripts/lint.sh" "$abi" ||
		echo "lint: FAIL lint.sh exited with an error"; } |
		sed -e 's/^lint: ok /ok /' -e 's/^lint: FAIL /not ok /' \
		    -e '/^\(not \)\{0,1\}ok /!s/^/  /' | tally_tap "[host]"
	host_check "make install into updates/ with depmod" install_check
	echo "== release tarball and Debian packages"
	host_check "make dist: the tracked files, the same bytes twice" \
		dist_check
	packages
	echo "== unit tests of the memx command (host)"
	host_unit_tests
	echo "== the memx command on hostile input: tests and fuzzing (host)"
	host_fuzz
fi

# Each line's builds, once, in the table's order: DKMS for Debian 12's
# kernels, prepare for every other line.
for r in "${rows[@]}"; do
	read -r _ l _ <<< "$r"
	[ -n "${built[$l]+set}" ] && continue
	built[$l]=
	if [ "$l" = 6.1-rt ]; then
		prepare_dkms "$abi-rt-amd64" &&
			built[$l]="$abi-rt-amd64"
		continue
	fi
	built_kver=
	host_check "memx and helper build for $l with W=1, no warnings" \
		prepare "$l"
	[ -n "$built_kver" ] &&
		built[$l]="$built_kver $built_memx $built_helper"
	# memx-dkms in the bullseye root, as Debian 11 users get it.
	if [ "$l" = 5.10 ] && [ "$mode" = check ]; then
		if [ -n "$built_kver" ] && [ -n "${debs_made:-}" ]; then
			pkgtest "$built_kver" "$out/deb/memx-$l.ko" bullseye
		else
			echo "ok memx-dkms in a bullseye root # SKIP no packages: the 6.1 line makes them (KERNELS)" |
				tally_tap "[host]"
		fi
	fi
done

# Every row whose line built, one boot after the other: two side by side
# took longer than the two in a row (TCG vCPUs that wait for a lock held
# by a vCPU the host has descheduled; docs/testing.md).
for r in "${rows[@]}"; do
	read -r _ l _ <<< "$r"
	[ -n "${built[$l]}" ] && { run_row "$r" || true; }
done

if awk '$2 > 0 {bad = 1} END {exit !bad}' "$MEMX_TALLY"; then
	echo "== what failed"
	# each failure with the diagnostic lines its test printed under it
	awk '/^\[[^]]*\] (not ok |BOOT FAILED)/ {why = $1; print; next}
	     $1 == why && $2 == "#" && /^[^#]*#   / {print; next}
	     {why = ""}' "$out/check.log" | cut -c1-300
fi
closing_line
