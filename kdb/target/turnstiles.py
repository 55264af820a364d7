"""Turnstiles: what a dump's blocked threads imply, as illumos keeps them.

A thread that blocks on a mutex or an rwlock sleeps on the sync object's
turnstile (kdb.target.dump.blocking gives each such thread its ``t_ts`` and
queue). From the same facts this module derives each ``turnstile_t`` as
illumos's turnstile.c would have left it (sys/turnstile.h):

* ``ts_sobj``, ``ts_waiters``, and ``ts_sleepq[TS_WRITER_Q, TS_READER_Q]``:
  the waiters of each queue in sleepq order (sleepq_insert: higher
  DISP_PRIO first, first come first within a priority), linked by ``t_link``;
  each waiter's ``t_sleepq`` points at its queue;
* priority inheritance (turnstile_pi_inherit): when the highest DISP_PRIO of
  the waiters is above the owner's ``t_pri`` (the mutex owner, the rwlock's
  writer), the owner is ``ts_inheritor`` and that priority ``ts_epri``; the
  owner's turnstiles are on its ``t_prioinv`` list, through ``ts_prioinv``;
  otherwise both are 0;
* ``turnstile_table``: TURNSTILE_HASH_SIZE (128) chains for user-level PI
  mutexes, then 128 for the others, hashed by TURNSTILE_SOBJ_HASH, each
  chain newest first through ``ts_next`` (the turnstiles in address order).

Idle threads' own turnstiles (the ``t_ts`` of a thread that is not blocked,
and turnstiles on free lists) are not modelled: such a thread's ``t_ts`` is 0.
"""

from __future__ import annotations

from typing import Any

import attrs

from kdb.target.model import Dump, Thread

TURNSTILE_HASH_SIZE = 128
TS_NUM_Q = 2
#: offsetof (turnstile_t, ts_sleepq) on LP64 (sys/turnstile.h): five
#: pointers, an int and a pri_t before it
TS_SLEEPQ_OFFSET = 0x30
SLEEPQ_SIZE = 8


def sobj_hash(addr: int) -> int:
    """TURNSTILE_SOBJ_HASH: ``(((int)sobj >> 2) + ((int)sobj >> 9)) & 127``
    (the casts keep the low 32 bits, as a signed int)."""
    low = addr & 0xFFFFFFFF
    if low & 0x80000000:
        low -= 1 << 32
    return ((low >> 2) + (low >> 9)) & (TURNSTILE_HASH_SIZE - 1)


def disp_prio(t: Thread) -> int:
    """DISP_PRIO: the higher of a thread's priority and its inherited one."""
    return max(t.pri, t.epri)


@attrs.frozen(slots=True)
class Turnstile:
    addr: int
    sobj: int
    #: the waiters of TS_WRITER_Q and TS_READER_Q, in sleepq order
    queues: tuple[tuple[Thread, ...], tuple[Thread, ...]]
    epri: int
    inheritor: int
    prioinv: int = 0
    next: int = 0

    @property
    def waiters(self) -> int:
        return len(self.queues[0]) + len(self.queues[1])

    def sleepq(self, q: int) -> int:
        """The address of ``ts_sleepq[q]``."""
        return self.addr + TS_SLEEPQ_OFFSET + SLEEPQ_SIZE * q


@attrs.define(slots=True)
class Turnstiles:
    """Every turnstile of a dump, and the links to them."""

    all: list[Turnstile]
    by_addr: dict[int, Turnstile]
    by_sobj: dict[int, Turnstile]
    #: t_prioinv of each inheritor: its first turnstile
    prioinv: dict[int, int]
    #: turnstile_table: tc_first of each of the 2 * 128 chains
    chains: list[int]
    #: each waiter's t_link (the next waiter of its queue) and t_sleepq
    link: dict[int, int]
    sleepq: dict[int, int]

    def blocked(self, sobj: int) -> list[Thread]:
        """The threads blocked on SOBJ (the ``blocked`` walk), by queue."""
        ts = self.by_sobj.get(sobj)
        return [] if ts is None else [*ts.queues[0], *ts.queues[1]]


def turnstiles(dump: Dump) -> Turnstiles:
    """The dump's turnstiles, derived once (kept on the dump)."""
    cached = dump.turnstiles
    if cached is not None:
        return cached
    groups: dict[int, list[Thread]] = {}
    for t in dump.threads:
        if t.ts:
            groups.setdefault(t.ts, []).append(t)
    made: list[Turnstile] = []
    for addr in sorted(groups):
        waiters = groups[addr]
        sobj = waiters[0].sobj_addr or 0
        queues: list[list[Thread]] = [[], []]
        for t in waiters:
            queues[t.tsq if 0 <= t.tsq < TS_NUM_Q else 0].append(t)
        for q in queues:
            q.sort(key=disp_prio, reverse=True)          # stable: FIFO within a priority
        top = max(disp_prio(t) for t in waiters)
        owner = _owner(dump, sobj)
        inherits = owner is not None and top > owner.pri
        made.append(Turnstile(addr, sobj, (tuple(queues[0]), tuple(queues[1])),
                              top if inherits else 0, owner.addr if inherits and owner else 0))
    # each inheritor's t_prioinv list, in turnstile order
    by_owner: dict[int, list[Turnstile]] = {}
    for ts in made:
        if ts.inheritor:
            by_owner.setdefault(ts.inheritor, []).append(ts)
    nxt: dict[int, int] = {}
    for lst in by_owner.values():
        for a, b in zip(lst, lst[1:]):
            nxt[a.addr] = b.addr
    # hash chains, newest (highest address) first
    chains = [0] * (2 * TURNSTILE_HASH_SIZE)
    chain_next: dict[int, int] = {}
    for ts in made:
        i = TURNSTILE_HASH_SIZE + sobj_hash(ts.sobj)
        chain_next[ts.addr] = chains[i]
        chains[i] = ts.addr
    final = [attrs.evolve(ts, prioinv=nxt.get(ts.addr, 0), next=chain_next[ts.addr]) for ts in made]
    link: dict[int, int] = {}
    sleepq: dict[int, int] = {}
    for tsl in final:
        for qnum, queue in enumerate(tsl.queues):
            for k, w in enumerate(queue):
                link[w.addr] = queue[k + 1].addr if k + 1 < len(queue) else 0
                sleepq[w.addr] = tsl.sleepq(qnum)
    result = Turnstiles(final, {ts.addr: ts for ts in final}, {ts.sobj: ts for ts in final},
                        {o: lst[0].addr for o, lst in by_owner.items()}, chains, link, sleepq)
    dump.turnstiles = result
    return result


def _owner(dump: Dump, sobj: int) -> Any:
    """The thread that holds SOBJ: a mutex's owner, an rwlock's writer."""
    so = dump.sobj_by_addr.get(sobj)
    if so is None:
        return None
    holder = so.owner if so.type == "mutex" and so.kind != "spin" else so.writer if so.type == "rwlock" else None
    return dump.thread_by_addr.get(holder) if holder else None


def image_values(ts: Turnstile) -> dict[str, Any]:
    """The turnstile_t members of TS."""
    return {"ts_next": ts.next, "ts_sobj": ts.sobj, "ts_waiters": ts.waiters, "ts_epri": ts.epri,
            "ts_inheritor": ts.inheritor, "ts_prioinv": ts.prioinv,
            "ts_sleepq": [{"sq_first": q[0].addr if q else 0} for q in ts.queues]}
