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
import mmap
import os
import struct
import tempfile

import drgn

# include/uapi/memx.h: struct memx_xfer, MEMX_IOC_READ and MEMX_IOC_WRITE,
# _IOWR('x', 0x02 and 0x03, struct memx_xfer).
XFER = struct.Struct("=QQQ")
MEMX_IOC_READ = (3 << 30) | (XFER.size << 16) | (ord("x") << 8) | 0x02
MEMX_IOC_WRITE = (3 << 30) | (XFER.size << 16) | (ord("x") << 8) | 0x03
# struct memx_vtop and MEMX_IOC_VTOP, _IOWR('x', 0x01, struct memx_vtop).
VTOP = struct.Struct("=QQII")
MEMX_IOC_VTOP = (3 << 30) | (VTOP.size << 16) | (ord("x") << 8) | 0x01
MEMX_VTOP_RAM = 0x1

KERNEL_HALF = 1 << 63
START_KERNEL_MAP = 0xffffffff80000000  # x86-64's __START_KERNEL_map


def _ioctl_read(fd, addr, count):
    buf = ctypes.create_string_buffer(count)
    arg = bytearray(XFER.pack(addr, ctypes.addressof(buf), count))
    try:
        fcntl.ioctl(fd, MEMX_IOC_READ, arg)
    except OSError as e:
        raise drgn.FaultError(os.strerror(e.errno), addr) from None
    moved = XFER.unpack(arg)[2]
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


def ram_ranges(mem_fd):
    """System RAM as [start, end) pairs, from SEEK_DATA and SEEK_HOLE."""
    ranges, pos = [], 0
    while True:
        try:
            start = os.lseek(mem_fd, pos, os.SEEK_DATA)
        except OSError:
            return ranges
        pos = os.lseek(mem_fd, start, os.SEEK_HOLE)
        ranges.append((start, pos))


def kallsyms(*names):
    found = {}
    with open("/proc/kallsyms") as f:
        for line in f:
            addr, _, name = line.split()[:3]
            if name in names:
                found[name] = int(addr, 16)
    return [found[n] for n in names]


def _map_pieces(pfd, lo, hi, page):
    """Whole pages [lo, hi) as (start, end, view) pieces: mapped from memx
    where it maps them, halved around the pages it refuses (KFENCE guard
    pages, secretmem, hwpoison) down to single pages, whose view is None."""
    try:
        return [(lo, hi, memoryview(mmap.mmap(pfd, hi - lo, mmap.MAP_SHARED,
                                              mmap.PROT_READ, offset=lo)))]
    except OSError:
        if hi - lo <= page:
            return [(lo, hi, None)]
    mid = lo + (hi - lo) // page // 2 * page
    return _map_pieces(pfd, lo, mid, page) + _map_pieces(pfd, mid, hi, page)


def _slice_reader(view):
    """A segment's read function over a mapped VIEW: a slice, no system
    call."""
    return lambda addr, count, off, phys: view[off:off + count]


