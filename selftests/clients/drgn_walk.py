# SPDX-License-Identifier: GPL-2.0
"""The drgn walk timed against /proc/kcore: every task with its stack
trace, then every slab cache's name.  Usage: drgn_walk.py VMLINUX
memx|kcore.  Loads the program and its debug info and walks once untimed
(drgn's own lazily built caches warm).  Then, each step after a line on
standard input: three timed walks, which print the best as
"walk-seconds S"; one more walk, with strace attached by the caller
(whose system call stops would weigh on the time), which prints the walk
itself."""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../tools"))

import drgn  # noqa: E402
from drgn.helpers.linux.pid import for_each_task  # noqa: E402
from drgn.helpers.linux.slab import for_each_slab_cache  # noqa: E402

import memx_drgn  # noqa: E402


def kcore_program(vmlinux):
    prog = drgn.Program()
    prog.set_kernel()
    try:
        prog.load_debug_info([vmlinux])
    except drgn.MissingDebugInfoError:
        pass    # modules without debug info: the kernel's own is enough
    return prog


def walk(prog):
    lines = []
    for task in for_each_task(prog):
        pid = task.pid.value_()
        lines.append(f"task {pid} {task.comm.string_().decode()}")
        try:
            trace = prog.stack_trace(task)
            lines.extend(f"  {frame.name}" for frame in trace)
        except ValueError as e:     # a task running on a CPU
            lines.append(f"  ({e})")
    for cache in for_each_slab_cache(prog):
        lines.append(f"slab {cache.name.string_().decode()}")
    return lines


def main():
    vmlinux, source = sys.argv[1:3]
    prog = memx_drgn.program(vmlinux) if source == "memx" else \
        kcore_program(vmlinux)
    walk(prog)     # drgn's own caches (unwinding tables, types) warm
    print("ready", flush=True)
    sys.stdin.readline()
    best = None
    for _ in range(3):     # the best of three: the machine is shared
        start = time.monotonic()
        walk(prog)
        took = time.monotonic() - start
        best = took if best is None else min(best, took)
    print(f"walk-seconds {best:.3f}", flush=True)
    sys.stdin.readline()
    print("\n".join(walk(prog)), flush=True)


if __name__ == "__main__":
    main()
