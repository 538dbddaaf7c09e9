# SPDX-License-Identifier: GPL-2.0
"""What the checks share: TAP lines, /proc's view of the tasks, a child
sleeping in nanosleep with a descriptor open, and the CPU notes of a dump."""

import os
import re
import struct
import subprocess
import time
import zlib

MARKER = "/tmp/memx-fd-marker"
FD = 7
SLEEP_SYSCALLS = {"35", "230"}  # x86-64 nanosleep, clock_nanosleep
CRASH_COMMS = {"crash", "gdb worker"}  # crash itself and its gdb's threads


class Tap:
    def __init__(self, first):
        self.n = first - 1
        self.failed = 0

    def __call__(self, ok, name, why=""):
        self.n += 1
        self.failed += not ok
        print(("ok" if ok else "not ok"), self.n, name, flush=True)
        if not ok and why:
            for line in str(why).splitlines()[:8]:
                print("#  ", line, flush=True)

    def skip(self, name, why):
        self.n += 1
        print("ok", self.n, name, "# SKIP", why, flush=True)


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


NT_PRSTATUS = 1
GREG = {"ip": 16, "cs": 17, "sp": 19}    # struct user_regs_struct


def dump_notes(file):
    """The ELF notes of dump FILE (ELF: its PT_NOTE; kdump: the
    sub-header's), as (n_type, name, desc) in file order."""
    with open(file, "rb") as f:
        head = f.read(464)
        if head[:4] == b"\x7fELF":
            phoff, = struct.unpack_from("<Q", head, 32)
            phnum, = struct.unpack_from("<H", head, 56)
            f.seek(phoff)
            for _ in range(phnum):
                ptype, _, off, _, _, size = struct.unpack("<IIQQQQ",
                                                          f.read(56)[:40])
                if ptype == 4:
                    break
        else:
            block, = struct.unpack_from("<i", head, 428)
            f.seek(block + 48)
            off, size = struct.unpack("<QQ", f.read(16))
        f.seek(off)
        blob = f.read(size)
    found, pos = [], 0
    while pos + 12 <= len(blob):
        namesz, descsz, ntype = struct.unpack_from("<III", blob, pos)
        desc = pos + 12 + (namesz + 3) // 4 * 4
        found.append((ntype, blob[pos + 12:pos + 11 + namesz],
                      blob[desc:desc + descsz]))
        pos = desc + (descsz + 3) // 4 * 4
    return found


KDUMP_ZLIB = 0x1


def kdump_header(file):
    """A kdump's block size, sub-header blocks and bitmap blocks."""
    with open(file, "rb") as f:
        return struct.unpack_from("<iiI", f.read(464), 428)


def kdump_read(file, start, size):
    """@size bytes at physical @start of kdump FILE (its pages stored as
    they are or zlib-compressed, a page a block), found through the second
    bitmap and the page descriptors."""
    block, sub_blocks, bitmap_blocks = kdump_header(file)
    with open(file, "rb") as f:
        half = bitmap_blocks * block // 2
        f.seek((1 + sub_blocks) * block + half)
        held = f.read(half)
        first = start // block
        index = int.from_bytes(held[:first // 8], "little").bit_count() + \
            (held[first // 8] & ((1 << first % 8) - 1)).bit_count()
        data = b""
        for pfn in range(first, (start + size - 1) // block + 1):
            if not held[pfn // 8] >> pfn % 8 & 1:
                raise ValueError(f"frame {pfn:#x} is not in {file}")
            f.seek((1 + sub_blocks + bitmap_blocks) * block + 24 * index)
            off, length, flags, _ = struct.unpack("<QIIQ", f.read(24))
            f.seek(off)
            page = f.read(length)
            data += zlib.decompress(page) if flags & KDUMP_ZLIB else page
            index += 1
    return data[start % block:start % block + size]


def cpu_notes(file):
    """Dump FILE's NT_PRSTATUS notes, one a CPU: (pid, registers)."""
    return [(struct.unpack_from("<i", d, 32)[0],
             struct.unpack_from("<27Q", d, 112))
            for t, n, d in dump_notes(file) if (t, n) == (NT_PRSTATUS, b"CORE")]


def c_name(name):
    """A C base type's name in one spelling: "long unsigned int" and gdb's
    "unsigned long" are one type."""
    words = name.split()
    if len(words) > 1 and "int" in words and \
            set(words) - {"int", "signed", "unsigned"}:
        words.remove("int")
    return " ".join(sorted(words))
