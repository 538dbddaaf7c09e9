#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what memx's build and tests need on Debian 12, idempotently:
# host packages through apt (headers of the -amd64, -cloud-amd64 and
# -rt-amd64 flavours), the -amd64 and -rt-amd64 test kernels unpacked (never
# installed) into the cache, and the kselftest harness headers and
# checkpatch from linux-source-6.1.
# With "clients": also crash, python3-drgn, makedumpfile and the -amd64
# kernel's vmlinux with debug info (from the -dbg package, given a
# .gdb_index).
# Prints the -amd64 kernel version it settled on on its last line.
set -euo pipefail

cache=${MEMX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/memx}
mkdir -p "$cache"
export DEBIAN_FRONTEND=noninteractive

updated=
apt_update() {
	[ -n "$updated" ] && return
	echo "deps: apt-get update" >&2
	apt-get update -qq >&2
	updated=1
}

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# The kernel: chosen once, from what linux-headers-amd64 points at.
if [ ! -s "$cache/kver" ]; then
	apt_update
	kver=$(apt-cache depends linux-headers-amd64 |
	       sed -n 's/^ *Depends: linux-headers-//p' | head -n 1)
	[ -n "$kver" ] || { echo "deps: no linux-headers-amd64 in apt" >&2; exit 1; }
echo "$kver" > "$cache/kver"
fi
kver=$(cat "$cache/kver")
abi=${kver%-amd64}

# gcc-multilib conflicts with the arm64 cross compiler: its 32-bit halves
# (lib32gcc-12-dev, libc6-dev-i386) build memx_compat32_test without it.
pkgs=(gcc lib32gcc-12-dev libc6-dev-i386 make libc6-dev qemu-system-x86
      busybox-static cpio kmod xz-utils
      gcc-aarch64-linux-gnu libc6-dev-arm64-cross libstdc++-12-dev-arm64-cross
      qemu-system-arm
      dwarves debootstrap
      dkms sparse perl "linux-headers-$abi-amd64"
      build-essential debhelper dh-dkms lintian man-db
      zlib1g-dev libzstd-dev liblzo2-dev libsnappy-dev nettle-dev
      libbpf-dev libelf-dev libjson-c-dev liblzma-dev
      clang libclang-rt-14-dev python3 flex bison bc
      "linux-headers-$abi-cloud-amd64" "linux-headers-$abi-rt-amd64")
missing=()
for p in "${pkgs[@]}"; do
	installed "$p" || missing+=("$p")
done
[ "${1:-}" = clients ] && pkgs+=(crash python3-drgn gdb makedumpfile)
if [ ${#missing[@]} -gt 0 ] || [ "${1:-}" = clients ]; then
	missing=()
	for p in "${pkgs[@]}"; do
		installed "$p" || missing+=("$p")
	done
fi
if [ ${#missing[@]} -gt 0 ]; then
	apt_update
	echo "deps: installing ${missing[*]}" >&2
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# Fetch a package's .deb into a scratch folder; prints its path.
fetch_deb() {
	local dir
	dir=$(mktemp -d "$cache/dl.XXXXXX")
	apt_update
	(cd "$dir" && apt-get download -qq -o APT::Sandbox::User=root "$1" >&2)
	ls "$dir"/*.deb
}

for k in "$abi-amd64" "$abi-rt-amd64"; do
	img="$cache/kernel/$k"
	[ -e "$img/boot/vmlinuz-$k" ] && continue
	echo "deps: unpacking linux-image-$k" >&2
	deb=$(fetch_deb "linux-image-$k")
	rm -rf "$img.tmp" && mkdir -p "$img.tmp"
	dpkg -x "$deb" "$img.tmp"
	rm -rf "$(dirname "$deb")" "$img" && mv "$img.tmp" "$img"
done

ks="$cache/kselftest"
if [ ! -e "$ks/kselftest_harness.h" ]; then
	echo "deps: extracting kselftest headers from linux-source-6.1" >&2
	deb=$(fetch_deb linux-source-6.1)
	rm -rf "$ks.tmp" && mkdir -p "$ks.tmp"
	dpkg-deb --fsys-tarfile "$deb" |
		tar -xO ./usr/src/linux-source-6.1.tar.xz |
		tar -xJ -C "$ks.tmp" --strip-components=1 \
			linux-source-6.1/tools/testing/selftests/kselftest_harness.h \
			linux-source-6.1/tools/testing/selftests/kselftest.h \
			linux-source-6.1/scripts/checkpatch.pl \
			linux-source-6.1/scripts/spelling.txt \
			linux-source-6.1/scripts/const_structs.checkpatch
	mkdir -p "$ks"
	mv "$ks.tmp"/tools/testing/selftests/*.h "$ks/"
	mv "$ks.tmp"/scripts "$ks/scripts"
	rm -rf "$(dirname "$deb")" "$ks.tmp"
fi

vmlinux="$cache/dbg/vmlinux-$kver"
if [ "${1:-}" = clients ] && [ ! -e "$vmlinux" ]; then
	echo "deps: extracting vmlinux from linux-image-$kver-dbg" >&2
	deb=$(fetch_deb "linux-image-$kver-dbg")
	mkdir -p "$cache/dbg"
	dpkg-deb --fsys-tarfile "$deb" |
		tar -xO "./usr/lib/debug/boot/vmlinux-$kver" > "$vmlinux.tmp"
	rm -rf "$(dirname "$deb")"
	# crash loads a vmlinux with an index in seconds, not minutes.
	gdb-add-index "$vmlinux.tmp" >&2
	mv "$vmlinux.tmp" "$vmlinux"
fi

echo "$kver"
