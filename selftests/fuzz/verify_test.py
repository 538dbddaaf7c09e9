# SPDX-License-Identifier: GPL-2.0
"""memx verify, memx isf's saved copies and the memx command's arguments
against hostile input, on
the host, with a memx built with AddressSanitizer and UBSan: each damaged
file is exit 1 with a message naming the file and the damage, each valid
one exit 0, and no run has a sanitizer report.  The files come from
dumpgen.py; each case below is one a review or a fuzzer found.

    python3 verify_test.py MEMX [REGRESS_DIR]

REGRESS_DIR: inputs the fuzzers once broke (regress/<target>/), each
of which must be refused with a message and no report.  TAP on stdout.
"""

import base64
import hashlib
import json
import os
import re
import struct
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, "..", "clients"))
from clientlib import Tap  # noqa: E402
from dumpgen import (ISF_KALLSYMS, KDUMP_ZLIB, PAGE, PT_LOAD,  # noqa
                     SAMPLE_RANGES, btf, btf_seed, elf, elf_records, kdump,
                     kdump_records, memx_note, note, sample_pages,
                     sample_segs, vmcoreinfo_note)

# A hang is a failure: a wide margin over the slowest case's few seconds.
TIMEOUT = 300
REPORT = re.compile(r"runtime error:|AddressSanitizer|LeakSanitizer")


