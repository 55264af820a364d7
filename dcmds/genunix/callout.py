"""Callouts: ``::callout``, ``::calloutid`` and the ``callout_table``,
``callout_list``, ``callouts_bytime`` and ``callouts_byid`` walkers
(genunix.c, the callout code of 2009 and later), over the callout tables
of kdb.target.callouts, read from memory as mdb_vread does.

On a dump of the OpenSolaris era, ``::callout`` is the 2008 dcmd (no
options: FUNCTION ARGUMENT ID TIME, one line per callout with its run time
in ticks and ``(T+delta)``; genunix.c ``callout`` of that year).
"""

from __future__ import annotations

from typing import Any

from kdb.errors import CmdError
from kdb.modapi import ADDR, BOOL, DCMD_USAGE, INT, STR, Call, Module, Opt, Walk
from kdb.target.callouts import (CALLOUT_BUCKETS, CALLOUT_EXECUTING, CALLOUT_ID_FREE, CALLOUT_ID_MASK,
                                 CALLOUT_LONGTERM, CALLOUT_NTYPES, CALLOUT_REALTIME, CALLOUT_TYPE_BITS,
                                 LIST_ABSOLUTE, LIST_HEAPED, LIST_HRESTIME, callouts, idhash)

from .._kernel import follow, kdump, lower_indent, read_struct

module = Module("genunix", targets=("kernel",))

module.record("callout", {"addr": ADDR, "seqid": INT, "type": STR, "expiration": INT, "executing": BOOL,
                          "hrestime": BOOL, "absolute": BOOL, "longterm": BOOL, "xid": INT,
                          "func": ADDR, "function": STR, "arg": ADDR})

MASK64 = (1 << 64) - 1
QUEUED = 0x20                   # CALLOUT_LIST_FLAG_QUEUED
_TYPES = ("R", "N")             # co_typenames

# the COF_* flags of genunix.c
REAL, NORM, LONG, SHORT, EMPTY, TIME, BEFORE, AFTER = 0x1, 0x2, 0x4, 0x8, 0x10, 0x20, 0x40, 0x80
SEQID, FUNC, ADDRS, EXEC, HIRES, ABS, TABLE, BYIDH = 0x100, 0x200, 0x400, 0x800, 0x1000, 0x2000, 0x4000, 0x8000
FREE, LIST, EXPREL, VERBOSE, LONGLIST = 0x10000, 0x20000, 0x40000, 0x100000, 0x200000
THDR, LHDR, CHDR, PARAM, HEAP, QUEUE = 0x400000, 0x800000, 0x1000000, 0x2000000, 0x8000000, 0x10000000


def _hash_heads(call: Call | Walk, addr: int, what: str) -> list[int]:
    """The ch_head of each of a table's CALLOUT_BUCKETS hash chains."""
    try:
        raw = call.session.target.read(addr, 16 * CALLOUT_BUCKETS)
    except Exception:
        raise CmdError(f"failed to read {what} at {addr:x}") from None
    return [int.from_bytes(raw[i:i + 8], "little") for i in range(0, len(raw), 16)]


@module.walker("callout_table", "walk callout table array")
def walk_callout_table(walk: Walk):
    """callout_table_walk_init/step: every table of callout_table (CALLOUT_NTYPES
    * max_ncpus of them), or the one at the address."""
    if walk.addr:
        return iter([walk.addr])
    co = callouts(kdump(walk))
    return (t.addr for t in co.tables)


@module.walker("callout_list", "walk a callout list")
def walk_callout_list(walk: Walk):
    if not walk.addr:
        raise CmdError("callout list doesn't support global walk")
    return (a for a, _ in follow(walk, walk.addr, "callout_list_t", "cl_next", "callout_list"))


@module.walker("callouts_bytime", "walk callouts by list chain (expiration time)")
def walk_callouts_bytime(walk: Walk):
    if not walk.addr:
        raise CmdError("callout doesn't support global walk")
    return (a for a, _ in follow(walk, walk.addr, "callout_t", "c_clnext", "callout"))


@module.walker("callouts_byid", "walk callouts by id hash chain")
def walk_callouts_byid(walk: Walk):
    if not walk.addr:
        raise CmdError("callout doesn't support global walk")
    return (a for a, _ in follow(walk, walk.addr, "callout_t", "c_idnext", "callout"))


