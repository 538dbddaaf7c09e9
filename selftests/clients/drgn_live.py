# SPDX-License-Identifier: GPL-2.0
"""drgn 0.3 on the live kernel through memx (tools/memx_drgn.py, drgn's
custom live kernel target), each answer compared with the kernel's own
view, then drgn_walk.py through memx and through drgn's own /proc/kcore:
the same walk, its system calls counted by strace and its time printed;
with "census", the walk bound by reads too, every page's flags counted
through both.  Run in the test VM, chrooted into the sid root.
Usage: drgn_live.py VMLINUX FIRST_TAP_NUMBER [census]"""

import collections
import ctypes
import fcntl
import os
import signal
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, "../../tools"))

import drgn  # noqa: E402
from drgn.helpers.linux.mm import for_each_valid_page_range  # noqa: E402

import memx_drgn  # noqa: E402
from clientlib import Tap, drgn_checks, read, sleeper  # noqa: E402
from drgn_walk import kcore_program  # noqa: E402

vmlinux = sys.argv[1]
tap = Tap(int(sys.argv[2]))
WRITABLE = "/sys/module/memx/parameters/writable"


def allkmemx_write(addr, data):
    """One MEMX_IOC_WRITE through allkmemx, writable switched on for the
    open only."""
    was = read(WRITABLE).strip()
    with open(WRITABLE, "w") as f:
        f.write("Y")
    try:
        fd = os.open("/dev/allkmemx", os.O_RDWR)
    finally:
        with open(WRITABLE, "w") as f:
            f.write(was)
    try:
        buf = ctypes.create_string_buffer(data, len(data))
        arg = bytearray(memx_drgn.XFER.pack(addr, ctypes.addressof(buf),
                                            len(data)))
        fcntl.ioctl(fd, memx_drgn.MEMX_IOC_WRITE, arg)
        return memx_drgn.XFER.unpack(arg)[2]
    finally:
        os.close(fd)


def live_checks(prog, child):
    drgn_checks(prog, tap, "drgn 0.3")

    frames = [f.name or "?" for f in prog.stack_trace(child.pid)]
    tap(any("nanosleep" in f for f in frames),
        "drgn 0.3 stack trace of a task in nanosleep shows its frames",
        " ".join(frames))

    domain = prog["init_uts_ns"].name.domainname
    old = read("/proc/sys/kernel/domainname").strip()
    moved = allkmemx_write(domain.address_, b"memx-drgn\0")
    mine = prog["init_uts_ns"].name.domainname.string_().decode()
    theirs = read("/proc/sys/kernel/domainname").strip()
    with open("/proc/sys/kernel/domainname", "w") as f:
        f.write(old)
    tap(moved == 10 and mine == theirs == "memx-drgn",
        "drgn 0.3 reads back a kernel variable written through allkmemx",
        f"wrote {moved}, drgn {mine!r}, /proc {theirs!r}")


