#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh NAME MODE TESTS PARAMS [EXTRA_CMDLINE]
# Boots the test kernel in QEMU (TCG) with the initramfs, under a hard
# timeout, and judges the run: per-test TAP lines are re-printed with the
# boot's name, and the boot fails when the end marker is missing, or the
# console shows a panic or any line of the badness list.  Appends
# "pass fail skip" to $MEMX_TALLY when set.  Needs MEMX_KERNEL,
# MEMX_INITRAMFS, MEMX_OUT; MEMX_CPU picks the QEMU CPU (max: 5-level paging),
# MEMX_MEM the RAM (5G), MEMX_SMP the vCPUs (2), MEMX_QEMU_EXTRA adds QEMU
# options.  MEMX_ARCH=aarch64 boots qemu-system-aarch64's virt machine
# instead (MEMX_CPU defaults to max,pauth-impdef=on there): the kernel log
# on its PL011, the results on a virtio console (the initramfs brings its
# modules when the kernel does not build them in).
set -uo pipefail

name=$1 mode=$2 tests=$3 params=$4 extra=${5:-}
here=$(cd "$(dirname "$0")" && pwd)
timeout=${MEMX_TIMEOUT:-1800}
console="$MEMX_OUT/$name.console.log"
results="$MEMX_OUT/$name.results.log"
rm -f "$console" "$results"

cmdline="secretmem.enable=1 panic=-1 oops=panic panic_on_warn=1"
cmdline+=" movablecore=1G kfence.sample_interval=100 memxt_mode=$mode memxt_tests=$tests"
cmdline+=" memxt_params=$params $extra"

common=(-smp "${MEMX_SMP:-2}" -m "${MEMX_MEM:-5G}"
	-kernel "$MEMX_KERNEL" -initrd "$MEMX_INITRAMFS"
	-device edu -display none -monitor none -no-reboot)
case "${MEMX_ARCH:-x86_64}" in
aarch64)
	cmdline="console=ttyAMA0 memxt_out=/dev/hvc0 memxt_console=/dev/ttyAMA0 $cmdline"
	qemu=(qemu-system-aarch64 -machine virt,gic-version=3
	      -cpu "${MEMX_CPU:-max,pauth-impdef=on}" -nic none "${common[@]}"
	      -append "$cmdline" ${MEMX_QEMU_EXTRA:-})
	outputs=(-serial "file:$console" -device virtio-serial-pci
		 -chardev "file,id=results,path=$results"
		 -device virtconsole,chardev=results)
	;;
*)
	cmdline="console=ttyS0 $cmdline"
	qemu=(qemu-system-x86_64 -machine q35,accel=tcg
	      -cpu "${MEMX_CPU:-max}" "${common[@]}" -append "$cmdline"
	      ${MEMX_QEMU_EXTRA:-})
	outputs=(-serial "file:$console" -serial "file:$results")
	;;
esac

if [ "$mode" = shell ]; then
	exec "${qemu[@]}" -serial mon:stdio -serial null
fi

start=$(date +%s)
# A kernel that stops before it runs /init has met neither memx (init loads
# it) nor a test: TCG has been seen to trip over the kernel's own text
# patching in early boot ("Oops: int3" in sched_clock_cpu, 6.12).  That
# boot is made once more, and the first one's reason is printed.
for try in 1 2; do
	rm -f "$console" "$results"
	timeout -k 10 "$timeout" "${qemu[@]}" "${outputs[@]}" < /dev/null
	rc=$?
	grep -qa 'Run /init as init process' "$console" || [ $try = 2 ] &&
		break
	echo "[$name] the kernel stopped before it ran /init:" \
	     "$(grep -a -m 1 -E -f "$here/badness" "$console" ||
		tail -n 1 "$console")"
	echo "[$name] booting once more"
done
secs=$(( $(date +%s) - start ))

if [ "$mode" = demo ] || [ "$mode" = bench ] || [ "$mode" = dumpbench ]; then
	grep -v -e '^MEMX-END' -e '^memx-init: kernel log verdict: clean' \
		"$results" | tr -d '\r'
	case "$mode" in *bench) cp "$results" "$MEMX_OUT/$mode.txt" ;; esac
else
	grep -E '^(not )?ok [0-9]+ |^# (FAIL|SKIP)|^# [a-z_]+\.[ch]:[0-9]+:|^memx-init' \
		"$results" | tr -d '\r' | sed "s/^/[$name] /"
	[ "$mode" = clients ] && grep -E "^#   " "$results" | head -n 40 |
		tr -d '\r' | sed "s/^/[$name] /"
fi

pass=$(grep -cE '^ok [0-9]+ ' "$results" | tr -d '\r')
skip=$(grep -cE '^ok [0-9]+ .*# SKIP' "$results")
fail=$(grep -cE '^not ok [0-9]+ ' "$results")
pass=$((pass - skip))

bad=()
[ $rc -eq 124 ] && bad+=("timed out after ${timeout}s")
grep -q '^MEMX-END' "$results" || bad+=("no end marker (hang or crash)")
grep -q 'memx-init: insmod' "$results" && bad+=("a module failed to load")
grep -q 'verdict: SPLAT' "$results" && bad+=("kernel log splat")
while IFS= read -r line; do
	bad+=("${line#memx-init: }")
done < <(grep -a '^memx-init: PROGRAM FAILED' "$results" | tr -d '\r')
if grep -E -f "$here/badness" "$console" > "$MEMX_OUT/$name.splat"; then
	bad+=("kernel splat on the console: $(head -n 1 "$MEMX_OUT/$name.splat")")
fi
if [ "$mode" != demo ] && [ "$mode" != bench ] && [ "$mode" != dumpbench ] &&
   [ $((pass + fail + skip)) -eq 0 ]; then
	bad+=("no test ran")
fi

if [ ${#bad[@]} -gt 0 ]; then
	for b in "${bad[@]}"; do
		echo "[$name] BOOT FAILED: $b (console: $console)"
	done
	fail=$((fail + 1))
fi
echo "[$name] boot done in ${secs}s: $pass passed, $fail failed, $skip skipped"
[ -n "${MEMX_TALLY:-}" ] && echo "$pass $fail $skip" >> "$MEMX_TALLY"
[ ${#bad[@]} -eq 0 ] && [ "$fail" -eq 0 ]
