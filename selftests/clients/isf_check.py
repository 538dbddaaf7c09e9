# SPDX-License-Identifier: GPL-2.0
"""The ISF memx isf wrote in a clients boot, on the host: against the DWARF
and the symbol table of Debian's -dbg vmlinux for the same build (gdb:
isf_gdb.py, and nm), against the guest's /proc/version, and against the
ISF memx isf makes here from the copies the guest saved (its BTF,
kallsyms and /proc/version) with KASLR's offset.  The guest wrote into
DIR: isf.json, isf.log and isf.rc (memx isf's stderr, with busybox time's
report, and exit status), btf, kallsyms and version.  TAP on stdout.
Usage: isf_check.py MEMX DIR VMLINUX"""

import base64
import json
import os
import re
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)

from clientlib import Tap, c_name, read  # noqa: E402

memx, guest, vmlinux = sys.argv[1:4]
tap = Tap(1)
ISF = os.path.join(guest, "isf.json")
OFF = os.path.join(guest, "isf-saved.json")

# What Volatility's Linux plugins read (the list, and the printk
# ring, BPF and module types they walk).
STRUCTS = """task_struct mm_struct vm_area_struct maple_tree maple_node
list_head hlist_head hlist_node module module_layout module_memory file
fdtable files_struct fs_struct dentry qstr inode super_block vfsmount mount
path cred pid upid nsproxy net sock inet_sock unix_sock socket tty_struct
tty_driver kernel_symbol idr xarray mod_tree_root printk_ringbuffer
prb_desc_ring prb_data_ring prb_desc printk_info kset kobject net_device
sk_buff uts_namespace new_utsname pid_namespace bpf_prog bpf_prog_aux
address_space page resource atomic_notifier_head mem_section gate_struct
""".split()

# The schema's keys (volatility3/schemas/schema-6.x): required, allowed.
SECTIONS = {"metadata", "base_types", "user_types", "enums", "symbols"}
KEYS = {
    "base": ({"size", "signed", "kind", "endian"}, set()),
    "user": ({"kind", "size", "fields"}, set()),
    "enum": ({"size", "base", "constants"}, set()),
    "symbol": ({"address"}, {"type", "constant_data"}),
    "field": ({"type", "offset"}, {"anonymous"}),
}
DESC = {
    "pointer": ({"kind", "subtype"}, {"base"}),
    "base": ({"kind", "name"}, set()),
    "array": ({"kind", "subtype", "count"}, set()),
    "struct": ({"kind", "name"}, set()),
    "union": ({"kind", "name"}, set()),
    "class": ({"kind", "name"}, set()),
    "enum": ({"kind", "name"}, set()),
    "function": ({"kind"}, set()),
    "bitfield": ({"kind", "bit_position", "bit_length", "type"}, set()),
}


def run(args):
    return subprocess.run(args, capture_output=True, text=True)


def keys_ok(obj, kind, errs, where):
    need, may = KEYS[kind]
    if not isinstance(obj, dict) or not need <= obj.keys() or \
            obj.keys() - need - may:
        errs.append(f"{where}: keys {sorted(obj)}")


def desc_ok(d, errs, where, isf):
    kind = d.get("kind") if isinstance(d, dict) else None
    if kind not in DESC:
        errs.append(f"{where}: a type of kind {kind}")
        return
    need, may = DESC[kind]
    if not need <= d.keys() or d.keys() - need - may:
        errs.append(f"{where}: {kind} with keys {sorted(d)}")
        return
    if kind in ("pointer", "array"):
        desc_ok(d["subtype"], errs, where, isf)
    elif kind == "bitfield":
        if d["type"].get("kind") not in ("base", "enum"):
            errs.append(f"{where}: a bitfield of {d['type']}")
        desc_ok(d["type"], errs, where, isf)
    elif kind == "base" and d["name"] not in isf["base_types"]:
        errs.append(f"{where}: base type {d['name']} not in base_types")
    elif kind == "enum" and d["name"] not in isf["enums"]:
        errs.append(f"{where}: enum {d['name']} not in enums")


