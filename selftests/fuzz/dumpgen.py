# SPDX-License-Identifier: GPL-2.0
"""Small dumps in memx's ELF and kdump formats, written here from the
formats' own definitions (elf.h, makedumpfile's diskdump_mod.h, memx(8)'s
MEMX note), not by the memx command: valid ones whose MEMX digests match,
and every field open to damage.  The regression tests and the fuzz seeds
are made from them.

    python3 dumpgen.py DIR    writes the fuzz targets' seeds into DIR/<target>/
"""

import hashlib
import os
import struct
import sys
import zlib

PAGE = 4096
PT_LOAD, PT_NOTE = 1, 4
ET_CORE = 4
PN_XNUM = 0xFFFF
KDUMP_ZLIB = 1


def align4(n):
    return (n + 3) & ~3


def note(name, ntype, desc, namesz=None, descsz=None):
    """An ELF note; NAMESZ and DESCSZ as the header claims them."""
    raw = name + b"\0" if name is not None else b""
    hdr = struct.pack("<III", len(raw) if namesz is None else namesz,
                      len(desc) if descsz is None else descsz, ntype)
    return (hdr + raw.ljust(align4(len(raw)), b"\0") +
            desc.ljust(align4(len(desc)), b"\0"))


def memx_note(records, version=1, count=None, descsz=None):
    """The MEMX note: (paddr, size, sha256) records."""
    desc = struct.pack("<II", version,
                       len(records) if count is None else count)
    desc += b"".join(struct.pack("<QQ", paddr, size) + digest
                     for paddr, size, digest in records)
    return note(b"MEMX", 1, desc, descsz=descsz)


def vmcoreinfo_note(text=b"OSRELEASE=6.1.0-memx\nPAGESIZE=4096\n"):
    return note(b"VMCOREINFO", 0, text)


def elf_records(segs):
    """MEMX records of ELF segments [(paddr, data)]."""
    return [(p, len(d), hashlib.sha256(d).digest()) for p, d in segs]


def elf(segs, notes=None, phdrs=None, ident=None, e_type=ET_CORE,
        phentsize=56, xnum=False, note_filesz=None, load_offset=0):
    """An ELF64 core: one PT_NOTE (NOTES, or a MEMX note of SEGS), then a
    PT_LOAD a segment [(paddr, data)]; PHDRS replaces the PT_LOADs' list
    with (p_type, offset, paddr, filesz) tuples (offset None: the data)."""
    if notes is None:
        notes = vmcoreinfo_note() + memx_note(elf_records(segs))
    loads = phdrs if phdrs is not None else \
        [(PT_LOAD, None, p, len(d)) for p, d in segs]
    phnum = 1 + len(loads)
    xnum = xnum or phnum >= PN_XNUM
    phoff = 64
    shoff = phoff + phnum * 56
    note_off = shoff + (64 if xnum else 0)
    data_off = note_off + len(notes)
    ident = ident or b"\x7fELF\x02\x01\x01" + b"\0" * 9
    eh = ident + struct.pack("<HHIQQQIHHHHHH", e_type, 62, 1, 0, phoff,
                             shoff if xnum else 0, 0, 64, phentsize,
                             PN_XNUM if xnum else phnum, 64 if xnum else 0,
                             1 if xnum else 0, 0)
    ph = struct.pack("<IIQQQQQQ", PT_NOTE, 0, note_off, 0, 0,
                     len(notes) if note_filesz is None else note_filesz,
                     len(notes), 4)
    data, phs = [], [ph]
    off = data_off
    for i, (ptype, offset, paddr, filesz) in enumerate(loads):
        if offset is None:
            offset = off + load_offset
            seg = segs[i][1] if i < len(segs) else b""
            data.append(seg)
            off += len(seg)
        phs.append(struct.pack("<IIQQQQQQ", ptype, 7, offset,
                               (0xFFFF888000000000 + paddr) % (1 << 64),
                               paddr, filesz,
                               filesz, 0))
    sh = struct.pack("<IIQQQQIIQQ", 0, 0, 0, 0, 0, 0, 0,
                     phnum if xnum is True else xnum, 0, 0) if xnum else b""
    return eh + b"".join(phs) + sh + notes + b"".join(data)


