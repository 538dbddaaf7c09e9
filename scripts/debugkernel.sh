#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# debugkernel.sh: the debug kernel of `make check`, built once.
# Debian's linux-source-6.12 (the newest in the archive), `make tinyconfig`
# plus selftests/debug/kernel.config (KASAN, KFENCE, lockdep,
# DEBUG_ATOMIC_SLEEP, DEBUG_PAGEALLOC, DEBUG_VM, DEBUG_VIRTUAL, DEBUG_LIST
# on a minimal base), built under $MEMX_CACHE/debug/<source version>-<fragment hash>, so a second
# run reuses it.  Prints "KVER KDIR BZIMAGE" (KDIR: the tree modules build
# against).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${MEMX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/memx}
frag="$top/selftests/debug/kernel.config"
jobs=$(nproc)
export DEBIAN_FRONTEND=noninteractive

missing=()
for p in flex bison libelf-dev bc; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "debugkernel: installing ${missing[*]}" >&2
	apt-get update -qq >&2
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

mkdir -p "$cache/debug"
version=$(apt-cache show linux-source-6.12 | sed -n 's/^Version: //p' |
	  sort -V | tail -n 1)
[ -n "$version" ] || { echo "debugkernel: no linux-source-6.12" >&2; exit 1; }
key="$version-$(sha256sum "$frag" | cut -c1-12)"
out="$cache/debug/$key"

# The source, unpacked once per version.
src="$cache/debug/src-$version"
if [ ! -e "$src/.ready" ]; then
	echo "debugkernel: unpacking linux-source-6.12 $version" >&2
	rm -rf "$src" "$cache/debug/dl" && mkdir -p "$src" "$cache/debug/dl"
	(cd "$cache/debug/dl" && apt-get download -qq -o APT::Sandbox::User=root \
		"linux-source-6.12=$version" >&2)
	dpkg-deb --fsys-tarfile "$cache/debug/dl"/*.deb |
		tar -xO ./usr/src/linux-source-6.12.tar.xz |
		tar -xJ -C "$src" --strip-components=1
	rm -rf "$cache/debug/dl"
	touch "$src/.ready"
fi

kmake() {
	make -s -C "$src" O="$out/build" ARCH=x86_64 "$@"
}

if [ ! -e "$out/.ready" ]; then
	echo "debugkernel: building $key (logs in $out/build.log)" >&2
	# Older sources and builds go: one of each is kept.
	for d in "$cache/debug"/*; do
		[ "$d" = "$src" ] || [ "$d" = "$out" ] || rm -rf "$d"
	done
	rm -rf "$out" && mkdir -p "$out/build"
	start=$(date +%s)
	{
		kmake tinyconfig
		"$src/scripts/kconfig/merge_config.sh" -m -O "$out/build" \
			"$out/build/.config" "$frag"
		kmake olddefconfig
	} > "$out/build.log" 2>&1
	# Every option asked for must have survived olddefconfig.
	lost=$(grep '^CONFIG_' "$frag" | while IFS= read -r opt; do
		grep -qx "$opt" "$out/build/.config" || echo "$opt"
	done)
	if [ -n "$lost" ]; then
		echo "debugkernel: options lost by olddefconfig:" "$lost" >&2
		exit 1
	fi
	kmake -j"$jobs" bzImage modules >> "$out/build.log" 2>&1 ||
		{ tail -n 30 "$out/build.log" >&2; exit 1; }
	echo "debugkernel: built in $(( $(date +%s) - start )) s" >&2
	echo "$(( $(date +%s) - start ))" > "$out/build-seconds"
	touch "$out/.ready"
fi
echo "$(kmake kernelrelease) $out/build $out/build/arch/x86/boot/bzImage"
