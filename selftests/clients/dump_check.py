# SPDX-License-Identifier: GPL-2.0
"""Host-side checks of the dumps `memx dump` wrote from a test VM into DIR:
crash opens the ELF dump with no flag and its log matches the guest's dmesg;
drgn reads init_task.comm and the task list from it, matching the PIDs the
guest recorded; the LiME file parses back to exactly the ranges of `memx
map` (and a copy one byte short does not); every physical address of every
range is reachable through the ELF program headers taken in header order,
as Volatility 3 takes them; and the formats hold the same bytes for the
kernel's read-only data.  The kdump files, one a compression: crash's log,
ps and kmem -i and drgn's task list and linux_banner against the guest and
the ELF dump (crash 8.0.2's ps lists only the CPUs' tasks on Debian's 6.1
kernel, from any source: drgn checks the task list; the threads the guest
saw before and after a dump must be in it), and makedumpfile -d 31 filtering each again into a dump crash
opens (a skip in makedumpfile's words for a compression its build lacks).
The kdump at dump level 31 (d31) passes the same crash checks; the pages it
leaves out read as absent to crash (and as bytes from the ELF dump); memx's
count of each kind of page agrees with makedumpfile --mem-usage's in the
same guest.
The ISF: memx dump --isf writes what memx isf writes, and Volatility's
way into an image (the banner scan, then its KASLR search from init_task's
comm) works on the raw dump with it.
The CPU notes: every ELF and kdump dump has one NT_PRSTATUS note a CPU
before VMCOREINFO's, which crash's help -r reads back; in the kdump taken
while a shell loop ran on CPU 1 and the helper's kernel loop on CPU 2
(kdump-cpus), crash's bt -a shows those tasks on those CPUs and starts
CPU 2's at its note's registers, and bt -I/-S from them goes through
loop_write and vfs_write (sid's drgn 0.3 reads the notes in the clients
boots: cpus_check.py; Debian 12's drgn 0.0.22 matches notes to tasks by
PID, which a dump of a running kernel does not give).
Each check is one TAP line; an exception in a check is that check's
failure.  Usage: dump_check.py DIR VMLINUX"""

import base64
import bisect
import functools
import json
import lzma
import mmap
import os
import re
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clientlib import Tap  # noqa: E402
from dumpfmt import (GREG, NT_PRSTATUS, cpu_notes, dump_notes,  # noqa: E402
                     elf_loads, kdump_bitmaps, kdump_read, lime_ranges)

out, vmlinux = sys.argv[1], sys.argv[2]
tap = Tap(1)
skip, check = tap.skip, tap.check
CODECS = ("zstd", "zlib", "lzo", "snappy", "none", "zstd-j1")
KDUMPS = CODECS + ("d31",)   # and the one at dump level 31


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


def memx_lime(short=0):
    """memx.lime's ranges, its last SHORT bytes cut off."""
    return lime_ranges(path("memx.lime"),
                       os.path.getsize(path("memx.lime")) - short)


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


@functools.lru_cache(maxsize=None)
def crash_on(name):
    """crash's log, ps and kmem -i of dump NAME: (exit status, output)."""
    res = subprocess.run(["crash", "-s", vmlinux, path(name)],
                         input="log\nps\nkmem -i\nexit\n",
                         capture_output=True, text=True, errors="replace",
                         timeout=900)
    return res.returncode, res.stdout + res.stderr


def guest_log():
    return stamped(open(path("dmesg.txt")).read())


def total_mem(text):
    m = re.search(r"^\s*TOTAL MEM\s+(\d+)", text, re.M)
    return int(m[1]) if m else None


def idle_tasks(text):
    """ps's idle tasks, one a CPU, as (pid, ppid, cpu, comm): the other
    tasks it lists are the ones current on a CPU as the dump passed, which
    differ from dump to dump."""
    tasks = set()
    for line in text.splitlines():
        f = line.lstrip(">").split()
        if len(f) > 8 and f[0] == "0":
            tasks.add((f[0], f[1], f[2], f[8]))
    return tasks


def recorded(name):
    """Threads alive before and after dump NAME: alive all through it."""
    return set.intersection(*({int(x) for x in open(path(f"pids-{name}.{w}"))}
                              for w in ("before", "after")))


