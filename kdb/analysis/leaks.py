"""Memory leaks, found as mdb's ``::findleaks`` finds them (leaky.c and the
genunix leaky_subr.c): a conservative garbage collection of the heap.

Every allocated buffer of the caches that allocate from kmem_default,
kmem_firewall or static (leaky_interested) is a candidate. The roots are
scanned word by word: the kernel's data (the variables kdb places, the
buffer chains' root variables, the dump's own memory sections) and every
thread's stack. A word that points into a candidate marks it, and a marked
buffer is scanned in turn. What no scanned word reaches is a leak.
Leaks with the same cache and allocation stack (less kmem_cache_alloc's
frame) are coalesced, the oldest standing for them; a cache without
KMF_AUDIT has no stacks, so all its leaks are one.

Words are read from the same sources as memory (kdb.target.memory's stack
words, kdb.target.kmem's buffer words), skipping the zero words a scan of
the bytes would dismiss: what is counted is what mdb counts.
"""

from __future__ import annotations

import struct
import time
from typing import Any, Iterable

import attrs

from kdb.target.kmem import Cache, Kmem
from kdb.target.memory import stack_words

INTERESTING_ARENAS = ("kmem_default", "kmem_firewall", "static")
HAT_CACHES = ("sfmmu1_cache", "sf_hment_cache", "pa_hment_cache")
TYPE_CACHE, TYPE_KMEM = 1, 2


@attrs.define(slots=True)
class Leak:
    """One coalesced leak: COUNT buffers of CACHE with one stack."""

    kind: int                   # TYPE_CACHE (no bufctl) or TYPE_KMEM (audited)
    cache: Cache
    count: int
    index: int                  # the representative (oldest) buffer
    addr: int                   # its bufctl (TYPE_KMEM) or the buffer (TYPE_CACHE)
    stack: tuple[int, ...]      # the allocation stack less kmem_cache_alloc's frame
    timestamp: int
    caller: int = 0             # the first frame outside kmem_ and vmem_ functions
    caller_name: str = ""
    ranges: list[tuple[int, int]] = attrs.Factory(list)     # the groups' buffer indexes

    def members(self, marks: bytearray) -> list[int]:
        """Every leaked buffer this leak stands for, the representative first."""
        rest = [i for s, e in self.ranges for i in range(s, e) if not marks[i] and i != self.index]
        return [self.index] + rest


@attrs.define(slots=True)
class LeakRun:
    leaks: list[Leak]
    estimate: int
    buffers: int
    beans: dict[str, int]
    memusage: int
    cpu: float
    wall: float
    marks: dict[int, bytearray] = attrs.Factory(dict)       # cache -> which buffers are reached


