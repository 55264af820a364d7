"""vmem arenas and page use: ``::vmem``, ``::vmem_seg``, ``::memstat`` and
the ``vmem``, ``vmem_postfix``, ``vmem_seg``, ``vmem_alloc``, ``vmem_free``
and ``vmem_span`` walkers, over the ``vmem_t`` images of kdb.target.kmem.
Layouts from illumos kmem.c (vmem, vmem_seg) and memory.c (memstat: the
file of 2015, "Copyright 2015 Joyent"; its lines for boot pages and ZFS
file data print only when those pages exist, as in every era)."""

from __future__ import annotations

from typing import Any, Callable, Iterator

from kdb.errors import CmdError
from kdb.modapi import ADDR, DCMD_ERR, DCMD_OK, DCMD_USAGE, INT, STR, Call, Module, Opt, Walk
from kdb.target.kmem import kmem
from kdb.target.vmem import PAGESIZE, Arena

from .._kernel import kdump, read_struct
from .kmem import kmem_of

module = Module("genunix", targets=("kernel",))

module.record("vmem", {"addr": ADDR, "name": STR, "inuse": INT, "total": INT, "succeed": INT, "fail": INT})
module.record("vmem_seg", {"addr": ADDR, "type": STR, "start": ADDR, "end": ADDR, "size": INT})
module.record("memstat", {"category": STR, "pages": INT, "mb": INT, "percent": [INT, None]})

VMEM_ALLOC, VMEM_FREE, VMEM_SPAN, VMEM_ROTOR, VMEM_WALKER = 0x01, 0x02, 0x10, 0x20, 0x40
TYPE_NAMES = {VMEM_ALLOC: "ALLC", VMEM_FREE: "FREE", VMEM_SPAN: "SPAN", VMEM_ROTOR: "ROTR",
              VMEM_WALKER: "WLKR"}


@module.walker("vmem", "walk vmem structures in pre-fix order")
def walk_vmem(walk: Walk) -> Iterator[int]:
    order = kmem_of(walk).prefix()
    if walk.addr:                   # from that arena on (vmem_walk_init's "current")
        addrs = [a.addr for a in order]
        if walk.addr in addrs:
            order = order[addrs.index(walk.addr):]
    return (a.addr for a in order)


@module.walker("vmem_postfix", "walk vmem structures in post-fix order")
def walk_vmem_postfix(walk: Walk) -> Iterator[int]:
    return (a.addr for a in kmem_of(walk).postfix())


def _segs(walk: Walk, kind: int, name: str) -> Iterator[int]:
    """vmem_seg_walk_step: from vm_seg0 round vs_anext, of one type (or all)."""
    if not walk.addr:
        raise CmdError(f"vmem_{name} does not support global walks")
    ts = walk.session.target.types
    seg0 = ts.lookup("vmem_t").member("vm_seg0")
    assert seg0 is not None
    start = walk.addr + seg0.offset

    def gen() -> Iterator[int]:
        addr, n = start, 0
        while n < 1 << 24:
            seg = read_struct(walk, "vmem_seg_t", addr, "vmem_seg")
            if not kind or seg["vs_type"] == kind:
                yield addr
            addr, n = seg["vs_anext"], n + 1
            if addr == start:
                return
    return gen()


@module.walker("vmem_seg", "given a vmem_t, walk all of its vmem_segs")
def walk_vmem_seg(walk: Walk) -> Iterator[int]:
    return _segs(walk, 0, "seg")


@module.walker("vmem_alloc", "given a vmem_t, walk its allocated vmem_segs")
def walk_vmem_alloc(walk: Walk) -> Iterator[int]:
    return _segs(walk, VMEM_ALLOC, "alloc")


@module.walker("vmem_free", "given a vmem_t, walk its free vmem_segs")
def walk_vmem_free(walk: Walk) -> Iterator[int]:
    return _segs(walk, VMEM_FREE, "free")


@module.walker("vmem_span", "given a vmem_t, walk its spanning vmem_segs")
def walk_vmem_span(walk: Walk) -> Iterator[int]:
    return _segs(walk, VMEM_SPAN, "span")