@check("crash on the ELF dump, no --kaslr flag: log equals the guest's dmesg")
def crash_log():
    rc, text = crash_on("memx.elf")
    return (rc == 0 and same_log(guest_log(), stamped(text)),
            f"exit {rc}, {len(guest_log())} dmesg lines\n" + text[-3000:])


def crash_kdump(codec):
    rc, text = crash_on(f"memx.kdump-{codec}")
    elf = crash_on("memx.elf")[1]
    mine, theirs = total_mem(text), total_mem(elf)
    idle, elf_idle = idle_tasks(text), idle_tasks(elf)
    return (rc == 0 and same_log(guest_log(), stamped(text)) and
            idle == elf_idle and "[swapper/0]" in str(idle) and
            mine == theirs is not None,
            f"exit {rc}, TOTAL MEM {mine} (ELF {theirs}), idle tasks {idle} "
            f"(ELF {elf_idle})\n" + text[-2000:])


for c in KDUMPS:
    check(f"crash on the kdump ({c}): log equals dmesg, ps's idle tasks "
          "and kmem -i TOTAL MEM as on the ELF dump")(
        functools.partial(crash_kdump, c))


def drgn_program(name="memx.elf"):
    import drgn
    prog = drgn.Program()
    prog.set_core_dump(path(name))
    try:
        prog.load_debug_info([vmlinux])
    except drgn.MissingDebugInfoError:
        pass
    return prog


@check("drgn on the ELF dump: init_task.comm")
def drgn_comm():
    comm = drgn_program()["init_task"].comm.string_().decode()
    return comm == "swapper/0", comm


def drgn_pids(prog):
    from drgn.helpers.linux.pid import for_each_task
    return {t.pid.value_() for t in for_each_task(prog)}


@check("drgn on the ELF dump: the PIDs the guest saw are its tasks")
def drgn_elf_pids():
    pids, seen = drgn_pids(drgn_program()), recorded("elf")
    return (bool(seen) and seen <= pids,
            f"{len(seen)} recorded, missing {sorted(seen - pids)}")


def drgn_kdump(codec):
    prog = drgn_program(f"memx.kdump-{codec}")
    comm = prog["init_task"].comm.string_().decode()
    banner = prog["linux_banner"].string_()
    same = banner == drgn_program()["linux_banner"].string_()
    pids, seen = drgn_pids(prog), recorded(f"kdump-{codec}")
    return (comm == "swapper/0" and same and seen and seen <= pids,
            f"comm {comm}, banner as in the ELF {same}, "
            f"missing {sorted(seen - pids)}")


for c in KDUMPS:
    check(f"drgn on the kdump ({c}): init_task.comm, the guest's PIDs, "
          "linux_banner as in the ELF dump")(functools.partial(drgn_kdump, c))


def refilter(codec):
    """makedumpfile -d 31 of a kdump, then crash's log of what it wrote;
    None when this makedumpfile is built without the compression."""
    with tempfile.TemporaryDirectory(dir=out) as tmp:
        again = os.path.join(tmp, "refiltered")
        res = subprocess.run(["makedumpfile", "-d", "31",
                              path(f"memx.kdump-{codec}"), again],
                             capture_output=True, text=True, timeout=900)
        text = res.stdout + res.stderr
        lack = re.search(r"\S+ compression unsupported", text)
        if res.returncode and lack:
            return None, lack[0]
        if res.returncode:
            return False, text
        log = subprocess.run(["crash", "-s", vmlinux, again],
                             input="log\nexit\n", capture_output=True,
                             text=True, errors="replace", timeout=900)
        return (log.returncode == 0 and
                same_log(guest_log(), stamped(log.stdout)),
                f"crash exit {log.returncode}\n" + log.stdout[-1500:])


for c in KDUMPS:
    name = (f"makedumpfile -d 31 filters the kdump ({c}) again, and crash's "
            "log of the result equals dmesg")
    try:
        ok, why = refilter(c)
    except Exception as e:  # the check's own failure, reported
        ok, why = False, repr(e)
    if ok is None:
        skip(name, f"Debian's makedumpfile: {why}")
    else:
        tap(ok, name, why)


@check("LiME parses back to the ranges of memx map")
def lime_map():
    got = [(s, e) for s, e, _ in memx_lime()]
    return got == map_ranges(), f"lime {got}\nmap  {map_ranges()}"


@check("LiME one byte short fails the parse (its last range truncated)")
def lime_short():
    try:
        memx_lime(short=1)
    except ValueError as e:
        return "truncated" in str(e), str(e)
    return False, "a truncated file parsed"


