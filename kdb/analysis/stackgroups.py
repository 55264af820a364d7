"""Threads grouped by identical stack, state and synchronisation object type.

Shared by ``::stacks`` (which caches the result for the session) and
``kdb triage``.
"""

from __future__ import annotations

import sys
from typing import Any

from kdb.target.model import Dump, Thread

STATES = ("FREE", "SLEEP", "RUN", "ONPROC", "ZOMB", "STOPPED", "WAIT", "PANIC")
STATE_ORDER = {s: i for i, s in enumerate(STATES)}


class StackGroup:
    __slots__ = ("state", "sobj", "pcs", "threads", "error", "names", "panic")

    def __init__(self, state: str, sobj: str, pcs: tuple[int, ...], error: str | None,
                 panic: bool) -> None:
        self.state = state
        self.sobj = sobj
        self.pcs = pcs
        self.threads: list[int] = []
        self.error = error
        self.names: tuple[str, ...] = ()
        self.panic = panic


def group_threads(dump: Dump, verbose: bool = False) -> list[StackGroup]:
    """Group every thread by (state, sobj, stack), ``::stacks``'s order.

    Threads are first grouped on their raw stacks (a tuple of the dump's
    frame strings hashes cheaply), then each group's pcs are resolved once
    and groups whose frames resolve to the same pcs are merged. VERBOSE
    reports progress on stderr every 10,000 threads.
    """
    panic_thread = dump.panic.thread if dump.panic else None
    raw_groups: dict[tuple[Any, ...], list[Thread]] = {}
    for n, t in enumerate(dump.threads):
        if verbose and n and n % 10000 == 0:
            sys.stderr.write(f"stacks: processed {n} threads\n")
        # keyed on the pcs as written, read from the stack's text without
        # decoding its frames (a frame object would hash by identity and
        # split every group; decoding 100,000 stacks' arguments took seconds)
        rkey: tuple[Any, ...] = t.proc.unpack_stack.pcs(t)
        key = (t.addr == panic_thread, t.state, t.sobj_type, rkey, t.stack_error)
        bucket = raw_groups.get(key)
        if bucket is None:
            raw_groups[key] = [t]
        else:
            bucket.append(t)
    groups: dict[tuple[Any, ...], StackGroup] = {}
    table = dump.symbols
    for (panic, state, sobj_type, _, err), threads in raw_groups.items():
        pcs = tuple(f.pc for f in threads[0].frames)
        st = "PANIC" if panic else state.upper()
        sobj = (sobj_type or "").upper() or "<NONE>"
        gkey = (st, sobj, pcs, err)
        g = groups.get(gkey)
        if g is None:
            g = groups[gkey] = StackGroup(st, sobj, pcs, err, panic)
            syms = [table.containing(pc) for pc in pcs]
            g.names = tuple(s.name if s else f"{pc:x}" for s, pc in zip(syms, pcs))
        g.threads.extend(t.addr for t in threads)
    for g in groups.values():
        # findstack.c stacks_thread_cb: the first thread found heads the
        # group and each later one is linked right after the head, so the
        # group lists the first, then the others last found first
        g.threads[1:] = g.threads[:0:-1]
    # stacks_entry_comp_impl(forsort): panic stacks last, then bigger counts
    # first, then by thread state, then failed stacks after good ones, then
    # frame by frame (by function name where they differ, else address;
    # a stack that is a prefix of another first), then sobj type
    return sorted(groups.values(),
                  key=lambda g: (g.panic, -len(g.threads), STATE_ORDER.get(g.state, 99),
                                 g.error is not None, g.error or "",
                                 tuple(zip(g.names, g.pcs)), g.sobj))