def traced_walk(source):
    """drgn_walk.py on SOURCE: the seconds of an untraced walk, then the
    lines and system calls of a walk with strace attached:
    (lines, seconds, system calls)."""
    walker = subprocess.Popen(
        [sys.executable, os.path.join(here, "drgn_walk.py"), vmlinux, source],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    if walker.stdout.readline().strip() != "ready":
        raise RuntimeError(f"drgn_walk.py {source} did not start")
    walker.stdin.write("go\n")
    walker.stdin.flush()
    timed = walker.stdout.readline().split()
    if len(timed) != 2 or timed[0] != "walk-seconds":
        raise RuntimeError(f"drgn_walk.py {source} did not walk: {timed}")
    count = f"/tmp/strace-{source}"
    tracer = subprocess.Popen(["strace", "-f", "-c", "-o", count,
                               "-p", str(walker.pid)],
                              stderr=subprocess.PIPE, text=True)
    while "attached" not in tracer.stderr.readline():
        pass
    out, _ = walker.communicate("go\n", timeout=1800)
    tracer.wait(timeout=60)
    calls = 0
    for line in read(count).splitlines():
        f = line.split()
        if f and f[-1] == "total":
            calls = int(f[3])
    return out.splitlines(), float(timed[1]), calls


def walk_checks():
    try:
        mine, mine_s, mine_calls = traced_walk("memx")
        theirs, theirs_s, theirs_calls = traced_walk("kcore")
    except (RuntimeError, subprocess.TimeoutExpired, ValueError) as e:
        tap(False, "drgn 0.3 walk through memx and /proc/kcore", repr(e))
        return
    # Tasks come and go and run between the walks: the slab caches and
    # the tasks in both must agree, and no frame list may be empty.
    slabs = [line for line in mine if line.startswith("slab ")]
    tasks = {line for line in mine if line.startswith("task ")}
    their_tasks = {line for line in theirs if line.startswith("task ")}
    same = slabs == [line for line in theirs if line.startswith("slab ")] \
        and len(tasks & their_tasks) >= 0.9 * len(their_tasks)
    tap(same and slabs and tasks,
        f"drgn 0.3 walk: the same {len(slabs)} slab caches and "
        f"{len(tasks)} tasks through memx as through /proc/kcore",
        f"slab caches {len(slabs)}, tasks {sorted(tasks ^ their_tasks)[:6]}")
    tap(mine_calls * 5 <= theirs_calls,
        "drgn 0.3 walk: at least 5x fewer system calls through memx than "
        f"through /proc/kcore ({mine_calls} and {theirs_calls})")
    print(f"# drgn walk, untraced: memx {mine_s:.2f} s, /proc/kcore "
          f"{theirs_s:.2f} s (memx {theirs_s / mine_s:.2f}x the speed); "
          f"traced: memx {mine_calls} system calls, /proc/kcore "
          f"{theirs_calls}", flush=True)


CENSUS_CHUNK = 1 << 15     # the pages of 128 MiB
CENSUS_TRIES = 3            # counts of a chunk before its difference holds


def flags_word(prog):
    """How to read a struct page's flags word: Linux 6.18 moved it into
    memdesc_flags_t."""
    try:
        prog.type("memdesc_flags_t")
    except LookupError:
        return lambda page: page.flags.value_()
    return lambda page: page.flags.f.value_()


def per_flag(prog, words):
    """{"pages": pages, flag name: pages with it} of a census's words."""
    counts = {"pages": sum(words.values())}
    for name, bit in prog.type("enum pageflags").enumerators:
        if name == "__NR_PAGEFLAGS":
            break
        counts[name] = sum(n for w, n in words.items() if w >> bit & 1)
    return counts


def apart(prog, mine_w, their_w):
    """The flags whose counts differ by more than the pages that can change
    in the second between two reads (1% and 64 pages)."""
    mine, theirs = per_flag(prog, mine_w), per_flag(prog, their_w)
    return [f"{k} {mine[k]} and {theirs[k]}" for k in mine
            if abs(mine[k] - theirs[k]) > 64 + max(mine[k], theirs[k]) // 100]


class Census:
    """drgn's for_each_page over every valid page through memx's program
    and /proc/kcore's, a chunk through one then the same chunk through the
    other, so that both see a page within a second of each other and a
    busy stretch slows both alike: each one's flag words counted, and its
    seconds.  A chunk whose counts differ is counted again, up to
    CENSUS_TRIES times: pages that a process frees between the two reads
    differ once, a wrong read every time."""

    def __init__(self, mine, theirs):
        self.progs = (mine, theirs)
        self.flags = [flags_word(p) for p in self.progs]
        self.words = [collections.Counter(), collections.Counter()]
        self.seconds = [0.0, 0.0]
        self.recounted = []
        self.wrong = []

    def count(self, i, mem_map, pfns):
        begin = time.monotonic()
        words = collections.Counter(self.flags[i](mem_map + pfn)
                                    for pfn in pfns)
        self.seconds[i] += time.monotonic() - begin
        return words

    def chunk(self, mem_maps, pfns):
        at = f"pfn {pfns[0]:#x}: "
        for tries in range(CENSUS_TRIES):
            words = [self.count(i, m, pfns) for i, m in enumerate(mem_maps)]
            differ = apart(self.progs[0], *words)
            if not differ:
                break
            if not tries:
                self.recounted.append(at + ", ".join(differ[:4]))
        if differ:
            self.wrong.append(at + ", ".join(differ[:4]))
        for total, counted in zip(self.words, words):
            total.update(counted)

    def run(self):
        for ranges in zip(*(for_each_valid_page_range(p)
                            for p in self.progs)):
            start, end = ranges[0][:2]
            for lo in range(start, end, CENSUS_CHUNK):
                self.chunk([r[2] for r in ranges],
                           range(lo, min(lo + CENSUS_CHUNK, end)))
        return self


def census_checks(prog):
    """The census through memx and through /proc/kcore: the same pages,
    and each flag on as many of them in every chunk; the seconds of each
    printed."""
    try:
        done = Census(prog, kcore_program(vmlinux)).run()
    except (drgn.FaultError, LookupError, ValueError) as e:
        tap(False, "drgn 0.3 census of every page's flags", repr(e))
        return
    pages = sum(done.words[0].values())
    tap(pages and not done.wrong,
        f"drgn 0.3 census: the flags of the same {pages} pages through "
        "memx as through /proc/kcore, 128 MiB at a time",
        "\n".join(done.wrong))
    for first in done.recounted:
        print(f"# census counted again, first counts apart at {first}")
    mine_s, their_s = done.seconds
    print(f"# drgn census of {pages} pages, 128 MiB through each in turn: "
          f"memx {mine_s:.2f} s, /proc/kcore {their_s:.2f} s (memx "
          f"{their_s / mine_s:.2f}x the speed, recounts included)",
          flush=True)


def main():
    child = sleeper()
    start = time.monotonic()
    try:
        prog = memx_drgn.program(vmlinux)
    except Exception as e:  # any failure to build the program is the test
        tap(False, "drgn 0.3 custom live kernel Program over memx", repr(e))
        prog = None
    if prog is not None:
        tap(True, "drgn 0.3 custom live kernel Program over memx "
            f"({time.monotonic() - start:.0f} s with debug info)")
        live_checks(prog, child)
    walk_checks()
    if prog is not None and sys.argv[3:] == ["census"]:
        census_checks(prog)
    child.send_signal(signal.SIGKILL)
    child.wait()


main()
