# SPDX-License-Identifier: GPL-2.0
"""drgn over memx: a drgn Program reading a live kernel through the nodes.

    import memx_drgn
    prog = memx_drgn.program("/usr/lib/debug/boot/vmlinux-...")
    print(prog["init_task"].comm.string_())

Virtual memory is read through /dev/kmemx with MEMX_IOC_READ (Python's
os.lseek refuses the "negative" offsets of kernel addresses, the ioctl
does not), physical memory through /dev/memx with pread.  drgn 0.0.22 learns
that the program is a Linux kernel, and its KASLR offset, only from a core
dump's VMCOREINFO note, so memx reads the note at the physical address
/sys/kernel/vmcoreinfo gives and wraps it in a minimal ELF core holding just
that note; all memory comes from the segments memx supplies.
"""

import ctypes
import fcntl
import os
import struct
import tempfile

import drgn

# include/uapi/memx.h: struct memx_xfer and MEMX_IOC_READ,
# _IOWR('x', 0x02, struct memx_xfer).
_XFER = struct.Struct("=QQQ")
MEMX_IOC_READ = (3 << 30) | (_XFER.size << 16) | (ord("x") << 8) | 0x02

KERNEL_HALF = 1 << 63


def _ioctl_read(fd, addr, count):
    buf = ctypes.create_string_buffer(count)
    arg = bytearray(_XFER.pack(addr, ctypes.addressof(buf), count))
    try:
        fcntl.ioctl(fd, MEMX_IOC_READ, arg)
    except OSError as e:
        raise drgn.FaultError(os.strerror(e.errno), addr) from None
    moved = _XFER.unpack(arg)[2]
    if moved != count:
        raise drgn.FaultError("short read", addr + moved)
    return buf.raw


def _pread(fd, addr, count):
    try:
        data = os.pread(fd, count, addr)
    except OSError as e:
        raise drgn.FaultError(os.strerror(e.errno), addr) from None
    if len(data) != count:
        raise drgn.FaultError("short read", addr + len(data))
    return data


def vmcoreinfo_note(mem_fd):
    """The VMCOREINFO ELF note, read through memx, exactly as long as its
    header says (the sysfs size is the whole zero-padded buffer)."""
    with open("/sys/kernel/vmcoreinfo") as f:
        paddr, size = (int(x, 16) for x in f.read().split())
    raw = _pread(mem_fd, paddr, size)
    namesz, descsz, _ = struct.unpack_from("=III", raw)
    length = 12 + (namesz + 3) // 4 * 4 + (descsz + 3) // 4 * 4
    return raw[:length]


def core_with_note(note):
    """A minimal x86-64 ELF core: one PT_NOTE segment and nothing else."""
    ehdr_size, phdr_size = 64, 56
    ehdr = struct.pack(
        "=4sBBBBB7sHHIQQQIHHHHHH", b"\x7fELF", 2, 1, 1, 0, 0, b"\0" * 7,
        4, 62, 1, 0, ehdr_size, 0, 0, ehdr_size, phdr_size, 1, 0, 0, 0)
    phdr = struct.pack("=IIQQQQQQ", 4, 0, ehdr_size + phdr_size, 0, 0,
                       len(note), len(note), 4)
    return ehdr + phdr + note


def program(vmlinux, kmem="/dev/kmemx", mem="/dev/memx"):
    """A drgn Program over the running kernel, read through memx."""
    kfd = os.open(kmem, os.O_RDONLY)
    pfd = os.open(mem, os.O_RDONLY)
    prog = drgn.Program()
    with tempfile.NamedTemporaryFile(prefix="memx-core-") as core:
        core.write(core_with_note(vmcoreinfo_note(pfd)))
        core.flush()
        prog.set_core_dump(core.name)
    prog.add_memory_segment(
        KERNEL_HALF, KERNEL_HALF - 1,
        lambda addr, count, off, phys: _ioctl_read(kfd, addr, count))
    prog.add_memory_segment(
        0, KERNEL_HALF - 1,
        lambda addr, count, off, phys: _pread(pfd, addr, count),
        physical=True)
    try:
        prog.load_debug_info([vmlinux])
    except drgn.MissingDebugInfoError:
        pass    # modules without debug info: the kernel's own is enough
    return prog


if __name__ == "__main__":
    import sys

    p = program(sys.argv[1])
    print(p["init_task"].comm.string_().decode())
