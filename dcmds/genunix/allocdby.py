"""``::allocdby`` and ``::freedby`` and their walkers: the buffers a thread
allocated, or freed, by its audited bufctls, newest first (illumos kmem.c
allocdby_walk_init, allocdby_walk, allocdby_common)."""

from __future__ import annotations

from typing import Iterator

from kdb.errors import CmdError
from kdb.modapi import DCMD_OK, DCMD_USAGE, Call, Module, Walk
from kdb.target.kmem import KMEM_STACK_DEPTH

from .._kernel import kdump, read_struct
from .kmem import kmem_of

module = Module("genunix", targets=("kernel",))
# ---------------------------------------------------------------------------
def _by_thread(call: Call | Walk, thread: int, freed: bool) -> list[tuple[int, int]]:
    """allocdby_walk_init: the (timestamp, bufctl) of every audited buffer
    whose last transaction (allocation, or with FREED a free) was by THREAD,
    newest first (allocdby_cmp)."""
    out: list[tuple[int, int]] = []
    for c in kmem_of(call).caches:
        if not (c.audit and c.bctl):
            continue
        for g in c.spec.freed if freed else c.spec.allocated:
            if g.thread != thread:
                continue
            t0 = g.time or 0
            out += [(t0 + k * g.every, c.bufctl(g.first + k)) for k in range(g.count)]
    out.sort(key=lambda x: -x[0])
    return out


def _thread_walk(walk: Walk, freed: bool) -> Iterator[int]:
    if not walk.addr:
        raise CmdError("allocdby walk doesn't support global walks")
    return (b for _, b in _by_thread(walk, walk.addr, freed))


@module.walker("allocdby", "given a thread, walk its allocated bufctls")
def walk_allocdby(walk: Walk) -> Iterator[int]:
    return _thread_walk(walk, False)


@module.walker("freedby", "given a thread, walk its freed bufctls")
def walk_freedby(walk: Walk) -> Iterator[int]:
    return _thread_walk(walk, True)


def _allocdby_common(call: Call, freed: bool) -> int | None:
    """kmem.c allocdby_common and allocdby_walk: BUFCTL, TIMESTAMP and the
    first caller outside kmem_ functions, as name+0xoff."""
    if not call.addrspec:
        return DCMD_USAGE
    call.printf("%-?s %12s %s\n", "BUFCTL", "TIMESTAMP", "CALLER")
    syms = kdump(call).symbols
    for ts, addr in _by_thread(call, call.addr, freed):
        bc = read_struct(call, "kmem_bufctl_audit_t", addr, "bufctl")
        raw = bc["bc_stack"]
        caller = ""
        for k in range(max(0, min(bc["bc_depth"], KMEM_STACK_DEPTH))):
            pc = int.from_bytes(raw[8 * k:8 * k + 8], "little")
            sym = syms.containing(pc)
            if sym is None or sym.name.startswith("kmem_"):
                continue
            caller = f"{sym.name}+0x{pc - sym.addr:x}"
            break
        call.printf("%0?p %12llx %s\n", addr, bc["bc_timestamp"], caller)
    return DCMD_OK


@module.dcmd("allocdby", ":", "given a thread, print its allocated buffers",
             help="List the buffers whose last transaction was an allocation by the\n"
                  "thread at the address, newest first: bufctl, timestamp, caller.")
def allocdby(call: Call) -> int | None:
    return _allocdby_common(call, False)


@module.dcmd("freedby", ":", "given a thread, print its freed buffers",
             help="List the buffers whose last transaction was a free by the thread at\n"
                  "the address, newest first: bufctl, timestamp, caller.")
def freedby(call: Call) -> int | None:
    return _allocdby_common(call, True)