@check("raw dump ends at the end of System RAM")
def raw_end():
    size = os.path.getsize(path("memx.raw"))
    return size == map_ranges()[-1][1] + 1, f"{size:#x}"


@check("ELF: the kernel image's PT_LOAD first, p_align 0 (a kdump to crash)")
def elf_first():
    loads = elf_loads(path("memx.elf"))
    return (loads[0][1] >= 0xffffffff80000000 and loads[0][4] == 0,
            f"first PT_LOAD {loads[0]}")


@check("ELF: every page of every range reachable in header order")
def elf_reachable():
    loads, bad = elf_loads(path("memx.elf")), []
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


@check("raw, lime, elf and kdump (none, zlib) hold the same bytes for the "
       "kernel's rodata")
def same_rodata():
    vtop = re.findall(r"-> (0x[0-9a-f]+)", open(path("rodata.txt")).read())
    start, end = int(vtop[0], 16), int(vtop[1], 16)
    size = end - start
    raw = read_at("memx.raw", start, size)
    lime = next(read_at("memx.lime", off + start - s, size)
                for s, e, off in memx_lime() if s <= start <= e)
    elf = read_at("memx.elf",
                  header_order_lookup(elf_loads(path("memx.elf")), start), size)
    kdumps = [kdump_read(path(f"memx.kdump-{c}"), start, size)
              for c in ("none", "zlib")]
    return (len(raw) == size > 0 and raw == lime == elf == kdumps[0] ==
            kdumps[1],
            f"{size} bytes at {start:#x}: raw==lime {raw == lime}, "
            f"raw==elf {raw == elf}, raw==kdump {raw == kdumps[0]} "
            f"{raw == kdumps[1]}")


@check("crash on the kdump (d31): a page left out reads as absent ('page "
       "excluded'), the same address from the ELF dump as bytes")
def left_out_absent():
    ram, held = kdump_bitmaps(path("memx.kdump-d31"))
    gone = ram & ~held
    pfns = [(gone & -gone).bit_length() - 1, gone.bit_length() - 1]
    cmds = "".join(f"rd -p {pfn * 4096:#x} 1\n" for pfn in pfns) + "exit\n"
    res = {}
    for name in ("memx.kdump-d31", "memx.elf"):
        res[name] = subprocess.run(["crash", "-s", vmlinux, path(name)],
                                   input=cmds, capture_output=True, text=True,
                                   errors="replace", timeout=900)
    kd, elf = (res[k].stdout + res[k].stderr
               for k in ("memx.kdump-d31", "memx.elf"))
    return (len(set(pfns)) == 2 and kd.count("page excluded") == 2 and
            len(re.findall(r"^\s*[0-9a-f]+:\s+[0-9a-f]+", elf, re.M)) == 2,
            f"frames {[hex(p) for p in pfns]}\nkdump:\n{kd[-800:]}\n"
            f"ELF:\n{elf[-800:]}")


MEM_USAGE = {"ZERO": "zero", "NON_PRI_CACHE": "cache",
             "PRI_CACHE": "cache-private", "USER": "user", "FREE": "free"}


def memx_counts(name):
    """memx's left-out counts and its own anonymous pages, from its log."""
    log = open(path(f"memx.{name}.log")).read()
    counts = {w: int(c) for c, w in
              re.findall(r"(\d+) ([a-z-]+)(?=,| and| pages)",
                         log.split("left out", 1)[1].split("\n", 1)[0])}
    own = int(re.search(r"own anonymous memory: (\d+) pages", log)[1])
    return counts, own


@check("memx --exclude 31 counts each kind of page as makedumpfile "
       "--mem-usage does in the same guest: within 5% (or 64 pages), user "
       "pages besides memx's own buffers")
