#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# run.sh VMLINUX [lts]: crash and drgn reading the live kernel through memx, run
# in the test VM chrooted into the host's root (read-only over 9p, with
# /tmp a tmpfs).  Each check compares with the kernel's own view and prints
# a TAP line; diagnostics go behind "#".

vmlinux=$1 lts=${2:-}
here=$(dirname "$0")
n=0

tap() {	# tap STATUS NAME
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
	fi
}

show() {	# show FILE: the first lines of a diagnostic file
	grep -v -e '^ ' -e '^$' "$1" | tail -n 8 | sed 's/^/#   /'
}

crash_memx() {	# crash_memx [--minimal] < commands
	timeout 900 crash -s "$@" --memory_module memx \
		--memory_device /tmp/memx-crash "$vmlinux"
}

dmesg > /tmp/dmesg.txt
head -n 1 /proc/version | tr -d '\n' > /tmp/version.txt

# crash must exit by itself: a signal (a segfault) or a timeout is a failure.
crashed() {	# crashed RC
	[ "$1" -ge 124 ]
}

# Full mode.  crash 8.0.2 cannot start in full mode on Debian's 6.1.192
# kernel through any memory source: it stops with "cannot set context for
# pid" or segfaults.  /proc/kcore, the kernel's own path, is tried first,
# with the kernel's report of unhandled signals off for that probe only (a
# segfault there is crash's, and would fail the boot's console scan); when
# it fails, full mode is a skip in crash's words and memx is not tried.
# Through memx, any failure counts, a segfault above all.  With "lts"
# (5.10, where crash 8.0.2 reads the kernel), crash_check.py runs crash in
# full mode through memx, command by command, instead.
if [ -z "$lts" ]; then
	trace=/proc/sys/debug/exception-trace
	was=$(cat $trace)
	echo 0 > $trace
	echo exit | timeout 900 crash -s /proc/kcore "$vmlinux" \
		> /tmp/crash-kcore.out 2>&1
	kcore_rc=$?
	echo "$was" > $trace
	if [ $kcore_rc != 0 ]; then
		why=$(grep -m 1 -E '^crash: ' /tmp/crash-kcore.out)
		crashed $kcore_rc && why="killed by signal $((kcore_rc - 128))"
		n=$((n + 1))
		echo "ok $n crash full mode # SKIP crash fails through /proc/kcore too: ${why:-exit $kcore_rc}"
	else
		echo exit | crash_memx > /tmp/crash-full.out 2>&1
		memx_rc=$?
		tap $memx_rc "crash starts in full mode on memx (exit $memx_rc)"
		[ $memx_rc = 0 ] || show /tmp/crash-full.out
	fi
fi

# Minimal mode: rd, sym, dis and log, each against the kernel's own view.
banner=$(grep ' linux_banner$' /proc/kallsyms | cut -d' ' -f1)
cat > /tmp/crash.cmds <<'CMDS'
rd -a linux_banner
sym linux_banner
dis linux_banner 1
log
exit
CMDS
crash_memx --minimal < /tmp/crash.cmds > /tmp/crash.out 2>&1
rc=$?
tap $rc "crash --minimal runs rd, sym, dis and log on memx (exit $rc)"
[ $rc = 0 ] || show /tmp/crash.out

# rd -a prints the string in lines behind addresses: join them back.
sed -n '/^[0-9a-f]\{16\}:  /{s/^[0-9a-f]\{16\}:  //;p}' /tmp/crash.out |
	tr -d '\n' | sed 's/[0-9a-f]\{16\} (.) linux_banner$//' \
	> /tmp/crash-banner.txt
cmp -s /tmp/crash-banner.txt /tmp/version.txt
tap $? "crash rd -a linux_banner equals /proc/version"

grep -q "^$banner (.) linux_banner" /tmp/crash.out ||
	grep -q "$banner (.) linux_banner$" /tmp/crash.out
tap $? "crash sym linux_banner is /proc/kallsyms' $banner"

grep -q "^0x$banner <linux_banner>:" /tmp/crash.out
tap $? "crash dis linux_banner disassembles at $banner"

# log: every record dmesg printed, in order, from the first (records only:
# the two indent continuation lines differently).
stamped() {
	grep '^\[ *[0-9]*\.[0-9]*\]' "$1" | sed 's/[[:space:]]*$//'
}
# crash 8.0.2's minimal mode lacks an offset 5.10's ring buffer needs
# (atomic_t's counter), and says so: a skip in its words (its full mode,
# crash_check.py, reads the log there).
stamped /tmp/crash.out > /tmp/crash-log.txt
stamped /tmp/dmesg.txt > /tmp/dmesg-trim.txt
lines=$(wc -l < /tmp/dmesg-trim.txt)
why=$(grep -m 1 '^log: invalid structure member offset' /tmp/crash.out)
if [ -n "$why" ]; then
	n=$((n + 1))
	echo "ok $n crash log equals dmesg # SKIP crash --minimal: $why"
else
	head -n "$lines" /tmp/crash-log.txt | cmp -s - /tmp/dmesg-trim.txt
	rc=$?
	tap $rc "crash log equals dmesg ($lines lines)"
	[ $rc = 0 ] ||
		head -n "$lines" /tmp/crash-log.txt | diff - /tmp/dmesg-trim.txt |
			head -n 10 | sed 's/^/#   /'
fi

/usr/bin/python3 "$here/drgn_check.py" "$vmlinux" "$n"
