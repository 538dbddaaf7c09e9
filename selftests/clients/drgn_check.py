# SPDX-License-Identifier: GPL-2.0
"""drgn 0.0.22 (Debian 12's) through memx against the kernel's own view:
init_task.comm, jiffies_64 between two readings of /proc/timer_list, and
the task list against /proc.  Usage: drgn_check.py VMLINUX LAST_TAP_NUMBER"""

import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, "../../tools"))

import memx_drgn  # noqa: E402
from clientlib import Tap, drgn_checks  # noqa: E402

tap = Tap(int(sys.argv[2]) + 1)
try:
    prog = memx_drgn.program(sys.argv[1])
except Exception as e:  # any failure to build the program is the test
    tap(False, "drgn Program over kmemx and memx", repr(e))
    sys.exit(0)
tap(True, "drgn Program over kmemx and memx")
drgn_checks(prog, tap, "drgn")