class _Args:
    """genunix.c callout_data_t: the options and what the walk carries."""

    def __init__(self, call: Call) -> None:
        self.call = call
        self.flags = REAL | NORM | LONG | SHORT
        self.seqid = -1
        self.time = self.atime = self.btime = 0
        self.funcaddr = self.param = 0
        co = callouts(kdump(call))
        self.now, self.ctbits, self.nspt, self.base = co.now, co.ctbits, co.nsec_per_tick, co.base
        self.ndx = self.bucket = 0
        self.exp = 0
        self.list_flags = 0


_HELP = ("callout: display callouts.\n"
         "Given a callout table address, display callouts from table.\n"
         "Without an address, display callouts from all tables.")


@module.dcmd("callout", "?[-r|n] [-s|l] [-xhB] [-t | -ab nsec [-dkD]] [-C addr | -S seqid] "
             "[-f name|addr] [-p name| addr] [-T|L [-E]] [-FivVA]", "display callouts", help=_HELP,
             options=[Opt("r", bool, "limit display to (r)ealtime type callouts", usage=""),
                      Opt("n", bool, "limit display to (n)ormal type callouts", usage=""),
                      Opt("s", bool, "limit display to (s)hort-term ids", usage=""),
                      Opt("l", bool, "limit display to (l)ong-term ids", usage=""),
                      Opt("x", bool, "limit display to callouts which are executing", usage=""),
                      Opt("h", bool, "limit display to callouts based on hrestime", usage=""),
                      Opt("B", bool, "limit display to callouts based on absolute time", usage=""),
                      Opt("t", int, "limit display to callouts that expire at time nsec", arg="nsec", usage=""),
                      Opt("a", int, "limit display to callouts that expire after nsec", arg="nsec", usage=""),
                      Opt("b", int, "limit display to callouts that expire before nsec", arg="nsec", usage=""),
                      Opt("d", bool, "interpret time option to -t|a|b as delta from current time", usage=""),
                      Opt("k", bool, "use ticks instead of nanoseconds as arguments to -t|a|b", usage=""),
                      Opt("D", bool, "display expiration time as delta from current time", usage=""),
                      Opt("C", int, "limit display to callouts for this cpu pointer", arg="addr", usage=""),
                      Opt("S", int, "limit display to callouts for this cpu sequence id", arg="seqid", usage=""),
                      Opt("f", str, "limit display to callouts with this function", arg="name|addr", usage=""),
                      Opt("p", str, "limit display to callouts functions with this parameter",
                          arg="name|addr", usage=""),
                      Opt("T", bool, "display the callout table itself, instead of callouts", usage=""),
                      Opt("L", bool, "display callout lists instead of callouts", usage=""),
                      Opt("E", bool, "with -T or L, display empty data structures", usage=""),
                      Opt("F", bool, "walk free callout list (free list with -i) instead", usage=""),
                      Opt("i", bool, "traverse callouts by id hash instead of list hash", usage=""),
                      Opt("v", bool, "display more info for each item", usage=""),
                      Opt("V", bool, "show details of each level of info as it is traversed", usage=""),
                      Opt("H", bool, "limit display to callouts in the callout heap", usage=""),
                      Opt("Q", bool, "limit display to callouts in the callout queue", usage=""),
                      Opt("A", bool, "show only addresses. Useful for pipelines.", usage="")])