class Case:
    def __init__(self, memx, tmp):
        self.memx, self.tmp, self.tap = memx, tmp, Tap(1)

    def run(self, args, stdin=None):
        env = dict(os.environ,
                   ASAN_OPTIONS="detect_leaks=1:abort_on_error=0",
                   UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
        try:
            p = subprocess.run([self.memx] + args, capture_output=True,
                               text=True, timeout=TIMEOUT, env=env,
                               stdin=stdin or subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return None, "", f"no answer in {TIMEOUT} s (a hang)"
        return p.returncode, p.stdout, p.stderr

    def expect(self, name, args, rc, pattern):
        """memx ARGS exits RC with PATTERN in its output, and no report."""
        got, out, err = self.run(args)
        text = out + err
        ok = got == rc and re.search(pattern, text) and \
            not REPORT.search(err)
        self.tap(bool(ok), name, f"exit {got}, wanted {rc} and /{pattern}/"
                 f"\n{text}")

    def file(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def verify(self, name, data, rc, pattern, sha256=None):
        """memx verify of DATA (and a NAME.sha256 of SHA256)."""
        path = self.file(name, data)
        if sha256 is not None:
            with open(path + ".sha256", "w") as f:
                f.write(f"{sha256}  {name}\n")
        self.expect(f"verify {name}: exit {rc}, /{pattern}/",
                    ["verify", path], rc,
                    pattern.replace("FILE", re.escape(path)))


def patch(data, off, fmt, *values):
    b = bytearray(data)
    struct.pack_into(fmt, b, off, *values)
    return bytes(b)


def memx_notes(count, descsz, records=()):
    return vmcoreinfo_note() + memx_note(list(records), count=count,
                                         descsz=descsz)


def valid(t):
    segs, pages = sample_segs(), sample_pages()
    t.verify("elf", elf(segs), 0, r"2 range digests match")
    t.verify("kdump", kdump(pages, SAMPLE_RANGES), 0,
             r"2 range digests match")
    t.verify("kdump-zlib", kdump(pages, SAMPLE_RANGES, codec=KDUMP_ZLIB), 0,
             r"2 range digests match")
    # Records at 4-byte alignment in every file (the note's desc at +20).
    t.verify("elf-xnum", elf(segs, xnum=True), 0, r"2 range digests match")
    changed = bytearray(elf(segs))
    changed[-1] ^= 1
    t.verify("elf-changed", bytes(changed), 1,
             r"FILE: range 0x9000-0x9300 differs from its digest")
    changed = bytearray(kdump(pages, SAMPLE_RANGES))
    changed[-1] ^= 1
    t.verify("kdump-changed", bytes(changed), 1,
             r"FILE: range 0x4000-0x7000 differs from its digest")
    data = elf(segs)
    upper = hashlib.sha256(data).hexdigest().upper()
    t.verify("elf-upper-sha", data, 0, r"SHA-256 matches, 2 range",
             sha256=upper)
    t.verify("elf-bad-sha", data, 1, r"\.sha256: not a SHA-256",
             sha256="xyz")
    t.verify("elf-other-sha", data, 1, r"SHA-256 differs from",
             sha256="0" * 64)


def notes(t):
    """The MEMX note's sizes, from the file."""
    segs = sample_segs()
    # descsz 0xfffffffd with 100000 records: 32-bit wrap once.
    for count in (100000, 89478485, 1000):
        t.verify(f"note-wrap-{count}",
                 elf(segs, notes=memx_notes(count, 0xFFFFFFFD)), 1,
                 r"FILE: note MEMX: size 4294967293 past the end of the notes")
    recs = elf_records(segs)
    t.verify("note-count", elf(segs, notes=memx_notes(1000, None, recs)), 1,
             r"note MEMX: 1000 records do not fit in its 104 bytes")
    t.verify("note-short", elf(segs, notes=note(b"MEMX", 1, b"\1\0\0")), 1,
             r"note MEMX: 3 bytes, less than its 8-byte header")
    t.verify("note-version", elf(segs, notes=memx_note(recs, version=2)), 1,
             r"note MEMX: version 2, not 1")
    t.verify("note-name", elf(segs, notes=note(b"CORE", 1, b"", namesz=1 << 31)),
             1, r"note 0: name size 2147483648 past the end of the notes")
    t.verify("note-header", elf(segs, notes=vmcoreinfo_note() + b"\1\2"), 1,
             r"note 1: its header runs past the end of the notes")
    t.verify("note-empty", elf(segs, notes=memx_note([])), 1,
             r"nothing recorded to check: .* its MEMX note holds no range")
    t.verify("note-none", elf(segs, notes=vmcoreinfo_note()), 1,
             r"nothing recorded to check: .* no MEMX note")
    wrap = [(0xFFFFFFFFFFFFF000, 0x2000, bytes(32))]
    t.verify("record-wraps", elf(segs, notes=memx_note(wrap)), 1,
             r"record 0: start 0xfffffffffffff000 and size 0x2000 are not a range")
    t.verify("record-order", elf(segs, notes=memx_note(recs[::-1])), 1,
             r"record 1: range 0x1000-0x11e0 starts before the one before it ends")


def elf_cases(t):
    segs = sample_segs()
    recs = elf_records(segs)
    zero = [(p, s, bytes(32)) for p, s, _ in recs]
    t.verify("elf-no-load", elf(segs, notes=memx_note(zero), phdrs=[]), 1,
             r"range 0x1000-0x11e0: no PT_LOAD holds it")
    other = [(PT_LOAD, None, p + PAGE, len(d)) for p, d in segs]
    t.verify("elf-wrong-load", elf(segs, notes=memx_note(zero), phdrs=other),
             1, r"range 0x1000-0x11e0: no PT_LOAD holds it")
    short = elf(segs)[:-1]
    t.verify("elf-short-load", short, 1,
             r"range 0x9000-0x9300's PT_LOAD: 768 bytes at offset \d+, past the end of the file")
    t.verify("elf-load-offset", elf(segs, load_offset=1 << 62), 1,
             r"range 0x1000-0x11e0's PT_LOAD: 480 bytes at offset 46116860184273\d+, past the end")
    t.verify("elf-note-size", elf(segs, note_filesz=1 << 40), 1,
             r"PT_NOTE: 1099511627776 bytes at offset \d+, past the end of the file")
    t.verify("elf-xnum-count", elf(segs, xnum=0xFFFFFFFF), 1,
             r"4294967295 program headers: more than the file holds")
    t.verify("elf-class", elf(segs, ident=b"\x7fELF\x01\x01\x01" + bytes(9)), 1,
             r"ELF class 1, not ELFCLASS64")
    t.verify("elf-order", elf(segs, ident=b"\x7fELF\x02\x02\x01" + bytes(9)), 1,
             r"ELF byte order 2, not little-endian")
    t.verify("elf-phentsize", elf(segs, phentsize=32), 1,
             r"program headers of 32 bytes, not 56")
    t.verify("elf-type", elf(segs, e_type=2), 1, r"ELF type 2, not a core")
    t.verify("elf-truncated", elf(segs)[:40], 1,
             r"the ELF header: 64 bytes at offset 0, past the end of the file \(40 bytes\)")
    # 200,000 ranges and PT_LOADs of one byte: sorted once, not n * m.
    many = [(2 * i, bytes([i & 0xFF])) for i in range(200000)]
    t.verify("elf-200000", elf(many), 0, r"200000 range digests match")


def kdump_cases(t):
    pages = sample_pages()
    recs = kdump_records(pages, SAMPLE_RANGES)
    far = [(1 << 62, PAGE, bytes(32))]
    wrap = [(0x1000, (1 << 64) - 0x1000, bytes(32))]
    # (name, what kdump() is given, what verify must say)
    damaged = [
        ("far", {"notes": memx_note(far)},
         r"range 0x4000000000000000-0x4000000000001000: past the dump bitmap's 32768 frames"),
        ("wrap", {"notes": memx_note(wrap)},
         r"record 0: start 0x1000 and size 0xfffffffffffff000 are not a range"),
        ("bitmaps", {"bitmap_blocks": 0xFFFFFFFE},
         r"the kdump dump bitmap: 8796093018112 bytes at offset \d+, past the end"),
        ("odd-bitmaps", {"bitmap_blocks": 3},
         r"kdump bitmaps of 3 blocks: not two bitmaps"),
        ("sub-header", {"sub_hdr_size": 0x7FFFFFFF},
         r"the kdump sub-header: 8796093018112 bytes at offset 4096, past the end"),
        ("sub-header-0", {"sub_hdr_size": 0}, r"kdump sub-header of 0 blocks"),
        ("block-size", {"block_size": 0}, r"kdump block size 0: not a page size"),
        ("version", {"version": 1}, r"kdump header version 1"),
        ("note-size", {"size_note": 1 << 40},
         r"the kdump notes: 1099511627776 bytes at offset 4200, past the end"),
        ("records", {"notes": memx_note(recs, count=3)},
         r"note MEMX: 3 records do not fit in its 104 bytes"),
    ]
    for name, args, pattern in damaged:
        t.verify(f"kdump-{name}", kdump(pages, SAMPLE_RANGES, **args), 1,
                 pattern)
    # Each names the range, then the frame and what is wrong with it.
    bad = [("desc-size", lambda i, d: (d[0], 1 << 31, d[2]),
            r"range 0x1000-0x3000: frame 0x1's data: 2147483648 bytes, not 1 to a page"),
           ("desc-offset", lambda i, d: (1 << 63, d[1], d[2]),
            r"frame 0x1's data: 4096 bytes at offset 9223372036854775808, past the end"),
           ("desc-flags", lambda i, d: (d[0], d[1], 0x40),
            r"frame 0x1's data: flags 0x40 name no codec"),
           ("desc-zlib", lambda i, d: (d[0], 100, KDUMP_ZLIB),
            r"frame 0x1's data: 100 bytes with flags 0x1 do not make one page")]
    for name, fix, pattern in bad:
        t.verify(f"kdump-{name}", kdump(pages, SAMPLE_RANGES,
                                        desc_patch=fix), 1, pattern)
    # Descriptors cut off: the file ends inside them (the first page's
    # data placed before them, at the header).
    data = kdump(pages, SAMPLE_RANGES,
                 desc_patch=lambda i, d: (0, PAGE, 0) if i == 0 else d)
    head = data.index(b"memx fuzz seed page") - 3 * 24
    t.verify("kdump-descriptors", data[:head + 30], 1,
             r"frame 0x2's descriptor: number 1, past the end of the file")


def truncations(t):
    """Every valid seed cut short at many points: refused, never a crash."""
    pages = sample_pages()
    for name, data in (("elf", elf(sample_segs())),
                       ("kdump", kdump(pages, SAMPLE_RANGES, codec=KDUMP_ZLIB))):
        bad = []
        cuts = sorted(c for c in {8, 64, 100, 464, 4096, 4200, len(data) // 2,
                                  len(data) - 100, len(data) - 1}
                      if c < len(data))
        for cut in cuts:
            path = t.file(f"{name}-cut", data[:cut])
            rc, out, err = t.run(["verify", path])
            if rc != 1 or REPORT.search(err) or path not in err:
                bad.append(f"cut at {cut}: exit {rc}: {err.strip()}")
        t.tap(not bad, f"verify {name} cut short at {len(cuts)} points: "
              "exit 1, a message", "\n".join(bad))


def paths(t):
    d = os.path.join(t.tmp, "a-directory")
    os.mkdir(d)
    t.expect("verify a directory: EISDIR", ["verify", d], 1,
             r"a-directory: Is a directory")
    fifo = os.path.join(t.tmp, "a-fifo")
    os.mkfifo(fifo)
    t.expect("verify a FIFO: refused, not waited on", ["verify", fifo], 1,
             r"a-fifo: not a regular file or a block device")
    t.expect("verify a file that is not there", ["verify", d + "/none"], 1,
             r"cannot open .*none: No such file")


def arguments(t):
    """Argument errors: exit 2 and the reason, before any node is opened."""
    for args, why in ((["-j", "0"], r"-j 0: not a number of threads from 1 to 64"),
                      (["--exclude", "32"], r"--exclude 32: not"),
                      (["--format", "kdump", "--compress", "bogus"],
                       r"--compress bogus: not zstd, zlib, lzo, snappy or none"),
                      (["--compress", "zlib"], r"only for --format kdump"),
                      (["--range", "5-5"], r"--range 5-5: not"),
                      (["--hash", "md5"], r"--hash md5: only sha256"),
                      (["--format", "tar"], r"--format tar: not"),
                      (["--bogus", "1"], r"--bogus: no such option")):
        t.expect(f"dump {' '.join(args)}: exit 2, {why}",
                 ["dump", "-o", os.path.join(t.tmp, "x")] + args, 2, why)
    t.expect("map extra: exit 2 before opening /dev/memx", ["map", "extra"],
             2, r"usage: memx map")


BANNER = b"Linux version 6.1.0-memx (fuzz) #1\n"


def isf_files(t, btf_data=None, kallsyms=ISF_KALLSYMS, banner=BANNER):
    """memx isf's arguments for saved copies of these (the seed's kernel by
    default), written to the scratch folder under names of their own."""
    t.copies = getattr(t, "copies", 0) + 1
    tag = f"copy{t.copies}"
    return ["isf", "--btf", t.file(f"{tag}.btf", btf_seed() if btf_data is None
                                   else btf_data),
            "--kallsyms", t.file(f"{tag}.kallsyms", kallsyms),
            "--banner", t.file(f"{tag}.banner", banner),
            "-o", os.path.join(t.tmp, "isf.json")]


def isf_cases(t):
    """memx isf on saved copies: the seed's kernel described as the
    kernel's own types say, and each damaged copy refused by name."""
    args = isf_files(t)
    rc, out, err = t.run(args + ["--kaslr-offset", "0x1000000"])
    try:
        isf = json.load(open(os.path.join(t.tmp, "isf.json")))
        task = isf["user_types"]["task_struct"]["fields"]
        anon = task["unnamed_field_10"]
        union = isf["user_types"][anon["type"]["name"]]
        ok = (rc == 0 and not REPORT.search(err) and
              task["flags"] == {"offset": 4, "type": {
                  "kind": "bitfield", "bit_position": 0, "bit_length": 3,
                  "type": {"kind": "base", "name": "unsigned int"}}} and
              anon["anonymous"] and union["kind"] == "union" and
              union["fields"]["b"]["type"]["count"] == 2 and
              isf["enums"]["state"] == {"size": 4, "base": "int",
                                        "constants": {"A": 0, "B": -1}} and
              isf["symbols"]["init_task"]["address"] == 0xffffffff81a14940
              and isf["symbols"]["runqueues"] == {"address": 0x1000, "type": {
                  "kind": "struct", "name": "task_struct"}} and
              base64.b64decode(isf["symbols"]["linux_banner"]
                               ["constant_data"]) == BANNER + b"\0")
    except (OSError, ValueError, KeyError, TypeError) as e:
        ok, err = False, f"{err}\n{e!r}"
    t.tap(ok, "isf of saved copies: bitfield, anonymous union, array, "
          "enum, per-CPU type, addresses less the offset, the banner", err)

    loop = btf([("typedef", "t", 2, b"", 0, 0), ("typedef", "u", 1, b"", 0, 0),
                ("struct", "s", 8, lambda off: struct.pack(
                    "<III", off("p"), 1, 0), 1, 0)])
    for name, args, why in (
            ("BTF that is not BTF", isf_files(t, b"\0" * 64), r"BTF from"),
            ("a typedef loop", isf_files(t, loop),
             r"refers to itself"),
            ("kallsyms without init_task",
             isf_files(t, kallsyms=b"ffffffff81000000 T _text\n"),
             r"no init_task"),
            ("kallsyms without linux_banner",
             isf_files(t, kallsyms=b"ffffffff81000000 D init_task\n"),
             r"no linux_banner"),
            ("a kallsyms line that is not one",
             isf_files(t, kallsyms=ISF_KALLSYMS + b"zz\n"), r"line 9: not"),
            ("kallsyms read without root (all zeros)",
             isf_files(t, kallsyms=b"0 D init_task\n0 D linux_banner\n"),
             r"every address is 0"),
            ("a banner of two lines", isf_files(t, banner=BANNER * 2),
             r"not a banner"),
            ("a banner with no newline", isf_files(t, banner=BANNER[:-1]),
             r"not a banner"),
            ("an empty banner", isf_files(t, banner=b""), r"not a banner")):
        t.expect(f"isf, {name}: exit 1, named", args, 1, why)
    for args, why in ((["--btf", "x"], r"needs all three"),
                      (["--kaslr-offset", "zz"], r"not a number"),
                      (["--bogus", "1"], r"no such option")):
        t.expect(f"isf {' '.join(args)}: exit 2, {why}", ["isf"] + args, 2,
                 why)


def isf_regression(t, path):
    """An input of fuzz_isf: the BTF's length, the BTF, kallsyms, NUL, the
    banner; memx isf on those as saved copies exits 0 or 1, no report."""
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack_from("<I", data)[0]
    kallsyms, _, banner = data[4 + n:].partition(b"\0")
    rc, out, err = t.run(isf_files(t, data[4:4 + n], kallsyms, banner))
    return rc in (0, 1) and not REPORT.search(err), f"exit {rc}\n{err}"


def regressions(t, top):
    """Inputs the fuzzers once broke: each refused, with no report."""
    for target in sorted(os.listdir(top)):
        for name in sorted(os.listdir(os.path.join(top, target))):
            path = os.path.join(top, target, name)
            if target == "isf":
                ok, why = isf_regression(t, path)
                t.tap(ok, f"regress/isf/{name}: memx isf exits 0 or 1, "
                      "no report", why)
                continue
            rc, out, err = t.run(["verify", path])
            t.tap(rc == 1 and path in err and not REPORT.search(err),
                  f"regress/{target}/{name}: exit 1 with a message",
                  f"exit {rc}\n{err}")


def main():
    memx = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        t = Case(memx, tmp)
        for group in (valid, notes, elf_cases, kdump_cases, truncations,
                      paths, arguments, isf_cases):
            group(t)
        if len(sys.argv) > 2 and os.path.isdir(sys.argv[2]):
            regressions(t, sys.argv[2])
        print(f"1..{t.tap.n}")
    return 1 if t.tap.failed else 0


if __name__ == "__main__":
    sys.exit(main())
