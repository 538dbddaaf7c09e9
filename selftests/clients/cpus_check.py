# SPDX-License-Identifier: GPL-2.0
"""sid's crash 9 and drgn 0.3 on a level-31 kdump that memx took on CPU 0
while the helper module's kernel loop ran on CPU 1 (its PID in
DIR/loop.pid): one NT_PRSTATUS note a CPU, pid CPU + 1, CPU 1's in kernel
mode; crash's bt -a shows the loop on CPU 1 from that note's registers
("exception RIP: helper_loop"), through loop_write and vfs_write; drgn's
stack trace of the loop starts at the note's RIP and goes through
helper_loop, loop_write and vfs_write.  When crash_check.py found that
crash refuses this kernel (through memx and /proc/kcore alike), its crash
check is a skip in crash's words.
Run in the test VM, chrooted into the sid root.
Usage: cpus_check.py VMLINUX DIR FIRST_TAP_NUMBER
       cpus_check.py --caught KDUMP CPU: exit 0 when CPU's note in KDUMP
       is inside helper_loop (kallsyms), 1 when the NMI found the loop
       elsewhere, switched out at a cond_resched() or in an interrupt (the
       guest then takes the dump again)"""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))

from clientlib import Tap, read  # noqa: E402
from dumpfmt import GREG, cpu_notes  # noqa: E402


def caught(kdump, cpu):
    ip = cpu_notes(kdump)[cpu][1][GREG["ip"]]
    syms = sorted({int(line.split()[0], 16): line.split()[2]
                   for line in read("/proc/kallsyms").splitlines()}.items())
    start = next(a for a, name in syms if name == "helper_loop")
    end = min(a for a, _ in syms if a > start)
    return start <= ip < end


if sys.argv[1] == "--caught":
    sys.exit(0 if caught(sys.argv[2], int(sys.argv[3])) else 1)

vmlinux, where = sys.argv[1], sys.argv[2]
tap = Tap(int(sys.argv[3]))
dump = os.path.join(where, "memx.kdump")
helper = os.path.join(where, "memx_helper.ko")
loop = int(read(os.path.join(where, "loop.pid")))
FRAMES = ("helper_loop", "loop_write", "vfs_write")
REFUSED = "/tmp/crash-refused"  # crash_check.py's: crash refuses the kernel


def crash(source, cmds):
    r = subprocess.run(["crash", "-s", vmlinux, source], input=cmds + "exit\n",
                       capture_output=True, text=True, errors="replace",
                       timeout=900)
    return r.returncode, r.stdout + r.stderr


def note_check():
    cpus = cpu_notes(dump)
    regs = cpus[1][1]
    return ([p for p, _ in cpus] == list(range(1, os.cpu_count() + 1)) and
            regs[GREG["cs"]] == 0x10,
            f"loop {loop}, notes "
            f"{[(p, hex(r[GREG['ip']])) for p, r in cpus]}")


def crash_check(what):
    regs = cpu_notes(dump)[1][1]
    if os.path.exists(REFUSED):
        tap.skip(what, "crash refuses this kernel, live through memx and "
                 f"/proc/kcore: {read(REFUSED)}")
        return None
    rc, text = crash(dump, "bt -a\n")
    on_cpu1 = re.search(r"^PID: (\d+)\s+TASK: \S+\s+CPU: 1\s", text, re.M)
    return (rc == 0 and on_cpu1 and int(on_cpu1[1]) == loop and
            "[exception RIP: helper_loop+" in text and
            f"RIP: {regs[GREG['ip']]:016x}  RSP: {regs[GREG['sp']]:016x}"
            in text and all(f in text for f in FRAMES[1:]), text[-2000:])


def drgn_check():
    import drgn
    from drgn.helpers.linux.pid import find_task

    ip = cpu_notes(dump)[1][1][GREG["ip"]]
    prog = drgn.Program()
    prog.set_core_dump(dump)
    prog.load_debug_info([vmlinux, helper])
    trace = prog.stack_trace(find_task(prog, loop))
    names = [f.name for f in trace]
    return (trace[0].pc == ip and all(f in names for f in FRAMES),
            f"first pc {trace[0].pc:#x}, note {ip:#x}\n{names}")


def run(what, fn, *args):
    """One TAP line; an exception in the check is its failure."""
    try:
        res = fn(*args)
    except Exception as e:  # the check's own failure, reported
        res = (False, repr(e))
    if res is not None:
        tap(res[0], what, res[1])


run("CPU notes: one a CPU, pid CPU + 1, CPU 1's in kernel mode",
    note_check)
what = ("crash 9 bt -a on the kdump: the loop on CPU 1, from its note's "
        "registers ('exception RIP: helper_loop'), through loop_write and "
        "vfs_write")
run(what, crash_check, what)
run("drgn 0.3 on the kdump: the kernel loop's stack trace starts at its "
    "note's RIP, through helper_loop, loop_write and vfs_write", drgn_check)