def callout(call: Call) -> int | None:
    if call.session.target.era == "opensolaris":
        if any(v for v in call.opts.values()) or call.args:
            return DCMD_USAGE
        return _callout_2008(call)
    if call.args:
        return DCMD_USAGE
    o, a = call.opts, _Args(call)
    bits = {"r": -NORM, "n": -REAL, "l": -SHORT, "s": -LONG, "x": EXEC, "h": HIRES, "B": ABS,
            "E": EMPTY, "T": TABLE, "D": EXPREL, "L": LIST, "V": VERBOSE, "v": LONGLIST, "i": BYIDH,
            "F": FREE, "H": HEAP, "Q": QUEUE, "A": ADDRS}
    for letter, bit in bits.items():
        if o[letter]:
            a.flags = a.flags & ~-bit if bit < 0 else a.flags | bit
    a.time, a.atime, a.btime = o["t"] or 0, o["a"] or 0, o["b"] or 0
    if o["k"]:
        a.time, a.atime, a.btime = a.time * a.nspt, a.atime * a.nspt, a.btime * a.nspt
    if o["d"]:
        a.time, a.atime, a.btime = a.time + a.now, a.atime + a.now, a.btime + a.now
    if o["S"] is not None:
        if call.addrspec:
            call.printf("-S option conflicts with explicit address\n")
            return DCMD_USAGE
        a.flags |= SEQID
        a.seqid = o["S"]
    if o["C"] is not None:
        if call.addrspec:
            call.printf("-C option conflicts with explicit address\n")
            return DCMD_USAGE
        if a.flags & SEQID:
            call.printf("-C and -S are mutually exclusive\n")
            return DCMD_USAGE
        a.seqid = read_struct(call, "cpu_t", o["C"], "cpu_t")["cpu_seqid"]
        a.flags |= SEQID
    if not a.flags & (REAL | NORM):
        a.flags |= REAL | NORM
    if not a.flags & (LONG | SHORT):
        a.flags |= LONG | SHORT
    if o["t"] is not None:
        if o["a"] is not None or o["b"] is not None:
            call.printf("-t and -a|b are mutually exclusive\n")
            return DCMD_USAGE
        a.flags |= TIME
    if o["a"] is not None:
        a.flags |= AFTER
    if o["b"] is not None:
        a.flags |= BEFORE
    if o["a"] is not None and o["b"] is not None and a.btime <= a.atime:
        call.printf("value for -a must be earlier than the value for -b.\n")
        return DCMD_USAGE
    if a.flags & HEAP and a.flags & QUEUE:
        call.printf("-H and -Q are mutually exclusive\n")
        return DCMD_USAGE
    for letter, flag, attr in (("f", FUNC, "funcaddr"), ("p", PARAM, "param")):
        if o[letter] is not None:
            found = call.session.target.lookup_by_name(o[letter])
            setattr(a, attr, found if found is not None else _strtoull(call, o[letter]))
            a.flags |= flag
    if call.addrspec:
        a.flags |= REAL | NORM
    if call.hdrspec or a.flags & VERBOSE:
        a.flags |= THDR | LHDR | CHDR
    if a.flags & FREE:
        a.flags |= EMPTY
        if not a.flags & LIST:
            a.flags |= BYIDH
    tables = [call.addr] if call.addrspec else [t.addr for t in callouts(kdump(call)).tables]
    for addr in tables:
        _table(a, addr)
    return None


def _strtoull(call: Call, text: str) -> int:
    try:
        return call.session.arg_to_int(text)
    except Exception:
        raise CmdError(f"failed to parse '{text}' as a number") from None


