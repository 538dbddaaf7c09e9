# SPDX-License-Identifier: GPL-2.0
"""crash in full mode on the live kernel through memx, each answer compared
with the kernel's own view: ps with /proc, bt of a task sleeping in
nanosleep, log with dmesg, kmem -i with MemTotal, mod with /proc/modules,
files with a descriptor this script opened.  When crash stops, it is run
on /proc/kcore too: the same refusal there is crash's limit (a kernel
newer than crash), a skip in its words, written to REFUSED for
cpus_check.py.  Run in the test VM, chrooted into the sid root (crash 9)
or, on 5.10, the host's (Debian 12's crash 8.0.2).
Usage: crash_check.py VMLINUX FIRST_TAP_NUMBER"""

import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))

from clientlib import CRASH_COMMS, FD, MARKER, Tap, proc_tasks, read, sleeper # noqa: E402

vmlinux = sys.argv[1]
tap = Tap(int(sys.argv[2]))
COMM_LEN = 15  # TASK_COMM_LEN less the NUL
REFUSED = "/tmp/crash-refused"  # crash's refusal of this kernel, if any
# "crash 9.0.2": what the TAP lines call it
CRASH = re.search(r"^crash \S+", subprocess.run(
    ["crash", "--version"], capture_output=True, text=True).stdout,
    re.M)[0]


def run_crash(source, pid):
    """crash on SOURCE (memx or /proc/kcore); each command's output in a
    file of its own.  Returns (exit status, {command: output})."""
    cmds = {"ps": "ps", "bt": f"bt {pid}", "log": "log", "kmem": "kmem -i",
            "mod": "mod", "files": f"files {pid}"}
    out = f"/tmp/crash-{'memx' if source == 'memx' else 'kcore'}"
    script = "set scroll off\n" + "".join(
        f"{c} > {out}.{k}\n" for k, c in cmds.items()) + "exit\n"
    if source == "memx":
        argv = ["crash", "-s", "--memory_module", "memx",
                "--memory_device", "/tmp/memx-crash", vmlinux]
    else:
        argv = ["crash", "-s", vmlinux, "/proc/kcore"]
    for k in cmds:
        if os.path.exists(f"{out}.{k}"):
            os.unlink(f"{out}.{k}")
    try:
        r = subprocess.run(argv, input=script, capture_output=True,
                           text=True, timeout=900)
        rc, err = r.returncode, r.stdout + r.stderr
    except subprocess.TimeoutExpired:
        rc, err = "timeout", ""
    outputs = {}
    for k in cmds:
        try:
            outputs[k] = read(f"{out}.{k}")
        except FileNotFoundError:
            outputs[k] = ""
    return rc, err, outputs


def same_comm(task_comm, proc_name):
    """task->comm holds 15 characters; /proc names a kernel thread in
    full and a workqueue worker with its work appended."""
    if proc_name == task_comm:
        return True
    rest = proc_name[len(task_comm):]
    return proc_name.startswith(task_comm) and (
        len(task_comm) == COMM_LEN or rest.startswith("-"))


def check_ps(text, before, after):
    """Every task in /proc before and after is in ps with its ppid and
    comm; ps lists nothing /proc never saw but crash itself."""
    listed = {}
    for line in text.splitlines():
        f = line.lstrip(">").split(None, 8)
        if len(f) < 9 or not f[0].isdigit() or f[0] == "0":
            continue
        listed[int(f[0])] = (int(f[1]), f[8].strip().strip("[]"))
    if not listed:
        return False, "no task in ps"
    bad = []
    for tid in before.keys() & after.keys():
        ppid, comm = before[tid]
        if tid not in listed:
            bad.append(f"{tid} {comm} missing")
            continue
        cppid, ccomm = listed[tid]
        if cppid != ppid or not same_comm(ccomm, comm):
            bad.append(f"{tid}: crash {cppid} {ccomm}, /proc {ppid} {comm}")
    for tid, (_, comm) in listed.items():
        if tid not in before and tid not in after and comm not in CRASH_COMMS:
            bad.append(f"{tid} {comm} never in /proc")
    return not bad, "\n".join(bad[:8]) + f"\n({len(listed)} tasks in ps)"


