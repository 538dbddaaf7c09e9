# SPDX-License-Identifier: GPL-2.0
"""Host-side checks of the dumps `memx dump` wrote from a test VM into DIR:
crash opens the ELF dump and its log matches the guest's dmesg; drgn reads
init_task.comm and the task list from it, matching the PIDs the guest
recorded; the LiME file parses back to exactly the ranges of `memx map`, and
the three formats hold the same bytes.
Usage: dump_check.py DIR VMLINUX"""

import os
import re
import struct
import subprocess
import sys

import drgn
from drgn.helpers.linux.pid import for_each_task

out, vmlinux = sys.argv[1], sys.argv[2]
n = 0


def tap(ok, name, why=""):
    global n
    n += 1
    print(("ok" if ok else "not ok"), n, name)
    if not ok and why:
        for line in str(why).splitlines()[-8:]:
            print("#  ", line)


def path(name):
    return os.path.join(out, name)


def stamped(text):
    return [line.rstrip() for line in text.splitlines()
            if re.match(r"^\[ *\d+\.\d+\]", line)]


def same_log(dmesg, log):
    """Every guest dmesg record is in crash's log, in order, from the first.
    busybox dmesg repeats the timestamp on a record's continuation lines,
    which crash indents instead: such lines may go unmatched."""
    i, stamp = 0, None
    for line in dmesg:
        this = line.split("]", 1)[0]
        if i < len(log) and line == log[i]:
            i += 1
        elif this != stamp:
            return False
        stamp = this
    return i > 0


def map_ranges():
    ranges = []
    with open(path("map.txt")) as f:
        for line in f:
            m = re.match(r"^(0x[0-9a-f]+)-(0x[0-9a-f]+)", line)
            if m:
                ranges.append((int(m[1], 16), int(m[2], 16)))
    return ranges


# crash in full mode.  crash 8.0.2 takes the KASLR offset from the note's
# KERNELOFFSET only when told --kaslr auto.
dmesg = stamped(open(path("dmesg.txt")).read())
res = subprocess.run(["crash", "-s", "--kaslr", "auto", vmlinux,
                      path("memx.elf")], input="log\nexit\n",
                     capture_output=True, text=True, timeout=900)
log = stamped(res.stdout)
tap(res.returncode == 0 and same_log(dmesg, log),
    f"crash on the ELF dump: log equals the guest's dmesg "
    f"({len(dmesg)} lines)", res.stdout[-2000:] + res.stderr[-2000:])

# drgn on the ELF dump.
try:
    prog = drgn.Program()
    prog.set_core_dump(path("memx.elf"))
    try:
        prog.load_debug_info([vmlinux])
    except drgn.MissingDebugInfoError:
        pass
    comm = prog["init_task"].comm.string_().decode()
    pids = {t.pid.value_() for t in for_each_task(prog)}
except Exception as e:
    comm, pids = repr(e), set()
tap(comm == "swapper/0", "drgn on the ELF dump: init_task.comm", comm)
# Tasks the guest saw before each of its three dumps: alive all along.
recorded = set.intersection(*({int(x) for x in open(path(f"pids-{f}.txt"))}
                              for f in ("raw", "lime", "elf")))
tap(recorded and recorded <= pids,
    f"drgn on the ELF dump: the guest's {len(recorded)} PIDs are its tasks",
    f"missing {sorted(recorded - pids)}")

# LiME: one 32-byte header per range, end inclusive, then the bytes.
ranges, size_ok = [], True
with open(path("memx.lime"), "rb") as f:
    while hdr := f.read(32):
        magic, version, start, end = struct.unpack_from("<IIQQ", hdr)
        if magic != 0x4C694D45 or version != 1:
            size_ok = False
            break
        ranges.append((start, end))
        f.seek(end - start + 1, os.SEEK_CUR)
tap(size_ok and ranges == map_ranges(),
    f"LiME parses back to the {len(ranges)} ranges of memx map",
    f"lime {ranges}\nmap  {map_ranges()}")

# raw: offsets are physical addresses, so it ends where RAM ends.
raw_size = os.path.getsize(path("memx.raw"))
tap(ranges and raw_size == ranges[-1][1] + 1,
    "raw dump ends at the end of System RAM", f"{raw_size:#x}")