def _table(a: _Args, addr: int) -> None:
    """callout_t_cb: one table, its lists (by list hash) or its callouts (by id hash)."""
    call = a.call
    ct = read_struct(call, "callout_table_t", addr, "callout_table")
    size = call.session.target.types.lookup("callout_table_t").size
    index = (addr - a.base) // size
    cotype, seqid = index & 1, index >> CALLOUT_TYPE_BITS
    if a.flags & SEQID and a.seqid != seqid:
        return
    if not a.flags & REAL and cotype == CALLOUT_REALTIME:
        return
    if not a.flags & NORM and cotype != CALLOUT_REALTIME:
        return
    if not a.flags & EMPTY and (not ct["ct_heap"] or not ct["ct_cyclic"]):
        return
    if a.flags & THDR and not a.flags & ADDRS and a.flags & (TABLE | VERBOSE):
        call.printf("%<u>%-3s %-1s %-?s %-?s %-?s %-?s%</u>", "SEQ", "T", "FREE", "LFREE", "CYCLIC", "HEAP")
        a.flags = (a.flags & ~THDR) | LHDR | CHDR
        if a.flags & LONGLIST:
            call.printf("%<u> %-T%-7s %-7s %-?s %-?s %-?s %-?s %-?s %-?s%</u>",
                        "HEAPNUM", "HEAPMAX", "TASKQ", "EXPQ", "QUE", "PEND", "FREE", "LOCK")
        call.printf("\n")
    if a.flags & (TABLE | VERBOSE):
        if not a.flags & ADDRS:
            call.printf("%-3d %-1s %-0?p %-0?p %-0?p %-?p", seqid, _TYPES[cotype], ct["ct_free"],
                        ct["ct_lfree"], ct["ct_cyclic"], ct["ct_heap"])
            if a.flags & LONGLIST:
                call.printf(" %-7d %-7d %-?p %-?p %-?p %-?lld %-?lld %-?p", ct["ct_heap_num"],
                            ct["ct_heap_max"], ct["ct_taskq"], _head(ct["ct_expired"]),
                            _head(ct["ct_queue"]), 0, 0, int.from_bytes(ct["ct_mutex"][:8], "little"))
        else:
            call.printf("%-0?p", addr)
        call.printf("\n")
        if a.flags & TABLE:
            return
    a.ndx = index
    with lower_indent(call, 4 if a.flags & VERBOSE else 0):
        if not a.flags & BYIDH:
            if a.flags & FREE:
                if ct["ct_lfree"]:
                    a.bucket = 0
                    _lists(a, ct["ct_lfree"])
                return
            for head in (_head(ct["ct_expired"]), _head(ct["ct_queue"])):
                if head:
                    a.bucket = -1
                    _lists(a, head)
            if ct["ct_clhash"]:
                for i, head in enumerate(_hash_heads(call, ct["ct_clhash"], "cl_hash")):
                    if head:
                        a.bucket = i
                        _lists(a, head)
        else:
            if a.flags & FREE:
                if ct["ct_free"]:
                    a.bucket = 0
                    for c, obj in follow(call, ct["ct_free"], "callout_t", "c_idnext", "callout"):
                        if not _one(a, c, obj):
                            break
                return
            if ct["ct_idhash"]:
                for i, head in enumerate(_hash_heads(call, ct["ct_idhash"], "id_hash")):
                    if head:
                        a.bucket = i
                        for c, obj in follow(call, head, "callout_t", "c_idnext", "callout"):
                            if not _one(a, c, obj):
                                break


def _head(raw: bytes) -> int:
    return int.from_bytes(raw[:8], "little")


def _lists(a: _Args, first: int) -> None:
    """callout_list_cb over a chain of callout lists."""
    call = a.call
    for addr, cl in follow(call, first, "callout_list_t", "cl_next", "callout_list"):
        a.exp, a.list_flags = cl["cl_expiration"], cl["cl_flags"]
        is_free = bool(cl["cl_flags"] & 0x1)
        if bool(a.flags & FREE) != is_free:
            return
        if a.flags & TIME and a.exp != a.time or a.flags & BEFORE and a.exp > a.btime \
                or a.flags & AFTER and a.exp < a.atime:
            continue
        head = _head(cl["cl_callouts"])
        if not a.flags & EMPTY and not head:
            continue
        if not _list_flags_match(a, cl["cl_flags"]):
            continue
        if a.flags & LHDR and not a.flags & ADDRS and a.flags & (LIST | VERBOSE):
            if not a.flags & VERBOSE:
                call.printf("%<u>SEQ T %</u>")
            call.printf("%<u>EXP            HA BUCKET CALLOUTS         %</u>")
            if a.flags & LONGLIST:
                call.printf("%<u> %-?s %-?s%</u>", "PREV", "NEXT")
            call.printf("\n")
            a.flags = (a.flags & ~LHDR) | THDR | CHDR
        if a.flags & (LIST | VERBOSE):
            if not a.flags & ADDRS:
                if not a.flags & VERBOSE:
                    call.printf("%3d %1s ", a.ndx >> CALLOUT_TYPE_BITS, _TYPES[a.ndx & 1])
                call.printf("%-14llx %1s%1s %-6d %-0?p ", _exp(a), "H" if a.list_flags & LIST_HRESTIME else " ",
                            "A" if a.list_flags & LIST_ABSOLUTE else " ", a.bucket, head)
                if a.flags & LONGLIST:
                    call.printf(" %-?p %-?p", cl["cl_prev"], cl["cl_next"])
            else:
                call.printf("%-0p", addr)
            call.printf("\n")
            if a.flags & LIST:
                continue
        if not head or a.flags & FREE:
            continue
        with lower_indent(call, 4 if a.flags & VERBOSE else 0):
            for c, obj in follow(call, head, "callout_t", "c_clnext", "callout"):
                if not _one(a, c, obj):
                    break


