#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kernels.sh LINE: make one more kernel line ready to build for and boot,
# or (LINE "debuggers") sid's crash and drgn ready in the sid root, or
# (LINE "dbg-LINE") that line's vmlinux with debug info.  A line is one row
# of the table below: the newest -amd64 kernel of its suite, through a
# private apt configuration under the cache (never the host's sources),
#   root  built in a chroot: a minbase root of the suite made with
#         debootstrap, its headers and compiler installed there (and the
#         row's packages: sparse, which check.sh then runs, and dkms for
#         scripts/pkgtest.sh), the image and modules unpacked under the
#         cache
#   host  built on the host (gcc-12): headers, -common, linux-kbuild and
#         the image unpacked with dpkg -x under the cache
# The archive's address comes from this machine's apt configuration, the
# newest version of each line from the archive, both at run time.
# Prints "KVER KDIR ROOT VMLINUZ" (ROOT is / when building on the host).
set -euo pipefail

# line	suite			security	built	also in the root
lines='
5.10	bullseye		security	root	sparse,dkms
6.12	bookworm-backports	-		host	-
7.2	sid			-		root	-
'

line=$1
cache=${MEMX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/memx}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
export DEBIAN_FRONTEND=noninteractive

# The Debian archive this machine's apt uses for bookworm, or given
# "-security" for bookworm-security.
archive() {
	apt-get indextargets --format '$(REPO_URI) $(RELEASE)' |
		awk -v r="bookworm${1:-}" '$2 == r { print $1; exit }'
}

# The sources.list lines of SUITE, and of its security suite if it has one.
sources() {	# sources SUITE [security]
	local uri

	uri=$(archive)
	[ -n "$uri" ] || { echo "kernels: no bookworm archive in apt" >&2; exit 1; }
	echo "deb [signed-by=$keyring] $uri $1 main"
	[ -z "${2:-}" ] && return
	uri=$(archive -security)
	[ -n "$uri" ] || { echo "kernels: no security archive in apt" >&2; exit 1; }
	echo "deb [signed-by=$keyring] $uri $1-security main"
}

# Private apt state for one suite: apt_suite SUITE [security] -> sets $apt
# (options).
apt_suite() {
	local dir="$cache/apt/$1"

	mkdir -p "$dir/lists/partial" "$dir/archives/partial"
	sources "$@" > "$dir/sources.list"
	apt=(-o "Dir::Etc::SourceList=$dir/sources.list"
	     -o "Dir::Etc::SourceParts=$dir/none"
	     -o "Dir::State::Lists=$dir/lists"
	     -o "Dir::Cache=$dir" -o "Dir::Cache::archives=$dir/archives"
	     -o APT::Sandbox::User=root -qq)
	# Refresh at most daily, so the newest version is found.
	if [ -z "$(find "$dir/lists" -name '*Packages*' -mtime -1 2>/dev/null)" ]; then
		apt-get "${apt[@]}" update >&2
	fi
}

# The ABI name linux-headers-amd64 points at in the suite (7.2.13+deb14).
newest_abi() {
	apt-cache "${apt[@]}" depends linux-headers-amd64 |
		sed -n 's/^ *Depends: linux-headers-\(.*\)-amd64$/\1/p' | head -n 1
}

