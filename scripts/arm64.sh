#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# arm64.sh LINE: make one Debian arm64 kernel ready to cross-build memx for
# and boot under qemu-system-aarch64, or (LINE "busybox") the arm64
# busybox-static, or (LINE "sysroot") the arm64 libraries the static memx
# command links, or (LINE "dbg-6.12-16k") that kernel's vmlinux with debug
# info.
#   6.1       bookworm's arm64 flavour, the ABI the x86-64 boots use
#   6.12      bookworm-security's 6.12 arm64 flavour (4K pages, 52-bit VA)
#   6.12-16k  the same line's arm64-16k flavour (16K pages)
#   5.10      Debian 11's arm64 flavour, from bullseye's last point release
#             (the security archive this machine reaches has no arm64 files)
# Packages come from this machine's Debian archive through a private apt
# configuration (its own sources, lists and cache, architectures amd64 and
# arm64), so the host's dpkg never learns of arm64.  The arm64 headers hold
# no binaries: the amd64 linux-kbuild unpacked into the same tree builds
# arm64 modules.  Prints "KVER KDIR IMAGE" (or busybox's or the sysroot's
# path).
set -euo pipefail

line=$1
cache=${MEMX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/memx}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
dir="$cache/apt/arm64"
export DEBIAN_FRONTEND=noninteractive

# The archives this machine's apt uses for bookworm and bookworm-security;
# given bullseye, the first one's bullseye.
sources() {	# sources SUITE
	apt-get indextargets --format '$(REPO_URI) $(RELEASE)' | sort -u |
		awk -v k="$keyring" -v s="$1" '$2 == "bookworm" ||
			($2 == "bookworm-security" && s == "bookworm") {
			sub("^bookworm", s, $2)
			print "deb [signed-by=" k "] " $1 " " $2 " main" }'
}

apt_arm64() {	# apt_arm64 SUITE
	[ "$1" = bookworm ] || dir="$dir-$1"
	mkdir -p "$dir/lists/partial" "$dir/archives/partial"
	sources "$1" > "$dir/sources.list"
	grep -q " $1 main" "$dir/sources.list" ||
		{ echo "arm64: no bookworm archive in apt" >&2; exit 1; }
	apt=(-o "Dir::Etc::SourceList=$dir/sources.list"
	     -o "Dir::Etc::SourceParts=$dir/none"
	     -o "Dir::State::Lists=$dir/lists"
	     -o "Dir::Cache=$dir" -o "Dir::Cache::archives=$dir/archives"
	     -o "APT::Architectures::=amd64" -o "APT::Architectures::=arm64"
	     -o APT::Sandbox::User=root -qq)
	if [ -z "$(find "$dir/lists" -name '*Packages*' -mtime -1 2>/dev/null)" ]; then
		apt-get "${apt[@]}" update >&2
	fi
}

# What package PKG depends on that matches the pattern RE.
dep() {
	apt-cache "${apt[@]}" depends "$1" |
		sed -n "s/^ *Depends: <\?\($2\)\(:[a-z0-9]*\)\?>\?$/\1/p" |
		head -n 1
}

# Download PKGS and unpack them into ROOT.
unpack() {	# unpack ROOT PKGS...
	local root=$1 dl="$1.dl" deb
	shift

	rm -rf "$root" "$dl" && mkdir -p "$root" "$dl"
	(cd "$dl" && apt-get "${apt[@]}" download "$@" >&2)
	for deb in "$dl"/*.deb; do
		dpkg -x "$deb" "$root"
	done
	rm -rf "$dl"
}

kernel() {	# kernel KV
	local kv=${1#linux-headers-} root hdr common kbuild

	root="$cache/arm64/$kv"

	if [ ! -e "$root/.ready" ]; then
		echo "arm64: unpacking $kv" >&2
		hdr=linux-headers-$kv:arm64
		common=$(dep "$hdr" 'linux-headers-[^ :]*-common')
		kbuild=$(dep "$hdr" 'linux-kbuild-[^ :]*')
		[ -n "$common" ] && [ -n "$kbuild" ] ||
			{ echo "arm64: no headers for $kv" >&2; exit 1; }
		unpack "$root" "linux-image-$kv-unsigned:arm64" "$hdr" \
			"$common" "$kbuild:amd64"
		# The headers include their -common half by absolute path.
		sed -i "s|include /usr/src/|include $root/usr/src/|" \
			"$root/usr/src/linux-headers-$kv/Makefile"
		touch "$root/.ready"
	fi
	echo "$kv $root/usr/src/linux-headers-$kv $root/boot/vmlinuz-$kv"
}

# Kernel KV's vmlinux with debug info, from its -dbg package: drgn reads
# dumps of that kernel with it on the host.  Prints its path.
dbg() {	# dbg KV
	local kv=${1#linux-headers-} vmlinux dl

	vmlinux="$cache/dbg/vmlinux-$kv" dl="$cache/dl-dbg-$kv"
	if [ ! -e "$vmlinux" ]; then
		echo "arm64: extracting vmlinux from linux-image-$kv-dbg" >&2
		rm -rf "$dl" && mkdir -p "$dl" "$cache/dbg"
		(cd "$dl" && apt-get "${apt[@]}" download \
			"linux-image-$kv-dbg:arm64" >&2)
		dpkg-deb --fsys-tarfile "$dl"/*.deb | tar -xO \
			"./usr/lib/debug/boot/vmlinux-$kv" > "$vmlinux.tmp"
		rm -rf "$dl"
		readelf -h "$vmlinux.tmp" > /dev/null
		mv "$vmlinux.tmp" "$vmlinux"
	fi
	echo "$vmlinux"
}

busybox() {
	local root="$cache/arm64/busybox"

	if [ ! -e "$root/.ready" ]; then
		unpack "$root" busybox-static:arm64
		touch "$root/.ready"
	fi
	echo "$root/bin/busybox"
}

sysroot() {
	local root="$cache/arm64/sysroot" stamp
	local pkgs="libzstd-dev liblzo2-dev libsnappy-dev zlib1g-dev nettle-dev
		    libbpf-dev libelf-dev libjson-c-dev liblzma-dev"

	# A new library in the list makes a new sysroot.
	stamp="$root/.ready-$(echo $pkgs | cksum | cut -d' ' -f1)"
	if [ ! -e "$stamp" ]; then
		# shellcheck disable=SC2046
		unpack "$root" $(printf '%s:arm64 ' $pkgs)
		touch "$stamp"
	fi
	echo "$root"
}

case "$line" in
5.10) apt_arm64 bullseye ;;
*) apt_arm64 bookworm ;;
esac
case "$line" in
5.10) kernel "$(dep linux-headers-arm64:arm64 'linux-headers-[^ :]*')" ;;
6.1) kernel "$(dep linux-headers-arm64:arm64 'linux-headers-[^ :]*')" ;;
6.12) kernel "$(dep linux-headers-6.12-arm64:arm64 'linux-headers-[^ :]*')" ;;
6.12-16k)
	kernel "$(dep linux-headers-6.12-arm64-16k:arm64 'linux-headers-[^ :]*')"
	;;
dbg-6.12-16k)
	dbg "$(dep linux-headers-6.12-arm64-16k:arm64 'linux-headers-[^ :]*')"
	;;
busybox) busybox ;;
sysroot) sysroot ;;
*) echo "arm64: unknown line $line" >&2; exit 1 ;;
esac
