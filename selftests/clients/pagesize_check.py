# SPDX-License-Identifier: GPL-2.0
"""Host-side checks of a kdump `memx dump` wrote in a guest whose pages are
not 4 KiB (the arm64 16K boot), into DIR with the guest's page size, its
/proc/version, the threads alive around the dump and a raw dump of the
kernel's read-only data: the kdump's blocks, bitmaps and page descriptors
count the kernel's pages (block_size is the page size, as VMCOREINFO's
PAGESIZE says), its pages of read-only data equal the raw dump's, and
drgn (Debian 12's, through libkdumpfile) opens it with the kernel's -dbg
vmlinux: init_task.comm, linux_banner against /proc/version, and the task
list against the threads the guest saw.  Each check is one TAP line; an
exception in a check is that check's failure.
Usage: pagesize_check.py DIR VMLINUX"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clientlib import Tap  # noqa: E402
from dumpfmt import dump_notes, kdump_header, kdump_read  # noqa: E402

out, vmlinux = sys.argv[1], sys.argv[2]
tap = Tap(1)
KDUMP = os.path.join(out, "memx.kdump")


def text(name):
    with open(os.path.join(out, name)) as f:
        return f.read()


def check(name, fn):
    try:
        ok, why = fn()
    except Exception as e:  # the check's own failure, reported
        ok, why = False, repr(e)
    tap(ok, name, why)


def page_size():
    """The guest's page size, from its smaps' KernelPageSize (kB)."""
    return int(re.search(r"(\d+) kB", text("pagesize.txt"))[1]) * 1024


def blocks():
    block = kdump_header(KDUMP)[0]
    info = next(d for t, n, d in dump_notes(KDUMP) if n == b"VMCOREINFO")
    pagesize = int(re.search(rb"^PAGESIZE=(\d+)$", info, re.M)[1])
    return (block == pagesize == page_size() != 4096,
            f"block_size {block}, VMCOREINFO PAGESIZE {pagesize}, "
            f"the guest's pages {page_size()}")


def same_rodata():
    vtop = re.findall(r"-> (0x[0-9a-f]+)", text("rodata.txt"))
    start, end = int(vtop[0], 16), int(vtop[1], 16)
    with open(os.path.join(out, "memx.raw"), "rb") as f:
        f.seek(start)
        raw = f.read(end - start)
    mine = kdump_read(KDUMP, start, end - start)
    return (len(raw) == end - start > 4 * page_size() and mine == raw,
            f"{end - start} bytes at {start:#x}, equal {mine == raw}")


def drgn_reads():
    import drgn
    from drgn.helpers.linux.pid import for_each_task

    prog = drgn.Program()
    prog.set_core_dump(KDUMP)
    prog.load_debug_info([vmlinux])
    comm = prog["init_task"].comm.string_().decode()
    banner = prog["linux_banner"].string_().decode()
    pids = {t.pid.value_() for t in for_each_task(prog)}
    seen = set.intersection(*({int(x) for x in text(f"pids.{w}").split()}
                              for w in ("before", "after")))
    return (comm == "swapper/0" and banner == text("version.txt") and
            seen and seen <= pids,
            f"comm {comm}, banner {banner!r}, {len(seen)} threads seen, "
            f"missing {sorted(seen - pids)}")


check("the kdump counts the kernel's pages: block_size is the page size "
      "and VMCOREINFO's PAGESIZE", blocks)
check("the kdump's pages of the kernel's read-only data equal the raw "
      "dump's", same_rodata)
check("drgn on the kdump: init_task.comm, linux_banner is /proc/version, "
      "the threads the guest saw are its tasks", drgn_reads)
sys.exit(1 if tap.failed else 0)
