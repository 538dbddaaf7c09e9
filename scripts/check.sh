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

# A newer line: W=1 builds of memx and the helper, and its initramfs;
# sets built_kver.
prepare_line() {
	local k kdir root vmlinuz memx helper

	read -r k kdir root vmlinuz < <("$top/scripts/kernels.sh" "$1") || true
	# Guard every path: an empty root would mount over the host's /proc.
	if [ -z "$k" ] || [ -z "$root" ] || [ ! -d "$root$kdir" ] ||
	   [ ! -f "$vmlinuz" ]; then
		echo "kernel line $1 is not ready (scripts/kernels.sh failed)" >&2
		return 1
	fi
	echo "== building memx for $k (W=1)"
	memx=$(kbuild "$k" "$kdir" "$root" memx "$top/Kbuild" "$top/src" \
		"$top/include") || return 1
	helper=$(kbuild "$k" "$kdir" "$root" memx_helper \
		"$top/selftests/helper/"*) || return 1
	mkdir -p "$cache/kernel/$k/boot"
	[ -e "$cache/kernel/$k/boot/vmlinuz-$k" ] ||
		cp "$vmlinuz" "$cache/kernel/$k/boot/vmlinuz-$k"
	"$top/selftests/vm/mkinitramfs.sh" "$out/$k.cpio.gz" "$memx" \
		"$helper" "$out/tests"
	built_kver=$k built_memx=$memx built_helper=$helper
}