def kdump_records(pages, ranges):
    """MEMX records of RANGES [(paddr, size)]: the held pages' digest."""
    recs, pfn = [], 0
    for paddr, size in ranges:
        h = hashlib.sha256()
        last = (paddr + size - 1) // PAGE + 1
        pfn = max(pfn, paddr // PAGE)
        for p in range(pfn, last):
            if p in pages:
                h.update(pages[p])
        pfn = last
        recs.append((paddr, size, h.digest()))
    return recs


def kdump(pages, ranges, codec=0, notes=None, version=6, block_size=PAGE,
          sub_hdr_size=None, bitmap_blocks=None, size_note=None,
          offset_note=None, desc_patch=None):
    """A kdump-compressed file of PAGES {pfn: 4 KiB} (the frames it holds)
    in RAM RANGES [(paddr, size)], compressed with zlib when CODEC is
    KDUMP_ZLIB and smaller that way; DESC_PATCH(index, desc) may change a
    page descriptor (offset, size, flags)."""
    if notes is None:
        notes = vmcoreinfo_note() + memx_note(kdump_records(pages, ranges))
    max_mapnr = max(p + s for p, s in ranges) // PAGE + 1
    map_bytes = -(-(-(-max_mapnr // 8)) // PAGE) * PAGE
    sub_blocks = -(-(104 + len(notes)) // PAGE)
    hdr = (b"KDUMP   " + struct.pack("<i", version) + b"\0" * (65 * 6)
           + b"\0" * 6 + struct.pack("<qqIiiIIIIIIi", 0, 0, codec,
                                   block_size, sub_blocks if sub_hdr_size
                                   is None else sub_hdr_size,
                                   2 * map_bytes // PAGE if bitmap_blocks
                                   is None else bitmap_blocks, max_mapnr,
                                   0, 0, 0, 0, 1))
    assert len(hdr) == 464
    sub = struct.pack("<QiiQQQQQQQQQQQ", 0, 0, 0, 0, max_mapnr, 0, 0,
                      PAGE + 104 if offset_note is None else offset_note,
                      len(notes) if size_note is None else size_note,
                      0, 0, 0, max_mapnr, max_mapnr)
    ram_map, dump_map = bytearray(map_bytes), bytearray(map_bytes)
    for paddr, size in ranges:
        for p in range(paddr // PAGE, (paddr + size - 1) // PAGE + 1):
            ram_map[p // 8] |= 1 << (p % 8)
    for p in pages:
        dump_map[p // 8] |= 1 << (p % 8)
    data_off = (1 + sub_blocks) * PAGE + 2 * map_bytes + 24 * len(pages)
    descs, data = b"", b""
    for i, p in enumerate(sorted(pages)):
        body, flags = pages[p], 0
        if codec == KDUMP_ZLIB:
            z = zlib.compress(body)
            if len(z) < PAGE:
                body, flags = z, KDUMP_ZLIB
        desc = (data_off + len(data), len(body), flags)
        if desc_patch:
            desc = desc_patch(i, desc)
        descs += struct.pack("<QIIQ", desc[0], desc[1], desc[2], 0)
        data += body
    head = (hdr.ljust(PAGE, b"\0") + (sub + notes).ljust(sub_blocks * PAGE,
                                                        b"\0"))
    return head + bytes(ram_map) + bytes(dump_map) + descs + data


def sample_pages():
    """Three frames of two RAM ranges: text, zeros and a pattern."""
    text = (b"memx fuzz seed page " * 205)[:PAGE]
    return {1: text, 2: bytes(PAGE),
            5: bytes((i * 7) & 0xFF for i in range(PAGE))}


SAMPLE_RANGES = [(0x1000, 0x2000), (0x4000, 0x3000)]


def sample_segs():
    return [(0x1000, b"first range " * 40), (0x9000, bytes(range(256)) * 3)]


# VMCOREINFO's lines --exclude and the kdump writer read, as 6.1 has them.
VMCOREINFO_61 = b"""OSRELEASE=6.1.0-memx-amd64
PAGESIZE=4096
SYMBOL(mem_section)=ffff88803ffd2000
LENGTH(mem_section)=2048
SIZE(mem_section)=16
OFFSET(mem_section.section_mem_map)=0
NUMBER(SECTION_SIZE_BITS)=27
SIZE(page)=64
OFFSET(page.flags)=0
OFFSET(page._refcount)=52
OFFSET(page.mapping)=24
OFFSET(page.lru)=8
OFFSET(page._mapcount)=48
OFFSET(page.private)=40
OFFSET(page.compound_dtor)=16
OFFSET(page.compound_head)=8
NUMBER(PG_lru)=4
NUMBER(PG_private)=13
NUMBER(PG_swapcache)=10
NUMBER(PG_swapbacked)=19
NUMBER(PG_slab)=9
NUMBER(PG_hwpoison)=23
NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129
NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257
NUMBER(HUGETLB_PAGE_DTOR)=2
NUMBER(phys_base)=0
KERNELOFFSET=1e000000
"""

KALLSYMS = b"""0000000000000000 A fixed_percpu_data
ffffffff81000000 T _text
ffffffff81000000 T _stext
ffffffff82000100 D linux_banner
ffffffff82a14940 D init_task
ffffffffc0000000 t memx_open\t[memx]
"""


def kcore_seed():
    """/proc/kcore's headers: the kernel image, the direct map, vmalloc."""
    image = 0xFFFFFFFF81000000
    loads = [(PT_LOAD, 0x2000, 0x1000000, 0x2000000),
             (PT_LOAD, 0x4000, 0x100000, 0x3FF00000),
             (PT_LOAD, 0x6000, (1 << 64) - 1, 0x1000)]
    data = bytearray(elf([], notes=b"", phdrs=loads))
    for i, vaddr in enumerate((image, 0xFFFF888000100000,
                               0xFFFFC90000000000)):
        struct.pack_into("<Q", data, 64 + 56 * (i + 1) + 16, vaddr)
    return bytes(data)


BTF_KIND = {"int": 1, "ptr": 2, "array": 3, "struct": 4, "union": 5,
            "enum": 6, "typedef": 8, "func": 12, "func_proto": 13,
            "var": 14, "datasec": 15}


def btf(types):
    """Raw BTF (as /sys/kernel/btf/vmlinux holds it) of TYPES, each (kind,
    name, size_or_type, extra bytes, vlen, kflag), IDs from 1."""
    strings, offs = bytearray(b"\0"), {"": 0}

    def name_off(name):
        if name not in offs:
            offs[name] = len(strings)
            strings.extend(name.encode() + b"\0")
        return offs[name]

    body = bytearray()
    for kind, name, size, extra, vlen, kflag in types:
        info = BTF_KIND[kind] << 24 | vlen | kflag << 31
        body += struct.pack("<III", name_off(name), info, size)
        body += extra(name_off) if callable(extra) else extra
    hdr = struct.pack("<HBBIIIII", 0xEB9F, 1, 0, 24, 0, len(body),
                      len(body), len(strings))
    return hdr + bytes(body) + bytes(strings)


def members(*fields):
    """btf_member records: (name, type, offset in bits, bitfield size)."""
    return lambda off: b"".join(struct.pack("<III", off(n), t, bits | bf << 24)
                                for n, t, bits, bf in fields)


def btf_seed():
    """A kernel in miniature: integers, a task_struct with a bitfield and
    an anonymous union, an enum, an array, a typedef, a function, and a
    per-CPU variable."""
    return btf([
        ("int", "int", 4, struct.pack("<I", 1 << 24 | 32), 0, 0),          # 1
        ("int", "unsigned int", 4, struct.pack("<I", 32), 0, 0),           # 2
        ("ptr", "", 0, b"", 0, 0),                                         # 3
        ("struct", "task_struct", 32, members(
            ("pid", 1, 0, 0), ("flags", 8, 32, 3), ("stack", 3, 64, 0),
            ("", 5, 128, 0), ("tasks", 11, 192, 0)), 5, 1),                # 4
        ("union", "", 8, members(("a", 1, 0, 0), ("b", 7, 0, 0)), 2, 1),   # 5
        ("enum", "state", 4, lambda off: struct.pack(
            "<IiIi", off("A"), 0, off("B"), -1), 2, 1),                    # 6
        ("array", "", 0, struct.pack("<III", 1, 2, 2), 0, 0),              # 7
        ("typedef", "u32", 2, b"", 0, 0),                                  # 8
        ("func_proto", "", 1, b"", 0, 0),                                  # 9
        ("func", "do_it", 9, b"", 0, 0),                                   # 10
        ("struct", "list_head", 16, members(
            ("next", 12, 0, 0), ("prev", 12, 64, 0)), 2, 1),               # 11
        ("ptr", "", 11, b"", 0, 0),                                        # 12
        ("var", "runqueues", 4, struct.pack("<I", 1), 0, 0),               # 13
        ("datasec", ".data..percpu", 32, struct.pack("<III", 13, 0, 32),
         1, 0),                                                            # 14
    ])


def isf_input(btf_data, kallsyms, banner):
    """fuzz_isf's input: the BTF's length, the BTF, kallsyms, NUL, the
    banner."""
    return struct.pack("<I", len(btf_data)) + btf_data + kallsyms + \
        b"\0" + banner


ISF_KALLSYMS = KALLSYMS + b"""ffffffff81001000 T do_it
0000000000001000 A runqueues
"""


def seeds(top):
    """Each fuzz target's seeds, in TOP/<target>/."""
    pages = sample_pages()
    out = {
        "elf": {"valid": elf(sample_segs()),
                "no-memx": elf(sample_segs(), notes=vmcoreinfo_note()),
                "xnum": elf(sample_segs(), xnum=True)},
        "kdump": {"none": kdump(pages, SAMPLE_RANGES),
                  "zlib": kdump(pages, SAMPLE_RANGES, codec=KDUMP_ZLIB)},
        "notes": {"memx": vmcoreinfo_note() +
                  memx_note(elf_records(sample_segs()))},
        "vmcoreinfo": {"6.1": vmcoreinfo_note(VMCOREINFO_61),
                       "text": VMCOREINFO_61},
        "kallsyms": {"lines": KALLSYMS},
        "kcore": {"headers": kcore_seed()},
        "isf": {"mini": isf_input(btf_seed(), ISF_KALLSYMS,
                                  b"Linux version 6.1.0-memx (fuzz) #1\n")},
    }
    for target, files in out.items():
        os.makedirs(os.path.join(top, target), exist_ok=True)
        for name, data in files.items():
            with open(os.path.join(top, target, name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    seeds(sys.argv[1])
