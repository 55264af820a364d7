"""Turnstiles: ``::turnstile``, ``::sobj2ts`` and the ``blocked`` and
``turnstile_cache`` walkers (illumos sobj.c), over the turnstiles a dump's
blocked threads imply (kdb.target.turnstiles)."""

from __future__ import annotations

from typing import Any

from kdb.errors import CmdError, ReadError
from kdb.target.turnstiles import TURNSTILE_HASH_SIZE, sobj_hash, turnstiles
from kdb.modapi import ADDR, DCMD_USAGE, INT, Call, Module, Walk

from .._kernel import kdump

module = Module("genunix", targets=("kernel",))

module.record("turnstile", {"addr": ADDR, "sobj": ADDR, "nwaiters": INT, "epri": INT,
                            "inheritor": [ADDR, None], "prioinv": [ADDR, None]})


@module.walker("turnstile_cache", "walk the turnstile_cache cache")
def walk_turnstile_cache(walk: Walk):
    """kmem's walk of the turnstile cache: here, the turnstiles of the sync
    objects the dump's threads block on (idle threads' own turnstiles are
    not in the model)."""
    return (ts.addr for ts in turnstiles(kdump(walk)).all)


@module.walker("blocked", "walk threads blocked on a given sobj")
def walk_blocked(walk: Walk):
    """sobj.c blocked_walk_init/step: a layer over the ``thread`` walk that
    keeps the threads whose t_ts has waiters and names the sync object."""
    if not walk.addr:
        raise CmdError("must specify a sobj * for blocked walk")
    dump = kdump(walk)
    ts = turnstiles(dump).by_sobj.get(walk.addr)
    if ts is None or not ts.waiters:
        return iter(())
    return (t.addr for t in dump.threads if t.ts == ts.addr)


def _read_turnstile(call: Call, addr: int) -> dict[str, Any]:
    """The turnstile_t at ADDR, read from memory as mdb_vread does."""
    target = call.session.target
    t = target.types.lookup("turnstile_t")
    try:
        data = target.read(addr, t.size)
    except ReadError as e:          # mdb_warn without a newline adds the errno text
        raise CmdError(f"can't read turnstile_t at {addr:x}: {e.reason}") from None

    def member(name: str) -> int:
        m = t.member(name)
        assert m is not None            # images.KERNEL_TYPES declares them
        size = m.type.resolve().size
        return int.from_bytes(data[m.offset:m.offset + size], "little", signed=name == "ts_epri")

    return {"addr": addr, "sobj": member("ts_sobj"), "nwaiters": member("ts_waiters"),
            "epri": member("ts_epri"), "inheritor": member("ts_inheritor") or None,
            "prioinv": member("ts_prioinv") or None}


@module.dcmd("turnstile", "?", "display a turnstile",
             help="Print the turnstile at the address: its sync object, number of\n"
                  "waiters, the priority they lend (EPRI) and the thread inheriting it\n"
                  "(ITOR), and the next turnstile on that thread's priority-inversion\n"
                  "list. Without an address, every turnstile of the turnstile_cache walk.")
def turnstile(call: Call) -> int | None:
    """sobj.c turnstile(): header ``%<u>%?s %?s %5s %4s %?s %?s%</u>``, rows
    ``%0?p %?p %5d %4d %?p %?p``; without an address,
    ``mdb_walk_dcmd("turnstile_cache", "turnstile")`` (one header)."""
    if call.args:
        return DCMD_USAGE
    dump = kdump(call)
    addrs = [call.addr] if call.addrspec else [ts.addr for ts in turnstiles(dump).all]
    for i, addr in enumerate(addrs):
        if (call.hdrspec if call.addrspec else i == 0) and not call.pipe_out:
            call.printf("%<u>%?s %?s %5s %4s %?s %?s%</u>\n", "ADDR", "SOBJ", "WTRS", "EPRI", "ITOR",
                        "PRIOINV")
        call.emit("turnstile", _read_turnstile(call, addr), _turnstile_row)
    return None


def _turnstile_row(c: Call, r: dict[str, Any]) -> None:
    if c.pipe_out:
        c.push(r["addr"])
        return
    c.printf("%0?p %?p %5d %4d %?p %?p\n", r["addr"], r["sobj"], r["nwaiters"], r["epri"],
             r["inheritor"] or 0, r["prioinv"] or 0)


@module.dcmd("sobj2ts", ":", "perform turnstile lookup on synch object",
             help="Print the address of the turnstile of the sync object at the address,\n"
                  "found on its turnstile_table hash chain; nothing if no thread blocks on it.")
def sobj2ts(call: Call) -> int | None:
    """sobj.c sobj2ts(): the chain ``turnstile_table[(isupi ? 0 : 128) +
    TURNSTILE_SOBJ_HASH(addr)]`` (isupi: the address lies in upimutextab),
    followed through ts_next to the turnstile whose ts_sobj is the address;
    ``%p``."""
    if not call.addrspec or call.args:
        return DCMD_USAGE
    dump = kdump(call)
    table = dump.symbols
    upi = table.lookup("upimutextab")
    if upi is None:                 # mdb_warn("...\n"): no errno text
        raise CmdError("unable to reference upimutextab")
    chains = table.lookup("turnstile_table")
    if chains is None:
        raise CmdError("unable to reference turnstile_table")
    isupi = (call.addr - upi.addr) & ((1 << 64) - 1) < upi.size
    index = (0 if isupi else TURNSTILE_HASH_SIZE) + sobj_hash(call.addr)
    target = call.session.target
    chain_t = target.types.lookup("turnstile_chain_t")
    at = chains.addr + chain_t.size * index
    try:
        tsp = int.from_bytes(target.read(at, 8), "little")
    except ReadError as e:
        raise CmdError(f"unable to read turnstile_chain_t at {at:#x}: {e.reason}") from None
    seen: set[int] = set()
    while tsp and tsp not in seen:
        seen.add(tsp)
        ts = _read_turnstile(call, tsp)
        if ts["sobj"] == call.addr:
            call.printf("%p\n", tsp)
            break
        tsp = int.from_bytes(target.read(tsp, 8), "little")      # ts_next
    return None