def schema_errors(isf):
    """What breaks the rules of Volatility's schema 6."""
    errs = []
    if set(isf) != SECTIONS:
        return [f"top-level keys {sorted(isf)}"]
    meta = isf["metadata"]
    if not re.fullmatch(r"6\.\d+\.\d+", meta.get("format", "")) or \
            set(meta) - {"format", "producer", "linux"} or \
            not re.fullmatch(r"\d+\.\d+\.\d+",
                             meta.get("producer", {}).get("version", "")):
        errs.append(f"metadata {meta}")
    for name, b in isf["base_types"].items():
        keys_ok(b, "base", errs, f"base type {name}")
    for name, u in isf["user_types"].items():
        keys_ok(u, "user", errs, f"user type {name}")
        for fname, f in u.get("fields", {}).items():
            keys_ok(f, "field", errs, f"{name}.{fname}")
            desc_ok(f.get("type"), errs, f"{name}.{fname}", isf)
    for name, e in isf["enums"].items():
        keys_ok(e, "enum", errs, f"enum {name}")
    for name, s in isf["symbols"].items():
        keys_ok(s, "symbol", errs, f"symbol {name}")
        if "type" in s:
            desc_ok(s["type"], errs, f"symbol {name}", isf)
    return errs


def expand(isf, d, depth=0):
    """An ISF type in isf_gdb.py's terms: unnamed_ types spelled out."""
    kind = d["kind"]
    if kind in ("pointer", "array"):
        out = {"kind": kind, "subtype": expand(isf, d["subtype"], depth)}
        if kind == "array":
            out["count"] = d["count"]
        return out
    name = d.get("name", "")
    if kind in ("struct", "union", "enum") and name.startswith("unnamed_"):
        if depth >= 6:
            return {"kind": kind, "anon": "deep"}
        return {"kind": kind, "anon": definition(isf, kind, name, depth)}
    if kind == "base":
        return {"kind": kind, "name": c_name(name)}
    return d


def definition(isf, kind, name, depth):
    if kind == "enum":
        e = isf["enums"][name]
        return {"size": e["size"], "constants": e["constants"]}
    u = isf["user_types"][name]
    out = {}
    for fname, f in u["fields"].items():
        t = f["type"]
        if t["kind"] == "bitfield":
            item = {"bits": f["offset"] * 8 + t["bit_position"],
                    "len": t["bit_length"],
                    "type": expand(isf, t["type"], depth + 1)}
        else:
            item = {"offset": f["offset"],
                    "type": expand(isf, t, depth + 1)}
        if f.get("anonymous"):
            item["anonymous"] = True
        out[fname] = item
    return {"kind": u["kind"], "size": u["size"], "fields": out}


def first_difference(a, b, path=""):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(a.keys() | b.keys()):
            if k not in a or k not in b:
                return f"{path}.{k}: only in {'memx' if k in a else 'DWARF'}"
            d = first_difference(a[k], b[k], f"{path}.{k}")
            if d:
                return d
        return None
    return None if a == b else f"{path}: memx {a}, DWARF {b}"


def nm_symbols():
    """{name: address} of the vmlinux's symbols that have one address, the
    names it has twice, and linux_banner's size."""
    out, dup, size = {}, set(), 0
    p = subprocess.run(["nm", "-S", vmlinux], capture_output=True, text=True)
    for line in p.stdout.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[3] == "linux_banner":
            size = int(parts[1], 16)
        if len(parts) not in (3, 4):
            continue
        addr, name = int(parts[0], 16), parts[-1]
        if name in out and out[name] != addr:
            dup.add(name)
        out[name] = addr
    for name in dup:
        del out[name]
    return out, dup, size


def kallsyms_at(name):
    for line in read(os.path.join(guest, "kallsyms")).splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == name:
            return int(parts[0], 16)
    return None


