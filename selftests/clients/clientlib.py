# SPDX-License-Identifier: GPL-2.0
"""What the checks share: TAP lines, /proc's view of the tasks, a child
sleeping in nanosleep with a descriptor open, drgn's checks of a live
kernel and C type names in one spelling (the dump formats: dumpfmt.py)."""

import os
import re
import subprocess
import time

MARKER = "/tmp/memx-fd-marker"
FD = 7
SLEEP_SYSCALLS = {"35", "230"}  # x86-64 nanosleep, clock_nanosleep
CRASH_COMMS = {"crash", "gdb worker"}  # crash itself and its gdb's threads


class Tap:
    """TAP lines numbered from FIRST; a failure's diagnostic, its last
    eight lines, behind "#"."""

    def __init__(self, first):
        self.n = first - 1
        self.failed = 0

    def __call__(self, ok, name, why=""):
        self.n += 1
        self.failed += not ok
        print(("ok" if ok else "not ok"), self.n, name, flush=True)
        if not ok and why:
            for line in str(why).splitlines()[-8:]:
                print("#  ", line, flush=True)

    def skip(self, name, why):
        self.n += 1
        print("ok", self.n, name, "# SKIP", why, flush=True)

    def check(self, name):
        """Decorator: run the check now, a (ok, why) function; an exception
        is its failure.  NAME may be a function, called after the check."""
        def run(fn):
            try:
                ok, why = fn()
            except Exception as e:  # the check's own failure, reported
                ok, why = False, repr(e)
            self(ok, name() if callable(name) else name, why)
            return fn
        return run


def read(path):
    with open(path) as f:
        return f.read()


def proc_tasks():
    """{tid: (ppid, comm)} of every task /proc lists."""
    tasks = {}
    for p in filter(str.isdigit, os.listdir("/proc")):
        try:
            for t in os.listdir(f"/proc/{p}/task"):
                status = read(f"/proc/{p}/task/{t}/status")
                ppid = int(re.search(r"^PPid:\s+(\d+)", status, re.M)[1])
                comm = read(f"/proc/{p}/task/{t}/comm").rstrip("\n")
                tasks[int(t)] = (ppid, comm)
        except (FileNotFoundError, ProcessLookupError):
            pass  # gone while listed
    return tasks


def sleeper():
    """A child sleeping in nanosleep, with FD open on MARKER."""
    with open(MARKER, "w") as f:
        f.write("memx\n")
    fd = os.open(MARKER, os.O_RDONLY)
    os.dup2(fd, FD)
    os.close(fd)
    child = subprocess.Popen(["sleep", "100000"], pass_fds=(FD,))
    os.close(FD)
    for _ in range(6000):
        if read(f"/proc/{child.pid}/syscall").split()[0] in SLEEP_SYSCALLS:
            return child
        time.sleep(0.1)
    raise RuntimeError("the sleeper never reached nanosleep")


def jiffies():
    return int(re.search(r"^jiffies: (\d+)", read("/proc/timer_list"),
                         re.M)[1])


def drgn_checks(prog, tap, who):
    """init_task.comm, jiffies_64 between two readings of /proc's jiffies
    (they share their low 32 bits' clock) and the task list against
    /proc, read by WHO (a drgn Program over memx)."""
    from drgn.helpers.linux.pid import for_each_task

    comm = prog["init_task"].comm.string_().decode()
    tap(comm == "swapper/0", f"{who} init_task.comm is swapper/0", comm)

    before = jiffies()
    value = prog["jiffies_64"].value_()
    after = jiffies()
    tap(before <= value <= after, f"{who} jiffies_64 within /proc/timer_list",
        f"{before} <= {value} <= {after}")

    seen_before = proc_tasks().keys()
    pids = {task.pid.value_() for task in for_each_task(prog)}
    seen_after = proc_tasks().keys()
    stable = seen_before & seen_after
    tap(stable <= pids and pids <= seen_before | seen_after,
        f"{who} task list equals /proc ({len(pids)} tasks)",
        f"missing {sorted(stable - pids)}, extra "
        f"{sorted(pids - (seen_before | seen_after))}")


def c_name(name):
    """A C base type's name in one spelling: "long unsigned int" and gdb's
    "unsigned long" are one type."""
    words = name.split()
    if len(words) > 1 and "int" in words and \
            set(words) - {"int", "signed", "unsigned"}:
        words.remove("int")
    return " ".join(sorted(words))