def check_bt(text):
    frames = re.findall(r"^ *#\d+ \[[0-9a-f]+\] (\S+)", text, re.M)
    return any("nanosleep" in f for f in frames), " ".join(frames) or text


def stamped(text):
    return [line.rstrip() for line in text.splitlines()
            if re.match(r"^\[ *\d+\.\d+\]", line)]


def check_log(text, dmesg):
    mine, theirs = stamped(text), stamped(dmesg)
    ok = len(theirs) > 0 and mine[:len(theirs)] == theirs
    why = ""
    if not ok:
        diff = [(a, b) for a, b in zip(mine, theirs) if a != b][:2]
        why = f"{len(mine)} crash lines, {len(theirs)} dmesg lines; {diff}"
    return ok, why


def check_kmem(text):
    m = re.search(r"^\s*TOTAL MEM\s+(\d+)", text, re.M)
    total = int(re.search(r"^MemTotal:\s+(\d+) kB", read("/proc/meminfo"),
                          re.M)[1])
    pages = int(m[1]) if m else -1
    return pages * os.sysconf("SC_PAGE_SIZE") == total * 1024, \
        f"crash {pages} pages, MemTotal {total} kB"


def check_mod(text):
    names = {line.split()[1] for line in text.splitlines()
             if re.match(r"^[0-9a-f]{16}\s+\S+", line)}
    theirs = {line.split()[0] for line in read("/proc/modules").splitlines()}
    return "memx" in names and names == theirs, \
        f"crash {sorted(names)}, /proc/modules {sorted(theirs)}"


def check_files(text):
    ok = any(re.match(rf"^\s*{FD}\s.*\S*{MARKER.split('/')[-1]}$", line)
             for line in text.splitlines())
    return ok, text


def refusal(rc, err):
    """crash's own message when it stopped by itself (an error exit, not
    a signal or a timeout), else None."""
    if not isinstance(rc, int) or rc <= 0:
        return None
    lines = [line for line in err.splitlines() if line.startswith("crash: ")]
    return lines[-1] if lines else f"exit {rc}"


def main():
    child = sleeper()
    dmesg = subprocess.run(["dmesg"], capture_output=True, text=True).stdout
    what = f"{CRASH} full mode on memx: ps, bt, log, kmem -i, mod, files run"
    before = proc_tasks()
    start = time.monotonic()
    rc, err, out = run_crash("memx", child.pid)
    took = time.monotonic() - start
    after = proc_tasks()
    refused = refusal(rc, err)
    # The kernel's own path only when crash stops: refused there too, it is
    # crash's limit, and a pass once crash catches up.
    if refused and refusal(*run_crash("/proc/kcore", child.pid)[:2]) == refused:
        with open(REFUSED, "w") as f:
            f.write(refused)
        tap.skip(what, f"crash refuses this kernel through /proc/kcore "
                 f"too: {refused}")
    else:
        tap(rc == 0, f"{what} (exit {rc}, {took:.0f} s)", err[-2000:])
    if rc == 0:
        checks = (("ps equals /proc (pid, ppid, comm)",
                   check_ps(out["ps"], before, after)),
                  ("bt of a task in nanosleep shows the nanosleep frames",
                   check_bt(out["bt"])),
                  ("log equals dmesg", check_log(out["log"], dmesg)),
                  ("kmem -i TOTAL MEM equals MemTotal",
                   check_kmem(out["kmem"])),
                  ("mod lists memx, as /proc/modules does",
                   check_mod(out["mod"])),
                  (f"files lists fd {FD} on {MARKER}",
                   check_files(out["files"])))
        for name, (ok, why) in checks:
            tap(ok, f"{CRASH} on memx: {name}", why)
    child.send_signal(signal.SIGKILL)
    child.wait()

main()