def _ram_segments(prog, pfd, page_offset):
    """Each System RAM range as physical segments and, at page_offset,
    virtual ones (the direct map): its whole pages mapped from memx once,
    so that a read is a slice and no system call; the partial pages at
    its ends and the pages memx will not map read with pread.  Returns
    the mapped pieces as (start, end, view) triples."""
    page = os.sysconf("SC_PAGE_SIZE")
    mapped = []
    for start, end in ram_ranges(pfd):
        first, last = -(-start // page) * page, end // page * page
        pieces = [(start, first, None), (last, end, None)]
        if last > first:
            pieces += _map_pieces(pfd, first, last, page)
        for lo, hi, view in pieces:
            if hi <= lo:
                continue
            if view is not None:
                mapped.append((lo, hi, view))
            for base in (lo, page_offset + lo):
                if view is None:
                    fn = (lambda addr, count, off, phys, lo=lo:
                          _pread(pfd, lo + off, count))
                else:
                    fn = _slice_reader(view)
                prog.add_memory_segment(base, hi - lo, fn,
                                        physical=base == lo)
    return mapped


def _vtop(fd, addr):
    """Kernel address ADDR's frame and mapping as (physical address of the
    mapping's start, its size), or None where no RAM is mapped there."""
    arg = bytearray(VTOP.pack(addr, 0, 0, 0))
    try:
        fcntl.ioctl(fd, MEMX_IOC_VTOP, arg)
    except OSError:
        return None
    _, paddr, flags, shift = VTOP.unpack(arg)
    if not flags & MEMX_VTOP_RAM:
        return None
    size = 1 << shift
    return paddr - addr % size, size


def _view_of(mapped, paddr, size):
    """The mapped piece's view of [paddr, paddr + size), or None."""
    for lo, hi, view in mapped:
        if lo <= paddr and paddr + size <= hi:
            return view[paddr - lo:paddr - lo + size]
    return None


def _vmemmap_moves():
    """Whether the kernel remaps the vmemmap as HugeTLB pages come and go
    (HugeTLB Vmemmap Optimization: a sysctl since 6.0, a boot option from
    5.14), where a segment found once would go stale."""
    try:
        with open("/proc/sys/vm/hugetlb_optimize_vmemmap") as f:
            if f.read().strip() != "0":
                return True
    except OSError:
        pass
    with open("/proc/cmdline") as f:
        return "hugetlb_free_vmemmap=on" in f.read().split()


def _vmemmap_segments(prog, kfd, pfd, mapped, vmemmap_ptr):
    """The struct pages of System RAM (x86-64's vmemmap, at vmemmap_base)
    as virtual segments over the RAM mappings, each of the vmemmap's own
    mappings (2 MiB or 4 KiB) found once with MEMX_IOC_VTOP: reading a
    page's flags is then one slice, where drgn would walk the page tables
    through its physical segments for every read (four callbacks for one
    read under 2 MiB pages).  Sections added later are read through that
    walk; the struct pages of memory removed later, from the frames their
    vmemmap had (for_each_page does not visit them).  Not where the kernel
    remaps the vmemmap by itself."""
    if _vmemmap_moves():
        return
    vmemmap = struct.unpack("=Q", _ioctl_read(kfd, vmemmap_ptr, 8))[0]
    size_of = prog.type("struct page").size
    page = os.sysconf("SC_PAGE_SIZE")
    done = set()
    for start, end in ram_ranges(pfd):
        addr = vmemmap + start // page * size_of
        last = vmemmap + -(-end // page) * size_of
        while addr < last:
            found = _vtop(kfd, addr)
            if found is None:
                addr = (addr | (page - 1)) + 1
                continue
            paddr, size = found
            base = addr - addr % size
            addr = base + size
            if base in done:
                continue
            done.add(base)
            view = _view_of(mapped, paddr, size)
            if view is not None:
                prog.add_memory_segment(base, size, _slice_reader(view))


def _custom_program(vmlinux, kfd, pfd):
    """drgn 0.3's documented custom live kernel target: VMCOREINFO and a
    physical segment a System RAM range, mapped from memx; drgn walks the
    live page tables through them for any kernel virtual address (vmalloc
    stacks, modules).  The direct map, the kernel image and (once the
    debug info gives struct page's size) the vmemmap are also virtual
    segments over the same mappings, so drgn reads them, most of what it
    reads, without a walk."""
    note = vmcoreinfo_note(pfd)
    namesz, descsz = struct.unpack_from("=II", note)
    info = note[12 + (namesz + 3) // 4 * 4:][:descsz]
    fields = dict(line.split("=", 1) for line in
                  info.decode().splitlines() if "=" in line)
    phys_base = int(fields["NUMBER(phys_base)"])
    page_offset_ptr, vmemmap_ptr, text, end = kallsyms(
        "page_offset_base", "vmemmap_base", "_text", "_end")
    page_offset = struct.unpack("=Q", _ioctl_read(kfd, page_offset_ptr,
                                                  8))[0]
    prog = drgn.Program(drgn.host_platform)
    prog.set_linux_kernel_custom(info, True)
    image_paddr = text - START_KERNEL_MAP + phys_base
    mapped = _ram_segments(prog, pfd, page_offset)
    image = _view_of(mapped, image_paddr, end - text)
    if image is not None:
        prog.add_memory_segment(text, end - text, _slice_reader(image))
    try:
        prog.load_debug_info([vmlinux])
    except drgn.MissingDebugInfoError:
        pass    # modules without debug info: the kernel's own is enough
    _vmemmap_segments(prog, kfd, pfd, mapped, vmemmap_ptr)
    return prog


def program(vmlinux, kmem="/dev/kmemx", mem="/dev/memx"):
    """A drgn Program over the running kernel, read through memx."""
    kfd = os.open(kmem, os.O_RDONLY)
    pfd = os.open(mem, os.O_RDONLY)
    if hasattr(drgn.Program, "set_linux_kernel_custom"):
        return _custom_program(vmlinux, kfd, pfd)
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
