#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`, second boot: all System RAM through `memx dump`, LiME
# (format=lime timeout=0) and a copy out of /proc/kcore, to /dev/null and to
# a folder shared with the host (/dumps, 9p).  Times from /proc/uptime.

total=$(/tests/memx map | sed -n 's/.*(\([0-9]*\) bytes)$/\1/p')
now() { cut -d' ' -f1 /proc/uptime; }

# run NAME DEST CMD...: one timed run; its MB/s also into /tmp/rate-NAME
run() {
	name=$1 dest=$2
	shift 2
	[ "$dest" = /dev/null ] || rm -f "$dest"
	sync
	t0=$(now)
	"$@" > /tmp/out 2>&1 || { echo "$name failed:"; cat /tmp/out; }
	sync
	t1=$(now)
	awk -v n="$name" -v d="$dest" -v b="$total" -v a="$t0" -v z="$t1" \
		'BEGIN { printf "%-20s %-16s %6.1f s %6.0f MB/s\n", n, d, \
			 z - a, b / 1e6 / (z - a) }' | tee /tmp/line
	awk '{ print $(NF - 1) }' /tmp/line > "/tmp/rate-$(echo "$name" | tr ' /' '__')"
}

echo "dump of all System RAM ($total bytes), one run each:"
for dest in /dev/null /dumps/bench.out; do
	run "memx dump" "$dest" /tests/memx dump -o "$dest" --format lime
	m=$(cat /tmp/rate-memx_dump)
	run "LiME format=lime" "$dest" \
		insmod /lime.ko "path=$dest format=lime timeout=0"
	rmmod lime
	l=$(cat /tmp/rate-LiME_format=lime)
	run "/proc/kcore copy" "$dest" /tests/memx_bench kcore "$dest"
	k=$(cat /tmp/rate-_proc_kcore_copy)
	awk -v m="$m" -v l="$l" -v k="$k" -v d="$dest" 'BEGIN {
		printf "to %s: memx dump is %.2fx LiME and %.2fx /proc/kcore\n",
		       d, m / l, m / k }'
done
rm -f /dumps/bench.out
echo "(LiME hands its kernel mapping of each page to the file's write: to"
echo " /dev/null nothing reads it, so that line does not measure a dump)"
