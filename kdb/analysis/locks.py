"""Who holds what and who waits for whom: the facts ``::wchaninfo``,
``::mutex``, ``::rwlock`` and ``kdb triage`` all show (docs/triage.md).

* :func:`sleepers`: wait channel -> the threads sleeping on it;
* :func:`lock_waiters`: the threads blocked on one synchronisation object;
* :func:`holder`: the thread that holds a mutex or write-holds an rwlock;
* :func:`wait_for_graph`: thread -> (object, holder) edges over the whole
  dump, with :meth:`WaitForGraph.cycles` (deadlocks) and
  :meth:`WaitForGraph.chains` (the longest wait chains), both linear in
  the number of threads.
"""

from __future__ import annotations

import attrs

from kdb.target.dump.blocking import TURNSTILE_TYPES
from kdb.target.model import Dump, Sobj, Thread


#: sys/sleepq.h: the sleep queue hash (NSLEEPQ buckets, SQHASHINDEX)
NSLEEPQ = 2048


def sqhash(wchan: int) -> int:
    """SQHASHINDEX: the sleep queue bucket a wait channel hashes to."""
    return ((wchan >> 2) ^ (wchan >> 13) ^ (wchan >> 24)) & (NSLEEPQ - 1)


def sleepers(dump: Dump) -> dict[int, list[Thread]]:
    """Wait channel -> threads sleeping on it on a sleep queue, in the order
    mdb's ``wchan`` walker finds them (sobj.c ``wchan_walk_step``): bucket
    by bucket of the sleepq hash, each bucket's chain in sleepq_insert's
    order (higher priority first, first come first among equals), each
    channel where its first sleeper is. Threads blocked on a mutex or
    rwlock wait on a turnstile instead: their t_wchan names the lock, but
    no sleep queue holds them."""
    buckets: dict[int, list[Thread]] = {}
    for t in dump.threads:
        if t.wchan is not None and t.state == "sleep" and t.sobj_type not in TURNSTILE_TYPES:
            buckets.setdefault(sqhash(t.wchan), []).append(t)
    out: dict[int, list[Thread]] = {}
    for b in sorted(buckets):
        for t in sorted(buckets[b], key=lambda t: -t.pri):
            assert t.wchan is not None
            out.setdefault(t.wchan, []).append(t)
    return out


def lock_waiters(dump: Dump, addr: int, kind: str) -> list[Thread]:
    """The threads blocked on the KIND (``mutex``, ``rwlock``) object at ADDR,
    in thread order."""
    return [t for t in dump.threads if t.sobj_type == kind and t.sobj_addr == addr]


def holder(so: Sobj) -> int | None:
    """The thread holding SO: a mutex's owner, an rwlock's writer; None for
    objects nobody holds (or that readers hold: they are not recorded)."""
    if so.type == "mutex":
        return so.owner or None
    if so.type == "rwlock":
        return so.writer or None
    return None


def unreleasable(so: Sobj) -> bool:
    """Nobody holds SO, so nobody will let its waiters go: an empty
    semaphore, an unowned mutex, an unheld rwlock."""
    return ((so.type == "sema" and so.count <= 0) or (so.type == "mutex" and not so.owner)
            or (so.type == "rwlock" and not so.writer and so.readers == 0))


@attrs.define(slots=True)
class WaitForGraph:
    """Threads waiting on objects that other threads hold.

    ``edges``: waiting thread -> (object, holding thread); ``holders``:
    object -> holding thread; ``waiting``: object -> the threads sleeping
    on it (by sync object); ``names``: object -> its name (or type);
    ``unreleasable``: the objects nobody holds."""

    edges: dict[int, tuple[int, int]]
    holders: dict[int, int]
    waiting: dict[int, list[Thread]]
    names: dict[int, str]
    unreleasable: set[int]

    def cycles(self) -> list[list[int]]:
        """Every cycle of the graph (each a deadlock), as thread lists in the
        order the waits go, each found once. Each thread has at most one
        outgoing edge, so one walk per thread, never revisiting, is linear."""
        state: dict[int, int] = {}          # 1: on the current walk, 2: done
        found: list[list[int]] = []
        for start in self.edges:
            if start in state:
                continue
            path: list[int] = []
            cur = start
            while cur in self.edges and cur not in state:
                state[cur] = 1
                path.append(cur)
                cur = self.edges[cur][1]
            if state.get(cur) == 1:          # the walk closed on itself
                found.append(path[path.index(cur):])
            for t in path:
                state[t] = 2
        return found

    def chains(self, limit: int = 3) -> list[list[int]]:
        """The LIMIT longest wait chains (thread, the thread it waits for,
        ...), longest first, ties by the threads' addresses. A chain ends at
        a thread that waits for nobody, or where it would close a cycle.
        Linear: each thread's chain length is computed once."""
        length: dict[int, int] = {}
        for start in self.edges:
            path: list[int] = []
            seen: set[int] = set()
            cur = start
            while cur in self.edges and cur not in length and cur not in seen:
                seen.add(cur)
                path.append(cur)
                cur = self.edges[cur][1]
            if cur in seen:                  # a cycle: its members' chains go once round
                ring = path[path.index(cur):]
                for t in ring:
                    length[t] = len(ring)
                path = path[:path.index(cur)]
                base = length[cur]
            else:
                base = length.get(cur, 1)
            for t in reversed(path):
                base += 1
                length[t] = base
        best = sorted((t for t in self.edges), key=lambda t: (-length[t], t))[:limit]
        out = []
        for t in best:
            chain, on = [t], {t}
            while chain[-1] in self.edges and self.edges[chain[-1]][1] not in on:
                chain.append(self.edges[chain[-1]][1])
                on.add(chain[-1])
            if len(chain) > 1:
                out.append(chain)
        return out


def wait_for_graph(dump: Dump) -> WaitForGraph:
    """The wait-for graph of DUMP: from each sleeping thread blocked on a
    sync object to the thread holding it."""
    holders: dict[int, int] = {}
    names: dict[int, str] = {}
    free: set[int] = set()
    for so in dump.sobjs:
        h = holder(so)
        if h:
            holders[so.addr] = h
        names[so.addr] = so.name or so.type
        if unreleasable(so):
            free.add(so.addr)
    edges: dict[int, tuple[int, int]] = {}
    waiting: dict[int, list[Thread]] = {}
    for t in dump.threads:
        obj = t.sobj_addr
        if obj is not None and t.state == "sleep":
            waiting.setdefault(obj, []).append(t)
            h = holders.get(obj)
            if h is not None and h != t.addr:
                edges[t.addr] = (obj, h)
    return WaitForGraph(edges, holders, waiting, names, free)
