#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# What `make demo` shows from inside the VM: memx at work on real data.

echo "== the nodes (misc major 10)"
for n in memx kmemx allkmemx; do
	ls -l "/dev/$n"
done
echo "== /proc/misc"
grep -E ' (memx|kmemx|allkmemx)$' /proc/misc
/tests/memx_demo
echo "== the memx command"
/tests/memx vtop linux_banner
/tests/memx read linux_banner 48
/tests/memx dump -o /dev/null --format elf 2>&1 | grep -v "^\r"