VMEM_NAMEWIDTH = 22


@module.dcmd("vmem", "?", "print a vmem_t",
             help="Print each vmem arena (indented under the arena it imports from):\n"
                  "memory in use, its total, and its allocations that succeeded and failed.")
def vmem(call: Call) -> int | None:
    km = kmem_of(call)
    addrs = [call.addr] if call.addrspec else [a.addr for a in km.prefix()]
    first = True
    for addr in addrs:
        if (call.hdrspec if call.addrspec else first) and not call.pipe_out:
            call.printf("%-?s %-*s %10s %12s %9s %5s\n", "ADDR", VMEM_NAMEWIDTH, "NAME", "INUSE",
                        "TOTAL", "SUCCEED", "FAIL")
        first = False
        v = read_struct(call, "vmem_t", addr, "vmem")
        ident, p, seen = 0, v["vm_source"], 0
        while p and seen < 64:
            parent = read_struct(call, "vmem_t", p, "vmem")
            ident, p, seen = ident + 2, parent["vm_source"], seen + 1
        name = v["vm_name"].split(b"\0", 1)[0].decode("latin-1")
        label = (" " * ident + name)[:VMEM_NAMEWIDTH - 1]     # mdb_snprintf into char[22]
        ks = v["vm_kstat"]
        kv = [int.from_bytes(ks[k * 8:k * 8 + 8], "little") for k in range(8)]
        if call.pipe_out:
            call.push(addr)
            continue
        rec = {"addr": addr, "name": name, "inuse": kv[0], "total": kv[2], "succeed": kv[4], "fail": kv[7]}
        call.emit("vmem", rec, _vmem_row(label))
    return DCMD_OK


def _vmem_row(label: str) -> Callable[[Call, dict[str, Any]], None]:
    def render(c: Call, r: dict[str, Any]) -> None:
        c.printf("%0?p %-*s %10llu %12llu %9llu %5llu\n", r["addr"], VMEM_NAMEWIDTH, label, r["inuse"],
                 r["total"], r["succeed"], r["fail"])
    return render


_SEG_TYPES = {"ALLC": VMEM_ALLOC, "ALLOC": VMEM_ALLOC, "FREE": VMEM_FREE, "SPAN": VMEM_SPAN,
              "ROTR": VMEM_ROTOR, "ROTOR": VMEM_ROTOR, "WLKR": VMEM_WALKER, "WALKER": VMEM_WALKER}


@module.dcmd("vmem_seg", ":", "print or filter a vmem_seg",
             help="Display the contents of vmem_seg_ts, with optional filtering. Only\n"
                  "ALLOC segments have debugging information.",
             options=[Opt("v", bool, "Display the full content of the vmem_seg, including its stack trace"),
                      Opt("s", bool, "report the size of the segment, instead of the end address"),
                      Opt("c", int, "filter out segments without the function/PC in their stack trace",
                          arg="caller"),
                      Opt("e", int, "filter out segments timestamped before earliest", arg="earliest"),
                      Opt("l", int, "filter out segments timestamped after latest", arg="latest"),
                      Opt("m", int, "filer out segments smaller than minsize", arg="minsize"),
                      Opt("M", int, "filer out segments larger than maxsize", arg="maxsize"),
                      Opt("t", int, "filter out segments not involving thread", arg="thread"),
                      Opt("T", str, "filter out segments not of type 'type'", arg="type")])
