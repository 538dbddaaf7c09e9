# SPDX-License-Identifier: GPL-2.0
"""drgn through memx against the kernel's own view: init_task.comm,
jiffies_64 between two readings of /proc/timer_list, and the task list
against /proc.  Usage: drgn_check.py VMLINUX FIRST_TAP_NUMBER"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../tools"))

import memx_drgn  # noqa: E402
from drgn.helpers.linux.pid import for_each_task  # noqa: E402

n = int(sys.argv[2])


def tap(ok, name, why=""):
    global n
    n += 1
    print(("ok" if ok else "not ok"), n, name)
    if not ok and why:
        print("#  ", why)


def jiffies():
    with open("/proc/timer_list") as f:
        for line in f:
            if line.startswith("jiffies: "):
                return int(line.split()[1])
    raise RuntimeError("no jiffies in /proc/timer_list")


def tids():
    return {int(t) for p in os.listdir("/proc") if p.isdigit()
            for t in os.listdir(f"/proc/{p}/task")}


try:
    prog = memx_drgn.program(sys.argv[1])
except Exception as e:  # any failure to build the program is the test
    tap(False, "drgn Program over kmemx and memx", repr(e))
    sys.exit(0)
tap(True, "drgn Program over kmemx and memx")

comm = prog["init_task"].comm.string_().decode()
tap(comm == "swapper/0", "drgn init_task.comm is swapper/0", comm)

before = jiffies()
value = prog["jiffies_64"].value_()
after = jiffies()
# jiffies_64 and /proc's jiffies share their low 32 bits' clock.
tap(before <= value <= after, "drgn jiffies_64 within /proc/timer_list",
    f"{before} <= {value} <= {after}")

seen_before = tids()
pids = {task.pid.value_() for task in for_each_task(prog)}
seen_after = tids()
stable = seen_before & seen_after
tap(stable <= pids and pids <= seen_before | seen_after,
    f"drgn task list equals /proc ({len(pids)} tasks)",
    f"missing {sorted(stable - pids)}, extra "
    f"{sorted(pids - (seen_before | seen_after))}")