def find_leaks(km: Kmem, dump: Any, target: Any) -> LeakRun:
    wall0, cpu0 = time.monotonic(), time.process_time()
    caches = [c for c in km.caches if c.arena is not None and c.arena.name in INTERESTING_ARENAS
              and c.name not in HAT_CACHES]
    est = sum(c.nalloc for c in caches)
    live = [c for c in caches if c.nalloc]
    marks = {c.addr: bytearray(c.nalloc) for c in live}
    lo = min((c.buffer(0) for c in live), default=0)
    hi = max((c.buffer(c.nalloc - 1) + c.bufsize for c in live), default=0)
    beans = {"dismissals": 0, "misses": 0, "dups": 0, "follows": 0}
    pending: list[tuple[Cache, int]] = []
    by_addr = {c.addr: c for c in live}

    def grep(words: Iterable[int], nwords: int) -> None:
        """leaky_grep over a region of NWORDS words, WORDS its non-zero ones."""
        seen = 0
        for w in words:
            seen += 1
            if w < lo or w > hi:
                beans["dismissals"] += 1
                continue
            c = km.cache_of(w)
            hit = c.index_of(w) if c is not None and c.addr in by_addr else None
            if hit is None or hit[0] >= c.nalloc or hit[1] >= c.bufsize:   # type: ignore[union-attr]
                beans["misses"] += 1
                continue
            m = marks[c.addr]       # type: ignore[union-attr]
            if m[hit[0]]:
                beans["dups"] += 1
                continue
            m[hit[0]] = 1
            beans["follows"] += 1
            pending.append((c, hit[0]))     # type: ignore[arg-type]
        beans["dismissals"] += max(0, nwords - seen)

    def drain() -> None:
        while pending:
            c, i = pending.pop()
            words = c.words(i)
            grep(words.values(), c.bufsize // 8)

    if live:
        # the kernel's data: its variables, the chains' roots, the dump's memory
        for name, (addr, ctype) in (dump.global_images or {}).items():
            size = target.types.lookup(ctype).size
            try:
                data = target.read(addr, size)
            except Exception:       # a variable on an unmapped address: nothing to scan
                continue
            grep(_words(data), size // 8)
            drain()
        for name in km.roots:
            sym = dump.symbols.lookup(name)
            if sym is not None:
                grep(_words(target.read(sym.addr, 8)), 1)
                drain()
        for base, data in dump.memory:
            grep(_words(data[(-base) % 8:]), len(data) // 8)
            drain()
        for t in dump.threads:
            if t.state == "free" or not t.frames:
                continue
            bounds = t.stack_bounds()
            words = stack_words(t.frames, t.sp) if t.sp is not None else {}
            grep((w for w in words.values() if w), (bounds[1] - bounds[0]) // 8 if bounds else len(words))
            drain()
    leaks = _coalesce(live, marks, dump)
    memusage = est * 24 + sum(len(m) for m in marks.values()) + len(leaks) * 200
    return LeakRun(leaks, est, est, beans, memusage, time.process_time() - cpu0, time.monotonic() - wall0,
                   marks)


def _words(data: bytes) -> Iterable[int]:
    n = len(data) // 8
    return (w for w in struct.unpack_from(f"<{n}Q", data) if w)


def _coalesce(caches: list[Cache], marks: dict[int, bytearray], dump: Any) -> list[Leak]:
    """leaky_add_leak and leaky_sort: one leak per cache and stack, the
    oldest (then the lowest address) representing; sorted by type, then by
    caller name, caller and cache."""
    out: dict[tuple[int, tuple[int, ...]], Leak] = {}
    pcs = dump.kmem_pcs
    for c in caches:
        m = marks[c.addr]
        if not m.count(0):
            continue
        for g in c.spec.allocated:
            start, end = g.first, g.first + g.count
            n = m.count(0, start, end)
            if not n:
                continue
            first = m.find(0, start, end)
            if c.audit and c.bctl:
                stack = tuple(c.stack(first, pcs.__getitem__)[1:])
                key = (c.addr, stack)
                ts = c.timestamp(first)
                old = out.get(key)
                if old is None:
                    old = out[key] = Leak(TYPE_KMEM, c, n, first, c.bufctl(first), stack, ts)
                else:
                    old.count += n
                    if ts < old.timestamp:
                        old.index, old.addr, old.timestamp = first, c.bufctl(first), ts
            else:
                key = (c.addr, ())
                old = out.get(key)
                if old is None:
                    old = out[key] = Leak(TYPE_CACHE, c, n, first, c.buffer(first), (), 0)
                else:
                    old.count += n
            old.ranges.append((start, end))
    for lk in out.values():
        lk.caller, lk.caller_name = _caller(lk.stack, dump)
    return sorted(out.values(), key=lambda lk: (lk.kind, lk.caller_name, lk.caller,
                                                lk.cache.addr if lk.kind == TYPE_CACHE else 0))


def _caller(stack: tuple[int, ...], dump: Any) -> tuple[int, str]:
    """leaky_subr_caller: the first frame not in a kmem_ or vmem_ function
    (else the last frame)."""
    pc = 0
    for pc in stack:
        sym = dump.symbols.containing(pc)
        if sym is None:
            continue
        if sym.name.startswith(("kmem_", "vmem_")):
            continue
        return pc, sym.name
    sym = dump.symbols.containing(pc) if pc else None
    return pc, sym.name if sym is not None else ""
