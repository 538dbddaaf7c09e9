# SPDX-License-Identifier: GPL-2.0
"""Host-side checks of the dumps `memx dump` wrote from a test VM into DIR:
crash opens the ELF dump with no flag and its log matches the guest's dmesg;
drgn reads init_task.comm and the task list from it, matching the PIDs the
guest recorded; the LiME file parses back to exactly the ranges of `memx
map` (and a copy one byte short does not); every physical address of every
range is reachable through the ELF program headers taken in header order,
as Volatility 3 takes them; and the three formats hold the same bytes for
the kernel's read-only data.  Each check is one TAP line; an exception in
a check is that check's failure.  Usage: dump_check.py DIR VMLINUX"""

import bisect
import os
import re
import struct
import subprocess
import sys

out, vmlinux = sys.argv[1], sys.argv[2]
n = 0
failed = 0


def tap(ok, name, why=""):
    global n, failed
    n += 1
    failed += not ok
    print(("ok" if ok else "not ok"), n, name)
    if not ok and why:
        for line in str(why).splitlines()[-8:]:
            print("#  ", line)


def check(name):
    """Run the decorated check now; an exception fails it."""
    def run(fn):
        try:
            ok, why = fn()
        except Exception as e:  # the check's own failure, reported
            ok, why = False, repr(e)
        tap(ok, name() if callable(name) else name, why)
        return fn
    return run


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


def lime_ranges(name, size=None):
    """LiME's (start, end inclusive, data offset) triples; raises on a bad
    header or a range the file (of @size bytes) does not hold whole."""
    size = os.path.getsize(path(name)) if size is None else size
    ranges, pos = [], 0
    with open(path(name), "rb") as f:
        while pos < size:
            f.seek(pos)
            hdr = f.read(32)
            magic, version, start, end = struct.unpack_from("<IIQQ", hdr)
            if magic != 0x4C694D45 or version != 1:
                raise ValueError(f"bad LiME header at {pos:#x}")
            pos += 32 + end - start + 1
            if pos > size:
                raise ValueError(f"range {start:#x}-{end:#x} truncated")
            ranges.append((start, end, pos - (end - start + 1)))
    return ranges


def elf_loads(name):
    """The PT_LOADs as (paddr, vaddr, size, offset, align), header order."""
    with open(path(name), "rb") as f:
        eh = f.read(64)
        phoff, = struct.unpack_from("<Q", eh, 32)
        phnum, = struct.unpack_from("<H", eh, 56)
        f.seek(phoff)
        loads = []
        for _ in range(phnum):
            (ptype, _flags, off, vaddr, paddr, filesz, _memsz,
             align) = struct.unpack("<IIQQQQQQ", f.read(56))
            if ptype == 1:
                loads.append((paddr, vaddr, filesz, off, align))
    return loads


def header_order_lookup(loads, addr):
    """Volatility 3's lookup: bisect the starts in header order."""
    starts = [s[0] for s in loads]
    i = bisect.bisect_right(starts, addr) - 1
    if i >= 0 and loads[i][0] <= addr < loads[i][0] + loads[i][2]:
        return loads[i][3] + addr - loads[i][0]
    return None


def read_at(name, off, size):
    with open(path(name), "rb") as f:
        f.seek(off)
        return f.read(size)


@check("crash on the ELF dump, no --kaslr flag: log equals the guest's dmesg")
def crash_log():
    dmesg = stamped(open(path("dmesg.txt")).read())
    res = subprocess.run(["crash", "-s", vmlinux, path("memx.elf")],
                         input="log\nexit\n", capture_output=True, text=True,
                         timeout=900)
    log = stamped(res.stdout)
    return (res.returncode == 0 and same_log(dmesg, log),
            f"exit {res.returncode}, {len(dmesg)} dmesg lines\n"
            + res.stdout[-1500:] + res.stderr[-1500:])


def drgn_program():
    import drgn
    prog = drgn.Program()
    prog.set_core_dump(path("memx.elf"))
    try:
        prog.load_debug_info([vmlinux])
    except drgn.MissingDebugInfoError:
        pass
    return prog


@check("drgn on the ELF dump: init_task.comm")
def drgn_comm():
    comm = drgn_program()["init_task"].comm.string_().decode()
    return comm == "swapper/0", comm


@check("drgn on the ELF dump: the PIDs the guest saw are its tasks")
def drgn_pids():
    from drgn.helpers.linux.pid import for_each_task
    pids = {t.pid.value_() for t in for_each_task(drgn_program())}
    # Tasks the guest saw before each of its three dumps: alive all along.
    recorded = set.intersection(*({int(x) for x in open(path(f"pids-{f}.txt"))}
                                  for f in ("raw", "lime", "elf")))
    return (bool(recorded) and recorded <= pids,
            f"{len(recorded)} recorded, missing {sorted(recorded - pids)}")


@check("LiME parses back to the ranges of memx map")
def lime_map():
    got = [(s, e) for s, e, _ in lime_ranges("memx.lime")]
    return got == map_ranges(), f"lime {got}\nmap  {map_ranges()}"


@check("LiME one byte short fails the parse (its last range truncated)")
def lime_short():
    try:
        lime_ranges("memx.lime", os.path.getsize(path("memx.lime")) - 1)
    except ValueError as e:
        return "truncated" in str(e), str(e)
    return False, "a truncated file parsed"


@check("raw dump ends at the end of System RAM")
def raw_end():
    size = os.path.getsize(path("memx.raw"))
    return size == map_ranges()[-1][1] + 1, f"{size:#x}"


@check("ELF: the kernel image's PT_LOAD first, p_align 0 (a kdump to crash)")
def elf_first():
    loads = elf_loads("memx.elf")
    return (loads[0][1] >= 0xffffffff80000000 and loads[0][4] == 0,
            f"first PT_LOAD {loads[0]}")


@check("ELF: every page of every range reachable in header order")
def elf_reachable():
    loads, bad = elf_loads("memx.elf"), []
    ram = [ld for ld in loads if ld[1] < 0xffffffff80000000]
    for start, end in map_ranges():
        for addr in range(start, end + 1, 4096):
            for a in (addr, min(addr + 4095, end)):
                off = header_order_lookup(loads, a)
                want = next(ld[3] + a - ld[0] for ld in ram
                            if ld[0] <= a < ld[0] + ld[2])
                if off != want:
                    bad.append(a)
    return not bad, f"{len(bad)} unreachable, first {bad[:4]}"


@check("raw, lime and elf hold the same bytes for the kernel's rodata")
def same_rodata():
    vtop = re.findall(r"-> (0x[0-9a-f]+)", open(path("rodata.txt")).read())
    start, end = int(vtop[0], 16), int(vtop[1], 16)
    size = end - start
    raw = read_at("memx.raw", start, size)
    lime = next(read_at("memx.lime", off + start - s, size)
                for s, e, off in lime_ranges("memx.lime") if s <= start <= e)
    elf = read_at("memx.elf",
                  header_order_lookup(elf_loads("memx.elf"), start), size)
    return (len(raw) == size > 0 and raw == lime == elf,
            f"{size} bytes at {start:#x}: raw==lime {raw == lime}, "
            f"raw==elf {raw == elf}")


print(f"1..{n}")
sys.exit(1 if failed else 0)
