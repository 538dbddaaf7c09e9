#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# pkgtest.sh KVER DEBDIR MODULE_OUT [bullseye]: the Debian packages as a
# user gets them.  A minbase bookworm root with linux-headers-KVER, dkms
# and man-db is made once under the cache; each run works on a fresh copy
# of it: `apt-get install ./memx-dkms_*.deb ./memx_*.deb`, DKMS builds and
# installs memx for KVER, the module's vermagic is the kernel's own, the
# command runs, man finds both pages; the module is copied to MODULE_OUT
# (for a boot), then a purge leaves nothing of memx behind.  With
# "bullseye", the same for memx-dkms alone (the command is built for
# bookworm's libraries) in a copy of the bullseye root scripts/kernels.sh
# makes for Debian 11's 5.10 (its headers and dkms installed there).
# Prints TAP lines on standard output; exits non-zero on any failure.
set -euo pipefail

kver=$1 debs=$(cd "$2" && pwd) modout=$3 suite=${4:-bookworm}
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${MEMX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/memx}
base="$cache/$suite"
root="$cache/pkgroot-$suite"
log="$cache/run/pkgtest-$suite.log"
blog="$cache/run/bookworm-root.log"
export DEBIAN_FRONTEND=noninteractive
n=0 failed=0

tap() {	# tap NAME COMMAND...: one TAP line for COMMAND's exit status
	local name=$1
	shift
	n=$((n + 1))
	if "$@" >> "$log" 2>&1; then
		echo "ok $n $name"
	else
		echo "not ok $n $name (log: $log)"
		failed=1
	fi
}

in_root() {
	chroot "$root" "$@"
}

# The archive this machine's apt uses for bookworm, and its Acquire
# settings (proxies, a snapshot's expired Valid-Until) for the root's apt.
make_base() {
	local uri status=0

	[ -e "$base/.ready-$kver" ] && return
	if [ "$suite" = bullseye ]; then
		"$top/scripts/kernels.sh" 5.10 > /dev/null
		return
	fi
	uri=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' |
	      awk '$2 == "bookworm" { print $1; exit }')
	[ -n "$uri" ] || { echo "pkgtest: no bookworm archive in apt" >&2; exit 1; }
	echo "pkgtest: debootstrap bookworm into $base (log: $blog)" >&2
	rm -rf "$base"
	debootstrap --variant=minbase bookworm "$base" "$uri" > "$blog" 2>&1 ||
		{ tail -n 20 "$blog" >&2; exit 1; }
	apt-config dump | grep '^Acquire::' > "$base/etc/apt/apt.conf.d/99memx-host"
	# bookworm, -updates and -security: the kernel's ABI may be in any.
	apt-get indextargets --format '$(REPO_URI) $(RELEASE)' |
		awk '$2 ~ /^bookworm(-updates|-security)?$/ {
			print "deb [signed-by=" k "] " $1 " " $2 " main" }' \
			k=/usr/share/keyrings/debian-archive-keyring.gpg |
		sort -u > "$base/etc/apt/sources.list"
	mount -t proc proc "$base/proc"
	{ chroot "$base" apt-get update -qq &&
		chroot "$base" apt-get install -y -qq --no-install-recommends \
			dkms man-db "linux-headers-$kver" &&
		chroot "$base" apt-get clean; } >> "$blog" 2>&1 || status=$?
	umount "$base/proc"
	[ "$status" -eq 0 ] || { tail -n 20 "$blog" >&2; exit 1; }
	touch "$base/.ready-$kver"
}

cleanup() {
	umount "$root/proc" 2>/dev/null || true
}

# The module DKMS built has the vermagic of the kernel's own modules.
vermagic_matches() {
	local ko=$1 own mine theirs

	own=$(find "$cache/kernel/$kver/lib/modules/$kver/kernel" \
		-name '*.ko' -print -quit)
	mine=$(modinfo -F vermagic "$ko") && theirs=$(modinfo -F vermagic "$own") &&
		echo "memx: $mine; $own: $theirs" &&
		[ -n "$mine" ] && [ "$mine" = "$theirs" ]
}

manpages_found() {
	[ "$(in_root man -w 4 memx)" = /usr/share/man/man4/memx.4.gz ] &&
		[ "$(in_root man -w 8 memx)" = /usr/share/man/man8/memx.8.gz ]
}

dkms_installed() {
	in_root dkms status memx | grep -q ", $kver, x86_64: installed" &&
		[ -s "$ko" ]
}

help_runs() {
	local help

	help=$(in_root memx --help) && grep -q '^usage: memx dump ' <<< "$help"
}

nothing_left() {
	local left

	left=$(find "$root/usr/src" "$root/var/lib/dkms" "$root/lib/modules" \
		"$root/usr/sbin" "$root/usr/share/man" "$root/usr/include" \
		"$root/usr/share/memx" -iname '*memx*' 2>/dev/null)
	[ -z "$left" ] || { echo "left after purge: $left"; return 1; }
	! in_root dpkg-query -W memx memx-dkms 2>/dev/null | grep -q .
}

purge_clean() {
	local pkgs=(memx-dkms)

	[ "$suite" = bullseye ] || pkgs+=(memx)
	in_root apt-get purge -y "${pkgs[@]}" && nothing_left
}

: > "$log"
make_base
trap cleanup EXIT
rm -rf "$root"
cp -a "$base" "$root"
mount -t proc proc "$root/proc"
cp "$debs"/memx-dkms_*_all.deb "$root/tmp/"
[ "$suite" = bullseye ] || cp "$debs"/memx_*_amd64.deb "$root/tmp/"
ko="$root/lib/modules/$kver/updates/dkms/memx.ko"

tap "$suite: apt-get install ./memx-dkms_*.deb$([ "$suite" = bullseye ] ||
	echo ' ./memx_*.deb')" \
	in_root sh -c 'apt-get install -y --no-install-recommends /tmp/memx*.deb'
tap "$suite: DKMS built and installed memx for $kver on install" dkms_installed
tap "$suite: the module's vermagic is $kver's own" vermagic_matches "$ko"
if [ "$suite" != bullseye ]; then
	tap "memx --help runs (exit 0)" help_runs
	tap "man -w finds memx(4) and memx(8)" manpages_found
fi
cp "$ko" "$modout" 2>/dev/null || rm -f "$modout"
tap "$suite: apt-get purge leaves nothing of memx (/usr/src, /var/lib/dkms, /lib/modules)" \
	purge_clean
echo "1..$n"
exit $failed
