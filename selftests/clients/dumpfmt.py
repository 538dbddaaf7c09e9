# SPDX-License-Identifier: GPL-2.0
"""The dump formats memx writes, read back by the checks from their
definitions (not by memx's code): ELF program headers and notes, LiME's
range headers, and the kdump-compressed format's header, bitmaps and
pages."""

import struct
import zlib

PT_LOAD, PT_NOTE = 1, 4
LIME_MAGIC = 0x4C694D45


def elf_phdrs(file):
    """ELF core FILE's program headers as (type, offset, vaddr, paddr,
    filesz, align), in header order."""
    with open(file, "rb") as f:
        eh = f.read(64)
        phoff, = struct.unpack_from("<Q", eh, 32)
        phnum, = struct.unpack_from("<H", eh, 56)
        f.seek(phoff)
        phdrs = []
        for _ in range(phnum):
            (ptype, _flags, off, vaddr, paddr, filesz, _memsz,
             align) = struct.unpack("<IIQQQQQQ", f.read(56))
            phdrs.append((ptype, off, vaddr, paddr, filesz, align))
    return phdrs


def elf_loads(file):
    """The PT_LOADs as (paddr, vaddr, size, offset, align), header order."""
    return [(paddr, vaddr, size, off, align)
            for ptype, off, vaddr, paddr, size, align in elf_phdrs(file)
            if ptype == PT_LOAD]


def lime_ranges(file, size):
    """LiME's (start, end inclusive, data offset) triples of FILE's first
    SIZE bytes; raises on a bad header or a range they do not hold whole."""
    ranges, pos = [], 0
    with open(file, "rb") as f:
        while pos < size:
            f.seek(pos)
            magic, version, start, end = struct.unpack_from("<IIQQ",
                                                            f.read(32))
            if magic != LIME_MAGIC or version != 1:
                raise ValueError(f"bad LiME header at {pos:#x}")
            pos += 32 + end - start + 1
            if pos > size:
                raise ValueError(f"range {start:#x}-{end:#x} truncated")
            ranges.append((start, end, pos - (end - start + 1)))
    return ranges


NT_PRSTATUS = 1
GREG = {"ip": 16, "cs": 17, "sp": 19}    # struct user_regs_struct


def dump_notes(file):
    """The ELF notes of dump FILE (ELF: its PT_NOTE; kdump: the
    sub-header's), as (n_type, name, desc) in file order."""
    with open(file, "rb") as f:
        head = f.read(464)
        if head[:4] == b"\x7fELF":
            off, size = next((off, size) for ptype, off, _, _, size, _
                             in elf_phdrs(file) if ptype == PT_NOTE)
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


def kdump_bitmaps(file):
    """The kdump's two bitmaps, RAM frames and frames held, as ints."""
    block, sub_blocks, bitmap_blocks = kdump_header(file)
    half = bitmap_blocks * block // 2
    with open(file, "rb") as f:
        f.seek((1 + sub_blocks) * block)
        return (int.from_bytes(f.read(half), "little"),
                int.from_bytes(f.read(half), "little"))


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
