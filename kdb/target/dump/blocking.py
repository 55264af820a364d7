"""One state for blocked threads: what a dump author leaves out is derived
here, once, at load, so every view agrees (docs/dump-format.md, "Blocked
threads").

A blocked thread's wait channel, sync object, turnstile and the arguments
its blocking frames were called with are one fact in the kernel:

* ``wchan`` and ``sobj``: a ``wchan`` that names a declared sync object
  gives the thread its ``sobj``; an ``sobj`` gives the thread its
  ``wchan`` (``turnstile_block`` and ``cv_block`` both set ``t_wchan``).
* turnstiles: every mutex or rwlock with waiters has one; its waiters'
  ``t_ts`` point at it (:data:`TURNSTILE_BASE`), in sync object order.
* rwlock queues: :func:`rwlock_queues` (the format does not record them).
* frame arguments: a blocking function's frame that gives no arguments
  gets the ones it was called with (``mutex_vector_enter(lock)``,
  ``rw_enter_sleep(lock, rw)``, ``turnstile_block(ts, qnum, sobj,
  sobj_ops)``, ``sema_p(sema)``, ``cv_wait(cv)``...).
* the sync object ops vectors (``mutex_sobj_ops``...) are symbols of
  genunix's data, synthesized where the dump does not declare them.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from kdb.target.model import SOBJ_OPS, RawFrame, Sobj, SobjRef, Symbol, Thread, int_of
from kdb.target.symbols import SymbolTable

#: where derived turnstiles live (turnstile_t is 0x38 bytes; 0x40 apart)
TURNSTILE_BASE = 0xFFFFFF0960000000
TURNSTILE_STRIDE = 0x40
#: where the synthesized sobj ops vectors live (genunix data)
SOBJ_OPS_BASE = 0xFFFFFFFFFBC40000
SOBJ_OPS_SIZE = 0x30
#: turnstile queues (illumos turnstile.h)
TS_WRITER_Q, TS_READER_Q = 0, 1
#: krw_t (illumos rwlock.h)
RW_WRITER, RW_READER = 0, 1
#: sync objects whose waiters block on a turnstile (the rest on sleep queues)
TURNSTILE_TYPES = frozenset({"mutex", "rwlock"})

#: blocking functions whose first argument is the sync object
FIRST_ARG = frozenset({"mutex_vector_enter", "sema_p", "sema_p_sig", "cv_wait", "cv_wait_sig",
                        "cv_timedwait", "cv_timedwait_sig", "cv_wait_sig_swap",
                        "cv_wait_sig_swap_core", "cv_timedwait_hires", "cv_timedwait_sig_hires",
                        "cv_reltimedwait", "cv_reltimedwait_sig"})
#: how many frames from the top a blocking function can be
TOP_FRAMES = 4
#: the sync object type a blocking function sleeps on (its t_sobj_ops):
#: what ::stacks's SOBJ column shows for a thread blocked there
BLOCKS_ON = {**{name: "cv" for name in FIRST_ARG if name.startswith("cv_")},
             "sema_p": "sema", "sema_p_sig": "sema", "mutex_vector_enter": "mutex",
             "rw_enter_sleep": "rwlock", "shuttle_swtch": "shuttle", "shuttle_resume": "shuttle",
             "shuttle_sleep": "shuttle"}


def synthesize_sobj_ops(table: SymbolTable) -> None:
    """Give the table every sobj ops vector it does not declare, as genunix
    data symbols at fixed addresses."""
    for i, name in enumerate(sorted(set(SOBJ_OPS.values()))):
        if table.lookup(name) is None:
            table.add_data(Symbol(name, SOBJ_OPS_BASE + SOBJ_OPS_SIZE * i, SOBJ_OPS_SIZE, "object",
                                  "genunix", synthetic=True))


def rwlock_queues(so: Sobj, waiters: Sequence[Thread]) -> list[int]:
    """The turnstile queue of each of an rwlock's waiters (TS_WRITER_Q or
    TS_READER_Q). The format does not record it: with WRITE_WANTED set the
    first waiter is the writer that wants it, the others readers."""
    return [TS_WRITER_Q if i == 0 and so.write_wanted else TS_READER_Q
            for i in range(len(waiters))]


def function_of(loc: object) -> str | None:
    """The function name of a code location string (``mod`name+0x1f``)."""
    if not isinstance(loc, str):
        return None
    return loc.partition("+")[0].rpartition("`")[2]


def derive(threads: Sequence[Thread], sobjs: Sequence[Sobj]) -> None:
    """Fill in what each blocked thread's author left out (see the module):
    its sync object or wait channel, its turnstile and queue. The arguments
    of its frames are filled in when its stack is decoded (:class:`StackUnpacker`)."""
    by_addr = {s.addr: s for s in sobjs}
    # wchan <-> sobj
    for t in threads:
        if t.sobj is None:
            w = t.wchan_raw
            if w is not None:
                so = by_addr.get(int_of(w))
                if so is not None:
                    t.sobj = SobjRef(type=so.type, addr=w)   # type: ignore[arg-type]
        elif t.wchan_raw is None:
            t.wchan_raw = t.sobj.addr
    # turnstiles and queues
    blocked: dict[int, list[Thread]] = {}
    for t in threads:
        s = t.sobj
        if s is not None and s.type in TURNSTILE_TYPES and t.state == "sleep":
            blocked.setdefault(int_of(s.addr), []).append(t)
    for i, addr in enumerate(sorted(blocked)):
        ts = TURNSTILE_BASE + TURNSTILE_STRIDE * i
        waiters = blocked[addr]
        so = by_addr.get(addr)
        qs = rwlock_queues(so, waiters) if so is not None and so.type == "rwlock" else \
            [TS_WRITER_Q] * len(waiters)
        for t, q in zip(waiters, qs):
            t.ts = ts
            t.tsq = q


class StackUnpacker:
    """Decodes a thread's stack when it is first asked for (``Thread.raw_stack``)
    and gives a blocking function's frame that gives no arguments the ones it
    was called with, from the thread's sync object, turnstile and queue."""

    __slots__ = ("ops_addr", "kinds", "decode", "decode_pcs", "decode_light")

    def __init__(self, table: SymbolTable, decode: Callable[[Any], Any],
                 decode_pcs: Callable[[Any], tuple[Any, ...]],
                 decode_light: Callable[[Any], list[Any]]) -> None:
        # JSON from a dump, MessagePack from the cache
        self.decode = decode
        self.decode_pcs = decode_pcs
        self.decode_light = decode_light
        self.ops_addr = {kind: (sym.addr if (sym := table.lookup(name)) is not None else 0)
                         for kind, name in SOBJ_OPS.items()}
        #: each distinct pc's blocking kind (a million threads share a few hundred pcs)
        self.kinds: dict[object, str | None] = {}

    def pcs(self, t: Thread) -> tuple[Any, ...]:
        """The pcs of T's stack as written (location strings or numbers),
        without decoding its frames if they are not decoded yet: what
        ``::stacks`` groups threads on."""
        items = t.stack_items
        if items is not None:
            return tuple(f if isinstance(f, str) else f.pc for f in items)
        return self.decode_pcs(t.stack_json) if t.has_stack else ()

    def light(self, t: Thread) -> list[Any]:
        """T's frames with their pc and fp but not their arguments (each a
        location string or an object with ``pc`` and ``fp``): what a stack
        printed without arguments needs, without decoding them."""
        items = t.stack_items
        if items is not None:
            return items
        return self.decode_light(t.stack_json) if t.has_stack else []

    def __call__(self, t: Thread) -> list[str | RawFrame]:
        raw = self.decode(t.stack_json) or []
        s = t.sobj
        if s is None or not raw:
            return raw
        kinds = self.kinds
        obj: int | None = None
        for k, f in enumerate(raw[:TOP_FRAMES]):
            if isinstance(f, str):
                pc: int | str = f
            elif f.args:
                continue
            else:
                pc = f.pc
            kind = kinds.get(pc, "")
            if kind == "":
                kind = kinds[pc] = _blocking_kind(pc)
            if kind is None:
                continue
            if obj is None:
                obj = int_of(s.addr)
            args: list[int | str] | None = None
            if kind == "first":
                args = [obj]
            elif kind == "rw_enter_sleep":
                args = [obj, RW_READER if t.tsq == TS_READER_Q else RW_WRITER]
            elif t.ts:                  # turnstile_block
                args = [t.ts, t.tsq, obj, self.ops_addr.get(s.type, 0)]
            if args is not None:
                raw[k] = RawFrame(pc=pc, fp=None if isinstance(f, str) else f.fp, args=args)
        return raw


def _blocking_kind(pc: object) -> str | None:
    """What a frame at PC gets as arguments when it gives none: ``first``
    (the sync object), ``rw_enter_sleep`` or ``turnstile_block``; None for
    the other functions."""
    name = function_of(pc)
    if name in FIRST_ARG:
        return "first"
    if name in ("rw_enter_sleep", "turnstile_block"):
        return name
    return None