def mem_usage():
    text = open(path("mem-usage.txt")).read()
    theirs = {MEM_USAGE[k]: int(v)
              for k, v in re.findall(r"^([A-Z_]+)\s+(\d+)\s+yes", text, re.M)}
    below, own_b = memx_counts("kdump-d31-below")
    above, own_a = memx_counts("kdump-d31-above")
    mine = {k: below[k] + above[k] for k in below}
    bad = []
    for k, want in theirs.items():
        # Each of the two dumps counts its own buffers where they lie.
        slack = max(want * 5 // 100, 64) + (own_b + own_a
                                             if k == "user" else 0)
        if abs(mine[k] - want) > slack:
            bad.append(f"{k}: memx {mine[k]}, makedumpfile {want}, "
                       f"allowed {slack}")
    pcp = [open(path(f"pcp-{who}.txt")).read().strip()
           for who in ("makedumpfile", "memx")]
    return (len(theirs) == 5 and not bad,
            f"memx {mine} (own {own_b}/{own_a}), makedumpfile {theirs}\n"
            f"on the per-CPU free lists before each: {pcp[0]} and {pcp[1]} "
            "pages\n" + "\n".join(bad))


def notes(name):
    return dump_notes(path(name))


def prstatus(name):
    return cpu_notes(path(name))


def crash_run(name, cmds):
    res = subprocess.run(["crash", "-s", vmlinux, path(name)],
                         input=cmds + "exit\n", capture_output=True,
                         text=True, errors="replace", timeout=900)
    return res.stdout + res.stderr


def help_r(text):
    """crash's help -r: each CPU's (RIP, RSP)."""
    return [(int(ip, 16), int(sp, 16)) for ip, sp in
            re.findall(r"RIP: ([0-9a-f]+)  RSP: ([0-9a-f]+)", text)]


def cpu_notes_read_back(name):
    found = notes(name)
    kinds = [(t, n) for t, n, _ in found]
    cpus = [(r[GREG["ip"]], r[GREG["sp"]]) for _, r in prstatus(name)]
    shown = help_r(crash_run(name, "help -r\n"))
    return (kinds == [(NT_PRSTATUS, b"CORE")] * 3 + [(0, b"VMCOREINFO")] +
            kinds[4:] and shown == cpus,
            f"notes {kinds}\nnotes' RIP/RSP {cpus}\ncrash's {shown}")


for f in ("elf", "kdump-zstd"):
    check(f"CPU notes ({f}): an NT_PRSTATUS a CPU (3) before VMCOREINFO, "
          "and crash's help -r shows each one's RIP and RSP")(
        functools.partial(cpu_notes_read_back, f"memx.{f}"))


def busy():
    """The loops' PIDs by kind, from the guest's cpus.txt."""
    return {w: int(p) for w, p, _ in
            (line.split() for line in open(path("cpus.txt")))}


def bt_a(text):
    """crash's bt -a: (PID, CPU, COMMAND) of each CPU's task."""
    return [(int(p), int(c), m) for p, c, m in re.findall(
        r"^PID: (\d+)\s+TASK: \S+\s+CPU: (\d+)\s+COMMAND: \"(.*)\"",
        text, re.M)]


@check("CPU notes (kdump-cpus): pid CPU + 1 in each; crash's bt -a shows "
       "memx on CPU 0, the user loop on CPU 1 and the kernel loop on CPU 2, "
       "CPU 2's from its note's registers ('exception RIP: helper_loop'); "
       "CPU 1's note in user mode or kernel mode, CPU 2's in kernel mode")
def cpu_notes_tasks():
    loops, cpus = busy(), prstatus("memx.kdump-cpus")
    text = crash_run("memx.kdump-cpus", "bt -a\n")
    shown = bt_a(text)
    user_ip, user_cs = cpus[1][1][GREG["ip"]], cpus[1][1][GREG["cs"]]
    ip, sp = cpus[2][1][GREG["ip"]], cpus[2][1][GREG["sp"]]
    return ([p for p, _ in cpus] == [1, 2, 3] and
            "[exception RIP: helper_loop+" in text and
            f"RIP: {ip:016x}  RSP: {sp:016x}" in text and
            cpus[2][1][GREG["cs"]] == 0x10 and
            ((user_cs == 0x33 and user_ip < 1 << 47) or
             (user_cs == 0x10 and user_ip >= 0xffff800000000000)) and
            [(c, m) for _, c, m in shown] == [(0, "memx"), (1, "sh"),
                                              (2, "sh")] and
            [p for p, _, _ in shown[1:]] == [loops["user"], loops["kernel"]],
            f"loops {loops}, notes' PIDs {[p for p, _ in cpus]}, CPU 1 cs "
            f"{user_cs:#x} ip {user_ip:#x}\ncrash bt -a: {shown}\n" +
            text[-1500:])


@check("CPU notes (kdump-cpus): crash's bt from CPU 2's RIP and RSP goes "
       "through loop_write and vfs_write")
