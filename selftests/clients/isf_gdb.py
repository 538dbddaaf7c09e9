# SPDX-License-Identifier: GPL-2.0
"""The truth memx isf is checked against, from the DWARF of Debian's -dbg
vmlinux, read by gdb (run inside gdb: gdb -batch -x isf_gdb.py VMLINUX,
with ISF_GDB_IN naming a JSON file {"structs": [...], "symbols": [...]}
and ISF_GDB_OUT the file to write).

Types come out in the ISF's own terms, as memx isf must write them:
typedefs and qualifiers looked through, an anonymous struct, union or
enum spelled out in place ("anon": its definition), a bitfield as its
first bit from the struct's start and its length, a base type by its
name in one spelling (clientlib.c_name: gdb says "unsigned long" for
DWARF's "long unsigned int").  linux_banner's bytes are read from the
file, at its address, up to its NUL.
"""
import json
import os
import sys

import gdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clientlib import c_name  # noqa: E402

DEPTH = 6
SCALARS = (gdb.TYPE_CODE_INT, gdb.TYPE_CODE_CHAR, gdb.TYPE_CODE_BOOL,
           gdb.TYPE_CODE_FLT)
COMPOSITE = {gdb.TYPE_CODE_STRUCT: "struct", gdb.TYPE_CODE_UNION: "union"}


def strip(t):
    return t.strip_typedefs().unqualified()


def fields(t, depth):
    out, seen = {}, {}
    for f in t.fields():
        if not hasattr(f, "bitpos"):
            continue
        if f.bitsize:
            item = {"bits": f.bitpos, "len": f.bitsize,
                    "type": desc(f.type, depth)}
        else:
            item = {"offset": f.bitpos // 8, "type": desc(f.type, depth)}
        name = f.name
        if not name:
            off = f.bitpos // 8
            n = seen.get(off, 0)
            seen[off] = n + 1
            name = "unnamed_field_%x" % off + ("_%d" % n if n else "")
            item["anonymous"] = True
        out[name] = item
    return out


def definition(t, depth):
    if t.code == gdb.TYPE_CODE_ENUM:
        return {"size": t.sizeof,
                "constants": {f.name: f.enumval for f in t.fields()}}
    return {"kind": COMPOSITE[t.code], "size": t.sizeof,
            "fields": fields(t, depth + 1)}


def desc(t, depth=0):
    t = strip(t)
    code = t.code
    if code == gdb.TYPE_CODE_PTR:
        return {"kind": "pointer", "subtype": desc(t.target(), depth)}
    if code == gdb.TYPE_CODE_ARRAY:
        size = t.target().sizeof
        return {"kind": "array", "count": t.sizeof // size if size else 0,
                "subtype": desc(t.target(), depth)}
    if code in COMPOSITE or code == gdb.TYPE_CODE_ENUM:
        kind = COMPOSITE.get(code, "enum")
        if t.tag:
            return {"kind": kind, "name": t.tag}
        if depth >= DEPTH:
            return {"kind": kind, "anon": "deep"}
        return {"kind": kind, "anon": definition(t, depth)}
    if code == gdb.TYPE_CODE_FUNC:
        return {"kind": "function"}
    if code == gdb.TYPE_CODE_VOID:
        return {"kind": "base", "name": "void"}
    if code in SCALARS:
        return {"kind": "base", "name": c_name(t.name)}
    return {"kind": "unknown", "name": str(t)}


def main():
    want = json.load(open(os.environ["ISF_GDB_IN"]))
    out = {"structs": {}, "symbols": {}}
    for name in want["structs"]:
        try:
            t = strip(gdb.lookup_type("struct " + name))
        except gdb.error:
            continue
        if t.sizeof:
            out["structs"][name] = definition(t, 0)
    for name in want["symbols"]:
        sym = gdb.lookup_global_symbol(name) or gdb.lookup_static_symbol(name)
        if sym and sym.type is not None:
            out["symbols"][name] = desc(sym.type)
    at = int(gdb.parse_and_eval("(unsigned long)&linux_banner"))
    text = gdb.selected_inferior().read_memory(at, 1024).tobytes()
    out["banner"] = text[:text.index(b"\0") + 1].hex()
    with open(os.environ["ISF_GDB_OUT"], "w") as f:
        json.dump(out, f)


main()