def _list_flags_match(a: _Args, flags: int) -> bool:
    if a.flags & HIRES and a.flags & ABS:
        if not flags & (LIST_HRESTIME | LIST_ABSOLUTE):
            return False
    else:
        if a.flags & HIRES and not flags & LIST_HRESTIME:
            return False
        if a.flags & ABS and not flags & LIST_ABSOLUTE:
            return False
    if a.flags & HEAP and not flags & LIST_HEAPED:
        return False
    if a.flags & QUEUE and not flags & QUEUED:
        return False
    return True


def _exp(a: _Args) -> int:
    return ((a.exp - a.now) if a.flags & EXPREL else a.exp) & MASK64


def _one(a: _Args, addr: int, co: dict[str, Any]) -> bool:
    """callouts_cb: filter and print one callout; False stops the chain."""
    call, xid = a.call, co["c_xid"]
    if bool(a.flags & FREE) != bool(xid & CALLOUT_ID_FREE):
        return False
    if a.flags & FUNC and a.funcaddr != co["c_func"] or a.flags & PARAM and a.param != co["c_arg"]:
        return True
    if not a.flags & LONG and xid & CALLOUT_LONGTERM or not a.flags & SHORT and not xid & CALLOUT_LONGTERM:
        return True
    if a.flags & EXEC and not xid & CALLOUT_EXECUTING:
        return True
    if a.flags & BYIDH:
        if not a.flags & FREE and co["c_list"]:
            cl = read_struct(call, "callout_list_t", co["c_list"], "expiration time")
            a.exp, a.list_flags = cl["cl_expiration"], cl["cl_flags"]
        else:
            a.exp = a.list_flags = 0
        if a.exp and (a.flags & TIME and a.exp != a.time or a.flags & BEFORE and a.exp > a.btime
                      or a.flags & AFTER and a.exp < a.atime):
            return True
        if not _list_flags_match(a, a.list_flags):
            return True
    tableid = xid & ((1 << a.ctbits) - 1)
    coid = xid & CALLOUT_ID_MASK
    if a.flags & CHDR and not a.flags & ADDRS:
        if not a.flags & VERBOSE:
            call.printf("%<u>%3s %-1s %-14s %</u>", "SEQ", "T", "EXP")
        elif a.flags & BYIDH:
            call.printf("%<u>%-14s %</u>", "EXP")
        call.printf("%<u>%-4s %-?s %-20s%</u>", "XHAL", "XID", "FUNC(ARG)")
        if a.flags & LONGLIST:
            call.printf("%<u> %-?s %-?s %-?s %-?s%</u>", "PREVID", "NEXTID", "PREVL", "NEXTL")
            call.printf("%<u> %-?s %-4s %-?s%</u>", "DONE", "UTOS", "THREAD")
        call.printf("\n")
        a.flags = (a.flags & ~CHDR) | THDR | LHDR
    rec = {"addr": addr, "seqid": tableid >> CALLOUT_TYPE_BITS, "type": _TYPES[tableid & 1],
           "expiration": a.exp, "executing": bool(xid & CALLOUT_EXECUTING),
           "hrestime": bool(a.list_flags & LIST_HRESTIME), "absolute": bool(a.list_flags & LIST_ABSOLUTE),
           "longterm": bool(xid & CALLOUT_LONGTERM), "xid": coid, "func": co["c_func"],
           "function": call.session.addr2str(co["c_func"]) or f"{co['c_func']:#x}", "arg": co["c_arg"]}
    flags, exp = a.flags, _exp(a)

    def render(c: Call, r: dict[str, Any]) -> None:
        if flags & ADDRS:
            c.printf("%-0p\n", r["addr"])
            return
        if not flags & VERBOSE:
            c.printf("%-3d %1s %-14llx ", r["seqid"], r["type"], exp)
        elif flags & BYIDH:
            c.printf("%-14x ", exp)
        c.printf("%1s%1s%1s%1s %-?llx %a(%p)", "X" if r["executing"] else " ", "H" if r["hrestime"] else " ",
                 "A" if r["absolute"] else " ", "L" if r["longterm"] else " ", r["xid"], r["func"], r["arg"])
        if flags & LONGLIST:
            c.printf(" %-?p %-?p %-?p %-?p", co["c_idprev"], co["c_idnext"], co["c_clprev"], co["c_clnext"])
            c.printf(" %-?p %-4d %-0?p", int.from_bytes(co["c_done"][:2], "little"), co["c_waiting"],
                     co["c_executor"])
        c.printf("\n")
    call.emit("callout", rec, render)
    return True