# Line LINE's row: sets $suite, $security (empty or "security"), $built and
# $also (packages); then the suite's newest kernel: $abi and $kv.
line_row() {	# line_row LINE
	local l

	read -r l suite security built also < <(echo "$lines" |
		awk -v l="$1" '$1 == l') || true
	if [ -z "${l:-}" ]; then
		echo "kernels: unknown line $1" >&2
		exit 1
	fi
	[ "$security" = - ] && security=
	[ "$also" = - ] && also=
	also=${also//,/ }
	# shellcheck disable=SC2086 # empty or "security"
	apt_suite "$suite" $security
	abi=$(newest_abi)
	kv=$abi-amd64
}

# A line built on the host: its packages unpacked under the cache.
line_host() {
	local root="$cache/kernel/$kv" deb dl

	if [ ! -e "$root/.ready" ]; then
		echo "kernels: unpacking $kv" >&2
		rm -rf "$root" "$cache/dl-$kv" && mkdir -p "$root" "$cache/dl-$kv"
		dl="$cache/dl-$kv"
		(cd "$dl" && apt-get "${apt[@]}" download "linux-image-$kv" \
			"linux-headers-$kv" "linux-headers-$abi-common" \
			"linux-kbuild-$abi" >&2)
		for deb in "$dl"/*.deb; do
			dpkg -x "$deb" "$root"
		done
		rm -rf "$dl"
		# The headers include their -common half by absolute path.
		sed -i "s|include /usr/src/|include $root/usr/src/|" \
			"$root/usr/src/linux-headers-$kv/Makefile"
		touch "$root/.ready"
	fi
	echo "$kv $root/usr/src/linux-headers-$kv / $root/boot/vmlinuz-$kv"
}

# A minbase root of SUITE (sid, bullseye), made once: sets $root.
deb_root() {	# deb_root SUITE DIR [security]
	root="$cache/$2"
	if [ ! -e "$root/.ready" ]; then
		command -v debootstrap > /dev/null ||
			apt-get install -y -qq --no-install-recommends debootstrap >&2
		echo "kernels: debootstrap $1 into $root" >&2
		rm -rf "$root"
		debootstrap --variant=minbase "$1" "$root" "$(archive)" \
			> "$cache/$2.log"
		sources "$1" ${3:-} > "$root/etc/apt/sources.list"
		touch "$root/.ready"
	fi
	# The root's apt follows this machine's Acquire settings (proxies,
	# a mirror snapshot's expired Valid-Until).
	if [ ! -e "$root/etc/apt/apt.conf.d/99memx-host" ]; then
		apt-config dump | grep '^Acquire::' \
			> "$root/etc/apt/apt.conf.d/99memx-host"
	fi
}

# KV's vmlinux with debug info, from its -dbg package in the suite $apt
# points at, given a .gdb_index (crash loads it in seconds, not minutes);
# prints its path.
dbg_vmlinux() {	# dbg_vmlinux KV
	local kv=$1 vmlinux="$cache/dbg/vmlinux-$1" dl="$cache/dl-dbg-$1"

	if [ ! -e "$vmlinux" ]; then
		echo "kernels: extracting vmlinux from linux-image-$kv-dbg" >&2
		rm -rf "$dl" && mkdir -p "$dl" "$cache/dbg"
		(cd "$dl" && apt-get "${apt[@]}" download "linux-image-$kv-dbg" >&2)
		# The one regular file of its names: boot/vmlinux-KV on 6.12,
		# lib/modules/KV/vmlinux (boot/ a symlink to it) on 7.2.
		dpkg-deb --fsys-tarfile "$dl"/*.deb | tar -xO --wildcards \
			"./usr/lib/debug/*vmlinux*" > "$vmlinux.tmp"
		rm -rf "$dl"
		readelf -h "$vmlinux.tmp" > /dev/null
		gdb-add-index "$vmlinux.tmp" >&2
		mv "$vmlinux.tmp" "$vmlinux"
	fi
	echo "$vmlinux"
}

# A line built in a chroot: kernel $kv of the suite $apt points at, its
# headers, compiler and the row's packages installed in a minbase root of
# the suite, its image and modules unpacked under the cache (the modules where
# the host's depmod looks for them): the image package's own files, or,
# where it is a meta package (sid), its linux-binary and linux-modules.
line_root() {
	local dl="$cache/dl-$kv" root deb pkgs

	# shellcheck disable=SC2086 # empty or "security"
	deb_root "$suite" "$suite" $security
	if [ ! -e "$root/.ready-$kv" ]; then
		echo "kernels: installing linux-headers-$kv in $root" >&2
		chroot "$root" apt-get update -qq >&2
		# shellcheck disable=SC2086 # the row's packages, one a word
		chroot "$root" apt-get install -y -qq --no-install-recommends \
			make $also "linux-headers-$kv" >&2
		touch "$root/.ready-$kv"
	fi
	if [ ! -e "$cache/kernel/$kv/.modules" ]; then
		echo "kernels: unpacking the image and modules of $kv" >&2
		pkgs=$(apt-cache "${apt[@]}" depends "linux-image-$kv" |
			sed -n "s/^ *Depends: \(linux-\(binary\|modules\)-$kv\)$/\1/p")
		rm -rf "$dl" "$cache/kernel/$kv" &&
			mkdir -p "$dl" "$cache/kernel/$kv"
		# shellcheck disable=SC2086 # the package names, one a word
		(cd "$dl" && apt-get "${apt[@]}" download "linux-image-$kv" \
			$pkgs >&2)
		for deb in "$dl"/*.deb; do
			dpkg -x "$deb" "$cache/kernel/$kv"
		done
		rm -rf "$dl"
		[ -e "$cache/kernel/$kv/lib" ] ||
			ln -s usr/lib "$cache/kernel/$kv/lib"
		touch "$cache/kernel/$kv/.modules"
	fi
	echo "$kv /usr/src/linux-headers-$kv $root" \
		"$(find "$cache/kernel/$kv" -name 'vmlinuz*' | head -n 1)"
}

# sid's crash, drgn and strace in the sid root, for the clients boot.
debuggers() {
	local root pkgs=(crash python3-drgn strace)

	deb_root sid sid
	if [ "$(chroot "$root" dpkg-query -W -f '${db:Status-Status}\n' \
		"${pkgs[@]}" 2>/dev/null | grep -cx installed)" != ${#pkgs[@]} ]; then
		echo "kernels: installing ${pkgs[*]} in the sid root" >&2
		{ chroot "$root" apt-get update -qq &&
			chroot "$root" apt-get install -y -qq \
				--no-install-recommends "${pkgs[@]}"; } \
			> "$cache/sid-debuggers.log" 2>&1 ||
			{ tail -n 20 "$cache/sid-debuggers.log" >&2; exit 1; }
	fi
	echo "$root"
}

case "$line" in
debuggers)
	debuggers
	;;
dbg-*)
	line_row "${line#dbg-}"
	dbg_vmlinux "$kv"
	;;
*)
	line_row "$line"
	"line_$built"
	;;
esac