# An arm64 kernel LINE (scripts/arm64.sh): W=1 cross builds of memx and
# the helper, and its initramfs with arm64's busybox, selftests and memx
# command, and the virtio console the results go to when the kernel does
# not build it in; sets built_kver.
prepare_arm64() {
	local k kdir image memx helper tests="$out/tests-arm64"
	# CC: the host's cross gcc, also for 5.10, whose headers name the
	# gcc-10 it was built with (not in Debian 12).
	local MEMX_CROSS="ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- CC=aarch64-linux-gnu-gcc"

	read -r k kdir image < <("$top/scripts/arm64.sh" "$1") || true
	if [ -z "$k" ] || [ ! -d "$kdir" ] || [ ! -f "$image" ]; then
		echo "arm64 kernel $1 is not ready (scripts/arm64.sh failed)" >&2
		return 1
	fi
	echo "== building memx for $k (arm64, W=1)"
	memx=$(kbuild "$k" "$kdir" / memx "$top/Kbuild" "$top/src" \
		"$top/include") || return 1
	helper=$(kbuild "$k" "$kdir" / memx_helper \
		"$top/selftests/helper/"*) || return 1
	make -s -C "$top/selftests" KSFT="$cache/kselftest" OUT="$tests" \
		CC=aarch64-linux-gnu-gcc arm64 && arm64_tool "$tests/memx" ||
		return 1
	MEMX_BUSYBOX=$("$top/scripts/arm64.sh" busybox) \
		"$top/selftests/vm/mkinitramfs.sh" "$out/$k.cpio.gz" "$memx" \
		"$helper" "$tests" "${image%/boot/*}" "$k" virtio_pci \
		virtio_console 9pnet_virtio 9p || return 1
	mkdir -p "$cache/kernel/$k/boot"
	cp "$image" "$cache/kernel/$k/boot/vmlinuz-$k"
	built_kver=$k
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

# The debug kernel (KASAN, lockdep, ...): W=1 builds of memx and the helper
# against it, and its initramfs; sets built_kver.
prepare_debug() {
	local k kdir bzimage memx helper

	# Started in the background at the beginning (below): its build
	# overlaps the downloads and root file systems a cold run makes.
	[ -n "${debug_pid:-}" ] && { wait "$debug_pid" || true; }
	read -r k kdir bzimage < <("$top/scripts/debugkernel.sh") || true
	if [ -z "$k" ] || [ ! -d "$kdir" ] || [ ! -f "$bzimage" ]; then
		echo "the debug kernel is not ready (scripts/debugkernel.sh failed)" >&2
		return 1
	fi
	echo "== building memx for the debug kernel $k (W=1)"
	memx=$(kbuild "$k" "$kdir" / memx "$top/Kbuild" "$top/src" \
		"$top/include") || return 1
	helper=$(kbuild "$k" "$kdir" / memx_helper \
		"$top/selftests/helper/"*) || return 1
	mkdir -p "$cache/kernel/$k/boot"
	cp "$bzimage" "$cache/kernel/$k/boot/vmlinuz-$k"
	"$top/selftests/vm/mkinitramfs.sh" "$out/$k.cpio.gz" "$memx" \
		"$helper" "$out/tests"
	built_kver=$k
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
package_boot() {
	"$top/selftests/vm/mkinitramfs.sh" "$out/package.cpio.gz" "$pkg_ko" \
		"$cache/helper/$kver/memx_helper.ko" "$out/tests"
	MEMX_KERNEL="$cache/kernel/$kver/boot/vmlinuz-$kver" \
	MEMX_INITRAMFS="$out/package.cpio.gz" MEMX_OUT="$out" MEMX_CPU=qemu64 \
		"$run" package test memx_module_test,memx_rw_test ""
}

# The test kernel with hot-added memory: a virtio-mem device, 192 MiB
# plugged (one memory block and half of the next), its driver in the
# initramfs and its memory onlined as it comes (memx_mmap_test's
# driver-managed RAM check); a 128 MiB pc-dimm that ACPI adds with
# memmap_on_memory (the whole-block revocation check, which ejects it).
hotplug_boot() {
	"$top/selftests/vm/mkinitramfs.sh" "$out/hotplug.cpio.gz" \
		"$cache/dkms/memx/$version/$kver/x86_64/module/memx.ko" \
		"$cache/helper/$kver/memx_helper.ko" "$out/tests" \
		"$cache/kernel/$kver" "$kver" virtio_pci virtio_mem
	MEMX_KERNEL="$cache/kernel/$kver/boot/vmlinuz-$kver" \
	MEMX_INITRAMFS="$out/hotplug.cpio.gz" MEMX_OUT="$out" MEMX_CPU=max \
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
clients_boot() {	# clients_boot NAME KVER MEMX_KO HELPER_KO VMLINUX WHICH
	local name=$1 k=$2 memx=$3 helper=$4 vmlinux=$5 which=$6 sid=
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
	MEMX_INITRAMFS="$out/$name.cpio.gz" MEMX_OUT="$out" MEMX_CPU=${MEMX_CPU:-qemu64} \
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

clients() {
	echo "== boot clients: crash and drgn on $kver through memx"
	clients_boot clients "$kver" \
		"$cache/dkms/memx/$version/$kver/x86_64/module/memx.ko" \
		"$cache/helper/$kver/memx_helper.ko" "$cache/dbg/vmlinux-$kver" all
}

# crash and drgn on another line (sid's, or with WHICH "lts" Debian 12's),
# with the memx and helper prepare_line built for it.
clients_line() {	# clients_line LINE KVER MEMX_KO HELPER_KO [WHICH]
	local vmlinux

	echo "== boot clients-$1: crash and drgn (${5:-sid}) on $2 through memx"
	vmlinux=$("$top/scripts/kernels.sh" "dbg-$1") ||
		{ host_fail "the $1 line's vmlinux with debug info"; return 1; }
	clients_boot "clients-$1" "$2" "$3" "$4" "$vmlinux" "${5:-sid}"
}

# A host-side failure that is not a TAP line of its own.
host_fail() {
	tally_fail "[host]" "$1"
}

# The debugger boots, one after the other: 6.1's clients and dump boots
# (with "6.1" first), then each line's, oldest first.  Two side by side
# took longer than one after the other: crash's gdb workers and drgn's
# indexing threads keep both cores busy.
debugger_boots() {	# debugger_boots 6.1|- "LINE KVER MEMX_KO HELPER_KO [WHICH]"...
	local with61=$1 c l k memx helper which

	shift
	if [ "$with61" = 6.1 ]; then
		clients || true
		dump_e2e || true
	fi
	for c in "$@"; do
		read -r l k memx helper which <<< "$c"
		clients_line "$l" "$k" "$memx" "$helper" "$which" || true
	done
}

# memx dump in a 1 GiB VM to a host folder, then crash, drgn and a LiME
# parser on the host.
dump_e2e() {
	local dumps="$out/dumps"

	echo "== boot dump: memx dump to the host, opened by crash and drgn"
	rm -rf "$dumps" && mkdir -p "$dumps"
	"$top/selftests/vm/mkinitramfs.sh" "$out/dump.cpio.gz" \
		"$cache/dkms/memx/$version/$kver/x86_64/module/memx.ko" \
		"$cache/helper/$kver/memx_helper.ko" "$out/tests" \
		"$cache/kernel/$kver" "$kver" virtio_pci 9pnet_virtio 9p
	MEMX_KERNEL="$cache/kernel/$kver/boot/vmlinuz-$kver" \
	MEMX_INITRAMFS="$out/dump.cpio.gz" MEMX_OUT="$out" MEMX_CPU=qemu64 \
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
	exit
	;;
clients)
	lines=()
	for l in 5.10 6.12 7.2; do
		built_kver= which=
		[ "$l" = 5.10 ] && which=lts
		if prepare_line "$l"; then
			lines+=("$l $built_kver $built_memx $built_helper $which")
		else
			host_fail "the $l line builds"
		fi
	done
	debugger_boots 6.1 "${lines[@]}"
	closing_line
	exit
	;;
esac

lines=${KERNELS:-6.1,5.10,6.12,7.2,debug,arm64}
if [[ ",$lines," == *,debug,* ]]; then
	"$top/scripts/debugkernel.sh" > "$out/debugkernel.log" 2>&1 &
	debug_pid=$!
fi
# The memx command is user space: its tests run in the main boot only, but
# for --exclude's, which read the struct page layout of each kernel.
all=memx_module_test,memx_rw_test,memx_mmap_test,memx_compat32_test,memx_exclude_test,memx_cpu_test
# arm64: no 32-bit ABI test and no CPU registers (MEMX_IOC_CPU_REGS is
# x86-64's); the memx command's VM tests run there too.
arm64_tests=memx_module_test,memx_rw_test,memx_mmap_test,memx_tool_test
boots=() clients_lines=()
for l in ${lines//,/ }; do
	case "$l" in
	6.1)
		prepare_dkms "$abi-rt-amd64"
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
		# name, kernel, CPU (max: 5-level paging), tests, memx params;
		# memx_policy_test raises lockdown for good: it runs last.
		boots+=("main $kver max $all,memx_tool_test,memx_stress -"
			"policy $kver qemu64 memx_rw_test,memx_mmap_test,memx_compat32_test,memx_cpu_test,memx_policy_test writable=1"
			"rt $abi-rt-amd64 max $all -")
		;;
	5.10)
		built_kver=
		host_check "memx and helper build for $l with W=1 and sparse, no warnings" \
			prepare_line "$l"
		# memx-dkms in the bullseye root, as Debian 11 users get it.
		if [ -n "$built_kver" ] && [ -n "${debs_made:-}" ]; then
			pkgtest "$built_kver" "$out/deb/memx-$l.ko" bullseye
		else
			echo "ok memx-dkms in a bullseye root # SKIP no packages: the 6.1 line makes them (KERNELS)" |
				tally_tap "[host]"
		fi
		[ -n "$built_kver" ] &&
			boots+=("linux-$l $built_kver max $all,memx_tool_test,memx_stress -") &&
			clients_lines+=("$l $built_kver $built_memx $built_helper lts")
		;;
	6.12|7.2)
		built_kver=
		host_check "memx and helper build for $l with W=1, no warnings" \
			prepare_line "$l"
		[ -n "$built_kver" ] &&
			boots+=("linux-$l $built_kver max $all,memx_stress -") &&
			clients_lines+=("$l $built_kver $built_memx $built_helper")
		;;
	debug)
		built_kver=
		host_check "the debug kernel, and memx and helper for it with W=1" \
			prepare_debug
		[ -n "$built_kver" ] &&
			boots+=("debug $built_kver max $all,memx_stress - debug_pagealloc=on")
		;;
	arm64)
		# 6.1, 6.12 and 5.10 at 4K pages, 6.12 at 16K; 6.12's 52-bit
		# VA (LPA2) under max, its 48-bit fallback under cortex-a57.
		for a in "6.1 max,pauth-impdef=on" "6.12 max,pauth-impdef=on" \
			 "6.12-16k max,pauth-impdef=on" \
			 "5.10 max,pauth-impdef=on"; do
			read -r al acpu <<< "$a"
			built_kver=
			host_check "memx and helper cross-build for arm64 $al with W=1, no warnings" \
				prepare_arm64 "$al"
			[ -n "$built_kver" ] || continue
			# 16K: --exclude's page classes, and a kdump the host
			# opens (pagesize_check).
			tests=$arm64_tests extra=
			if [ "$al" = 6.12-16k ]; then
				tests+=,memx_exclude_test extra=memxt_dumps=1
			fi
			boots+=("arm64-$al $built_kver $acpu $tests - $extra")
			# 48-bit: the walk's tests (the memx command's are the
			# 52-bit boot's, on the same kernel).
			[ "$al" = 6.12 ] &&
				boots+=("arm64-6.12-48bit $built_kver cortex-a57 ${arm64_tests%,memx_tool_test} -")
		done
		;;
	*)
		echo "unknown kernel line $l (KERNELS=6.1,5.10,6.12,7.2,debug,arm64)"
		exit 1
		;;
	esac
done

for b in "${boots[@]}"; do
	read -r name k cpu tests params extra <<< "$b"
	[ "$params" = - ] && params=
	echo "== boot $name: $k cpu=$cpu tests=$tests params=${params:-none}"
	boot "$name" "$k" "$cpu" test "$tests" "$params" "$extra" || true
	if [ "$name" = arm64-6.12-16k ]; then
		pagesize_check "$name" || true
	fi
done
if [ -n "${pkg_ko:-}" ]; then
	echo "== boot package: $kver with memx from the installed memx-dkms"
	package_boot || true
fi
with61=-
if [[ ",$lines," == *,6.1,* ]]; then
	echo "== boot hotplug: $kver with a virtio-mem device and a pc-dimm"
	hotplug_boot || true
	with61=6.1
fi
debugger_boots "$with61" "${clients_lines[@]}"

if awk '$2 > 0 {bad = 1} END {exit !bad}' "$MEMX_TALLY"; then
	echo "== what failed"
	grep -aE '^\[[^]]*\] (not ok |BOOT FAILED)' "$out/check.log" | cut -c1-300
fi
closing_line