def main():
    rc = read(os.path.join(guest, "isf.rc")).strip()
    log = read(os.path.join(guest, "isf.log"))
    tap(rc == "0", f"memx isf writes the running kernel's ISF (exit {rc})",
        log)
    if rc != "0":
        return
    secs = re.search(r"^real\s+(.+)$", log, re.M)
    print(f"# memx isf in the guest: {os.path.getsize(ISF)} bytes in "
          f"{secs[1] if secs else '?'}", flush=True)
    with open(ISF, "rb") as f:
        raw = f.read()

    try:
        isf = json.loads(raw)
    except ValueError as e:
        tap(False, "the ISF parses as JSON", e)
        return
    errs = schema_errors(isf)
    tap(not errs, f"the ISF keeps Volatility's schema 6 "
        f"({len(isf['user_types'])} user types, {len(isf['enums'])} enums, "
        f"{len(isf['symbols'])} symbols)", "\n".join(errs[:8]))

    nm, dup, banner_size = nm_symbols()
    sym = isf["symbols"]
    wrong = [f"{n}: memx {s['address']:#x}, vmlinux {nm[n]:#x}"
             for n, s in sym.items() if n in nm and s["address"] != nm[n]]
    both = sum(1 for n in sym if n in nm)
    tap(not wrong and both >= 0.95 * len(sym) and "init_task" in sym,
        f"every symbol at the vmlinux's link-time address "
        f"({both} of {len(sym)} compared; {len(dup)} names the vmlinux "
        f"has twice left out)", "\n".join(wrong[:8]))

    want = {"structs": STRUCTS,
            "symbols": [n for n, s in sym.items()
                        if s.get("type", {}).get("kind") not in (None, "function")
                        and n not in dup and n != "linux_banner"]}
    with open(os.path.join(guest, "want.json"), "w") as f:
        json.dump(want, f)
    env = dict(os.environ, ISF_GDB_IN=os.path.join(guest, "want.json"),
               ISF_GDB_OUT=os.path.join(guest, "dwarf.json"))
    g = subprocess.run(["gdb", "-nx", "-batch", "-x",
                        os.path.join(here, "isf_gdb.py"), vmlinux],
                       capture_output=True, text=True, env=env)
    if g.returncode or not os.path.exists(env["ISF_GDB_OUT"]):
        tap(False, "gdb reads the vmlinux's DWARF", g.stderr[-2000:])
        return
    dwarf = json.load(open(env["ISF_GDB_OUT"]))

    with open(os.path.join(guest, "version"), "rb") as f:
        banner = f.read() + b"\0"
    data = base64.b64decode(sym.get("linux_banner", {}).get("constant_data", ""))
    count = sym.get("linux_banner", {}).get("type", {}).get("count")
    tap(data == banner and bytes.fromhex(dwarf["banner"]) == banner and
        count == banner_size,
        "linux_banner's constant_data is /proc/version and the vmlinux's "
        "linux_banner, NUL included, and its type as long as the vmlinux's",
        f"memx {data!r} in a char[{count}], the vmlinux's {banner_size}")

    diffs, seen = [], 0
    for name in STRUCTS:
        if name not in dwarf["structs"]:
            continue
        seen += 1
        if name not in isf["user_types"]:
            diffs.append(f"{name}: not in the ISF")
            continue
        d = first_difference(definition(isf, "struct", name, 0),
                             dwarf["structs"][name], name)
        if d:
            diffs.append(d)
    tap(not diffs and seen >= 40,
        f"{seen} structs Volatility reads: each field's offset, bits and "
        f"type, and each size, equal the DWARF's", "\n".join(diffs[:8]))

    diffs = []
    for name in want["symbols"]:
        if name not in dwarf["symbols"]:
            diffs.append(f"{name}: no such variable in the DWARF")
            continue
        d = first_difference(expand(isf, sym[name]["type"]),
                             dwarf["symbols"][name], name)
        if d:
            diffs.append(d)
    roots = [n for n in ("init_task", "init_files", "modules", "prb")
             if n in want["symbols"]]
    tap(not diffs and len(roots) == 4,
        f"{len(want['symbols'])} symbol types (per-CPU variables and "
        f"Volatility's roots: {', '.join(roots)}) equal the DWARF's",
        "\n".join(diffs[:8]))

    args = [memx, "isf", "-o", OFF]
    for opt, name in (("btf", "btf"), ("kallsyms", "kallsyms"),
                      ("banner", "version")):
        args += [f"--{opt}", os.path.join(guest, name)]
    offset = kallsyms_at("init_task") - nm["init_task"]
    p = run(args + ["--kaslr-offset", str(offset)])
    tap(p.returncode == 0 and open(OFF, "rb").read() == raw,
        f"memx isf here, from the guest's saved copies and KASLR's offset "
        f"({offset:#x}, from kallsyms and the vmlinux), writes the same "
        f"bytes", p.stderr)

main()
print(f"1..{tap.n}")
sys.exit(1 if tap.failed else 0)
