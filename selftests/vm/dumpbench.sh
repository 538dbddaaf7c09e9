#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`, second boot: all System RAM through `memx dump` (raw, LiME's
# format, and kdump with zstd by one and by two threads), LiME (format=lime
# timeout=0, then compress=1) and a copy out of /proc/kcore, to /dev/null
# and then to a folder shared with the host (/dumps, 9p), one run each
# after one untimed dump; then memx isf.  Times from /proc/uptime, sizes
# from the files.
# Nothing is written inside the guest: a dump's pages freed afterwards
# would hold its bytes, and the next dumps would store them.

total=$(/tests/memx map | sed -n 's/.*(\([0-9]*\) bytes)$/\1/p')
now() { cut -d' ' -f1 /proc/uptime; }

# run NAME DEST CMD...: one timed run; its time also into /tmp/t-NAME
run() {
	name=$1 dest=$2 size=-
	shift 2
	[ "$dest" = /dev/null ] || rm -f "$dest"
	sync
	t0=$(now)
	"$@" > /tmp/out 2>&1 || { echo "$name failed:"; cat /tmp/out; }
	sync
	t1=$(now)
	[ -f "$dest" ] && size=$(($(stat -c %s "$dest") / 1048576))
	awk -v n="$name" -v d="$dest" -v b="$total" -v a="$t0" -v z="$t1" \
	    -v s="$size" 'BEGIN {
		printf "| %s | %s | %.1f s | %.0f MB/s | %s |\n", n, d, z - a,
		       b / 1e6 / (z - a), s == "-" ? "-" : s " MiB (" \
		       int(s * 104857600 / b + 0.5) "%)" }'
	echo "$t1 $t0" | awk '{ print $1 - $2 }' > "/tmp/t-$(echo "$name" | tr -c 'a-z0-9\n' _)"
	[ "$dest" = /dev/null ] || rm -f "$dest"
}

t() { cat "/tmp/t-$(echo "$1" | tr -c 'a-z0-9\n' _)"; }

/tests/memx dump -o /dev/null > /dev/null 2>&1
echo "dump of all System RAM ($total bytes), one run each:"
echo "| dump | to | time | rate | size (of RAM) |"
echo "|---|---|---|---|---|"
for to in /dev/null /dumps; do
	if [ $to = /dev/null ]; then out=/dev/null where=null; else out=/dumps/out where=9p; fi
	run "memx raw $where" "$out" /tests/memx dump -o "$out"
	run "memx lime $where" "$out" /tests/memx dump -o "$out" --format lime
	for j in 1 2; do
		run "memx kdump zstd -j $j $where" "$out" \
			/tests/memx dump -o "$out" --format kdump -j $j
	done
	run "memx kdump zstd -j 2 --exclude 31 $where" "$out" \
		/tests/memx dump -o "$out" --format kdump -j 2 --exclude 31
	run "LiME format=lime $where" "$out" \
		insmod /lime.ko "path=$out format=lime timeout=0"
	rmmod lime
	run "LiME format=lime compress=1 $where" "$out" \
		insmod /lime.ko "path=$out format=lime timeout=0 compress=1"
	rmmod lime
	run "/proc/kcore copy $where" "$out" /tests/memx_bench kcore "$out"
	awk -v r="$(t "memx raw $where")" -v j1="$(t "memx kdump zstd -j 1 $where")" \
	    -v j2="$(t "memx kdump zstd -j 2 $where")" -v m="$(t "memx lime $where")" \
	    -v l="$(t "LiME format=lime $where")" -v k="$(t "/proc/kcore copy $where")" \
	    -v w="$to" 'BEGIN {
		printf "to %s: kdump zstd -j 2 took %.2fx the raw dump'"'"'s time ", w, j2 / r
		printf "(-j 1: %.2fx); memx lime is %.2fx LiME and %.2fx /proc/kcore\n",
		       j1 / r, l / m, k / m }'
done
echo "(LiME returns at once to /dev/null, with or without compress=1:"
echo " those lines do not measure a dump)"

# memx isf: the kernel's symbol table for Volatility 3, plain and through
# xz, to the host's folder (as memx dump --isf writes it next to a dump).
echo
echo "memx isf (the kernel's ISF for Volatility 3) to 9p, one run each:"
echo "| isf | time | size |"
echo "|---|---|---|"
for f in isf.json isf.json.xz; do
	sync
	t0=$(now)
	/tests/memx isf -o "/dumps/$f" > /tmp/out 2>&1 ||
		{ echo "memx isf -o $f failed:"; cat /tmp/out; }
	sync
	t1=$(now)
	echo "| $f | $(echo "$t1 $t0" | awk '{ printf "%.1f s", $1 - $2 }') |" \
	     "$(stat -c %s "/dumps/$f" 2>/dev/null || echo -) bytes |"
	rm -f "/dumps/$f"
done