def vmem_seg(call: Call) -> int | None:
    if not call.addrspec:
        return DCMD_USAGE
    o = call.opts
    if call.hdrspec and not call.pipe_out:
        if o["v"]:
            call.printf("%16s %4s %16s %16s %16s\n%<u>%16s %4s %16s %16s %16s%</u>\n",
                        "ADDR", "TYPE", "START", "END", "SIZE", "", "", "THREAD", "TIMESTAMP", "")
        else:
            call.printf("%?s %4s %?s %?s %s\n", "ADDR", "TYPE", "START", "SIZE" if o["s"] else "END", "WHO")
    vs = read_struct(call, "vmem_seg_t", call.addr, "vmem_seg")
    if o["T"] is not None:
        want = _SEG_TYPES.get(o["T"])
        if want is None:
            call.warn(f"\"{o['T']}\" is not a recognized vmem_seg type")
            return DCMD_ERR
        if vs["vs_type"] != want:
            return DCMD_OK
    size = vs["vs_end"] - vs["vs_start"]
    if o["m"] and size < o["m"] or o["M"] and size > o["M"]:
        return DCMD_OK
    # kdb keeps no vmem debugging (vs_depth 0): every segment is no_debug
    if o["c"] is not None or o["t"] is not None or o["e"] or o["l"]:
        return DCMD_OK
    kind = TYPE_NAMES.get(vs["vs_type"], "????")
    if call.pipe_out:
        call.push(call.addr)
        return DCMD_OK
    rec = {"addr": call.addr, "type": kind, "start": vs["vs_start"], "end": vs["vs_end"], "size": size}
    if o["v"]:
        call.emit("vmem_seg", rec, lambda c, r: c.printf("%<b>%16p%</b> %4s %16p %16p %16d\n", r["addr"],
                                                         r["type"], r["start"], r["end"], r["size"]))
    else:
        call.emit("vmem_seg", rec, lambda c, r: c.printf("%0?p %4s %0?p %0?p\n", r["addr"], r["type"],
                                                         r["start"], r["size"] if o["s"] else r["end"]))
    return DCMD_OK


# ---------------------------------------------------------------------------
@module.dcmd("memstat", None, "display memory usage summary",
             help="Summarise physical memory by use: the kernel, ZFS file data, anonymous\n"
                  "memory, executables and libraries, the page cache, and free pages.")
def memstat(call: Call) -> int | None:
    if call.addrspec or call.args:
        return DCMD_USAGE
    dump = kdump(call)
    km = kmem(dump)
    if km is None:
        raise CmdError("unable to read total_pages: the dump has no kmem section")
    pg = km.pages
    physmem = int(dump.globals.get("physmem", pg.physmem or 0))
    total = pg.total or physmem
    if physmem <= 0:
        raise CmdError("unable to read physmem")

    def pct(x: int) -> int:
        # MS_PCT_TOTAL: ((5 * total_pages) + (x * 1000)) / (physmem * 10)
        return (5 * total + x * 1000) // (physmem * 10)
    call.printf("Page Summary                Pages                MB  %%Tot\n")
    call.printf("------------     ----------------  ----------------  ----\n")
    counted = (pg.kernel or 0) + pg.boot + pg.zfs + pg.anon + pg.exec + pg.page_cache + pg.cachelist
    free = physmem - counted if physmem > counted else 0
    rows = [("Kernel", pg.kernel or 0)]
    if pg.boot:
        rows.append(("Boot pages", pg.boot))
    if pg.zfs:
        rows.append(("ZFS File Data", pg.zfs))
    rows += [("Anon", pg.anon), ("Exec and libs", pg.exec), ("Page cache", pg.page_cache),
             ("Free (cachelist)", pg.cachelist), ("Free (freelist)", free)]
    for label, n in rows:
        rec = {"category": label, "pages": n, "mb": n * PAGESIZE // (1 << 20), "percent": pct(n)}
        call.emit("memstat", rec, lambda c, r: c.printf("%-16s %16llu  %16llu  %3lu%%\n", r["category"],
                                                        r["pages"], r["mb"], r["percent"]))
    call.printf("\n")
    call.emit("memstat", {"category": "Total", "pages": physmem, "mb": physmem * PAGESIZE // (1 << 20),
                          "percent": None},
              lambda c, r: c.printf("%-16s %16lu  %16lu\n", r["category"], r["pages"], r["mb"]))
    if physmem != total:
        call.emit("memstat", {"category": "Physical", "pages": total, "mb": total * PAGESIZE // (1 << 20),
                              "percent": None},
                  lambda c, r: c.printf("%-16s %16lu  %16lu\n", r["category"], r["pages"], r["mb"]))
    return DCMD_OK


def arena_at(call: Call, addr: int) -> Any:
    for a in kmem_of(call).arenas:
        if a.addr == addr:
            return a
    raise CmdError(f"couldn't read vmem at {addr:x}")