def _callout_2008(call: Call) -> int | None:
    """genunix.c callout (2008): FUNCTION ARGUMENT ID TIME, by table (type,
    then fanout), id hash bucket and chain; the time in ticks and its
    distance from panic_lbolt (or lbolt on a live system)."""
    co = callouts(kdump(call))
    call.printf("%<u>%-24s %-?s %-?s %-?s%</u>\n", "FUNCTION", "ARGUMENT", "ID", "TIME")
    ncpus = len(kdump(call).cpus) or 1
    fanout = min(8, ncpus)
    order = []
    for t in co.tables:
        for c in t.callouts:
            table = ((t.index >> CALLOUT_TYPE_BITS) % fanout) << CALLOUT_TYPE_BITS | t.type
            order.append(((t.type, table >> CALLOUT_TYPE_BITS, idhash(c.xid, 4)), c))
    for _, c in sorted(order, key=lambda kc: kc[0]):
        runtime = co.lbolt + c.expires
        rec = {"addr": c.addr, "seqid": c.table >> CALLOUT_TYPE_BITS, "type": _TYPES[c.table & 1],
               "expiration": runtime, "executing": c.executing, "hrestime": c.hrestime,
               "absolute": c.absolute, "longterm": c.longterm, "xid": c.xid & CALLOUT_ID_MASK,
               "func": c.func, "function": call.session.addr2str(c.func) or f"{c.func:#x}", "arg": c.arg}
        call.emit("callout", rec, _row_2008(c.expires))
    return None


def _row_2008(delta: int) -> Any:
    def render(c: Call, r: dict[str, Any]) -> None:
        c.printf("%-24a %0?p %0?lx %?lx (T%+ld)\n", r["func"], r["arg"], r["xid"], r["expiration"], delta)
    return render


@module.dcmd("calloutid", "[-d|v] xid", "print callout by extended id",
             help="calloutid: display callout by id.\n"
                  "Given an extended callout id, display the callout infomation.",
             options=[Opt("d", bool, "do not dereference callout, just decode the id.", usage=""),
                      Opt("v", bool, "verbose display more info about the callout", usage="")])
def calloutid(call: Call) -> int | None:
    if len(call.args) != 1:
        return DCMD_USAGE
    arg = call.args[0]
    xid = call.session.arg_to_int(arg) & MASK64
    a = _Args(call)
    a.flags |= BYIDH | (LONGLIST if call.opts["v"] else 0) | (CHDR if call.hdrspec else 0)
    tableid = xid & ((1 << a.ctbits) - 1)
    bucket = idhash(xid, a.ctbits)
    coid = xid & CALLOUT_ID_MASK
    if call.addrspec:
        call.printf("calloutid does not accept explicit address.\n")
        return DCMD_USAGE
    if call.opts["d"]:
        if call.hdrspec:
            call.printf("%<u>%3s %1s %2s %-?s %-6s %</u>\n", "SEQ", "T", "XL", "XID", "IDHASH")
        call.printf("%-3d %1s %1s%1s %-?llx %-6d\n", tableid >> CALLOUT_TYPE_BITS, _TYPES[tableid & 1],
                    "X" if xid & CALLOUT_EXECUTING else " ", "L" if xid & CALLOUT_LONGTERM else " ",
                    coid, bucket)
        return None
    size = call.session.target.types.lookup("callout_table_t").size
    ct = read_struct(call, "callout_table_t", a.base + tableid * size, "callout_table")
    if not ct["ct_idhash"]:
        call.printf("id hash chain for this xid is empty\n")
        return 1
    head = _hash_heads(call, ct["ct_idhash"], "id_hash")[bucket]
    if not head:
        call.printf("id hash chain for this xid is empty\n")
        return 1
    a.ndx, a.bucket = tableid, bucket
    for c, obj in follow(call, head, "callout_t", "c_idnext", "callout"):
        if not _one(a, c, obj):
            break
    return None


assert CALLOUT_NTYPES == 2