def crash_bt_from_note():
    regs = prstatus("memx.kdump-cpus")[2][1]
    text = crash_run("memx.kdump-cpus", f"bt -c 2 -I {regs[GREG['ip']]:#x} "
                     f"-S {regs[GREG['sp']]:#x}\n")
    return ("loop_write" in text and "vfs_write" in text, text[-1500:])


MEMX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                    "tools", "memx")


def hashed(name):
    """sha256sum -c of NAME.sha256 (in DIR) and memx verify NAME."""
    res = subprocess.run(["sha256sum", "-c", f"{name}.sha256"], cwd=out,
                         capture_output=True, text=True, timeout=900)
    ver = subprocess.run([MEMX, "verify", path(name)], capture_output=True,
                         text=True, timeout=900)
    ranges = len(map_ranges())
    return (res.returncode == 0 and ver.returncode == 0 and
            f"SHA-256 matches, {ranges} range digests match" in ver.stdout,
            res.stdout + res.stderr + ver.stdout + ver.stderr)


for f in ("elf", "kdump-zstd"):
    check(f"--hash sha256 ({f}): sha256sum -c of its .sha256 on the host, "
          "and memx verify checks every range's digest")(
        functools.partial(hashed, f"memx.{f}"))

def seed(codec):
    """memx verify of a four-page kdump in CODEC: the writer's every codec
    read back by verify's hostile-file reader, page by page."""
    ver = subprocess.run([MEMX, "verify", path(f"memx.seed-{codec}")],
                         capture_output=True, text=True, timeout=900)
    return (ver.returncode == 0 and
            "SHA-256 matches, 1 range digests match" in ver.stdout,
            ver.stdout + ver.stderr)


for c in ("zstd", "zlib", "lzo", "snappy", "none"):
    check(f"memx verify of a four-page kdump in {c} (a fuzz seed): its "
          "SHA-256 and its range's digest match")(
        functools.partial(seed, c))



@check("memx dump --isf writes, before the dump, the ISF memx isf writes "
       "(here through xz)")
def dump_isf():
    with open(path("isf.json"), "rb") as f:
        plain = f.read()
    with open(path("memx.kdump-zstd.isf.json.xz"), "rb") as f:
        packed = lzma.decompress(f.read())
    return packed == plain and len(plain) > 1 << 20, f"{len(plain)} bytes"


def kernel_offset():
    """VMCOREINFO's KERNELOFFSET, from the ELF dump's note."""
    for ntype, name, desc in dump_notes(path("memx.elf")):
        if name == b"VMCOREINFO":
            m = re.search(rb"^KERNELOFFSET=([0-9a-f]+)$", desc, re.M)
            return int(m[1], 16) if m else 0
    raise ValueError("no VMCOREINFO note")


@check("Volatility's way in, by hand, on the raw dump with memx's ISF: "
       "the banner it matches is there, and its KASLR search (swapper's "
       "comm, pid 0, init_task.files against init_files) finds init_task "
       "and VMCOREINFO's offset")
def volatility_way_in():
    isf = json.load(open(path("isf.json")))
    sym, task = isf["symbols"], isf["user_types"]["task_struct"]["fields"]
    banner = base64.b64decode(sym["linux_banner"]["constant_data"])
    comm, pid = task["comm"]["offset"], task["pid"]["offset"]
    files, state = task["files"]["offset"], task["__state"]["offset"]
    found = []
    with open(path("memx.raw"), "rb") as f, \
            mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        has_banner = m.find(banner) >= 0
        for hit in re.finditer(rb"swapper(/0|\0\0)\0{6}", m):
            at = hit.start() - comm
            if at < 0 or struct.unpack_from("<i", m, at + pid)[0] or \
                    struct.unpack_from("<I", m, at + state)[0]:
                continue
            shift = struct.unpack_from("<Q", m, at + files)[0] - \
                sym["init_files"]["address"]
            kaslr = at - (sym["init_task"]["address"] - 0xffffffff80000000)
            if shift & 0xfff == 0 and kaslr & 0xfff == 0:
                found.append(shift % (1 << 64))
                break
    want = kernel_offset()
    return (has_banner and found == [want],
            f"banner found: {has_banner}; shifts {found}, VMCOREINFO {want:#x}")


print(f"1..{tap.n}")
sys.exit(1 if tap.failed else 0)
