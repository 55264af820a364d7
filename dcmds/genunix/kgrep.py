"""``::kgrep``: search the whole address space for a value (illumos kgrep.c,
kgrep_range_basic and the size templates; genunix.c kgrep_subr). kdb
searches every region of the dump's memory in address order; the slabs of
kmem caches a buffer at a time, by their non-zero words (a million buffers
are not read byte by byte), unless the pattern could match a zero word."""

from __future__ import annotations

import struct
from typing import Iterator

from kdb.modapi import DCMD_ERR, DCMD_OK, DCMD_USAGE, Call, Module, Opt
from kdb.target.kmem import kmem
from kdb.target.kmem_images import seg_holding

from .._kernel import kdump

module = Module("genunix", targets=("kernel",))

FULL = (1 << 64) - 1
_CODES = {1: "B", 2: "H", 4: "I", 8: "Q"}


@module.dcmd("kgrep", ":", "search kernel as for a pointer",
             help="Search the entire virtual address space for a particular pattern,\n"
                  "addr.  By default, a pointer-sized search for an exact match is\n"
                  "done.",
             options=[Opt("v", bool, "Report the value matched at each address"),
                      Opt("a", int, "Restrict the search to addresses >= minaddr", arg="minaddr"),
                      Opt("A", int, "Restrict the search to addresses < maxaddr", arg="maxaddr"),
                      Opt("d", int, "Search for values in [addr, addr + dist)", arg="dist"),
                      Opt("m", int, "Search for values where (value & mask) == addr", arg="mask"),
                      Opt("M", int, "Search for values where (value & ~invmask) == addr", arg="invmask"),
                      Opt("s", int, "Instead of pointer-sized values, search for size-byte values.",
                          arg="size")])
def kgrep(call: Call) -> int | None:
    o = call.opts
    mask = o["m"] if o["m"] is not None else FULL
    invmask, dist = o["M"] or 0, o["d"] or 0
    if sum(1 for x in (invmask != 0, mask != FULL, dist != 0) if x) > 1:
        call.warn("only one of -d, -m and -M may be specified")
        return DCMD_USAGE
    if not call.addrspec:
        return DCMD_USAGE
    if invmask:
        mask = ~invmask & FULL
    pattern = call.addr & FULL
    if pattern & ~mask & FULL:
        call.warn("warning: pattern does not match mask")
    size = o["s"] if o["s"] is not None else 8
    if size > 8:
        call.warn("sizes greater than 8 not supported")
        return DCMD_ERR
    if size == 0 or size & (size - 1):
        call.warn("size must be a power of 2")
        return DCMD_ERR
    size_mask = FULL if size == 8 else (1 << (size * 8)) - 1
    if pattern & ~size_mask:
        call.warn(f"warning: pattern {pattern:x} overflows requested size {size} (max: {size_mask:x})")
    if dist > 0 and (dist & ~size_mask or size_mask + 1 - dist < pattern):
        call.warn(f"pattern {pattern:x} + distance {dist:x} overflows size\n{size} (max: {size_mask:x})")
        return DCMD_ERR
    lo, hi = o["a"] or 0, o["A"] or 0
    pat, m = pattern & size_mask, mask & size_mask

    def hit(v: int) -> bool:
        return ((v ^ pat) & m) == 0 or (v - pat) & size_mask < dist

    exact = size == 8 and m == FULL and not dist
    # kg_seen: whether any memory was searched (every region here is readable)
    seen = bool(call.session.target.regions())
    for addr, value in _values(call, size, hit(0), pat if exact else None):
        if addr < lo or (hi and addr >= hi) or not hit(value):
            continue
        if call.pipe_out:
            call.push(addr)
        elif o["v"]:
            call.printf("%p:\t%llx\n", addr, value)
        else:
            call.printf("%p\n", addr)
    if not seen:
        call.warn("warning: nothing searched")
    return DCMD_OK


def _values(call: Call, size: int, zero_matches: bool, exact: int | None) -> Iterator[tuple[int, int]]:
    """(address, value) of the SIZE-byte values of every region, in address
    order; a kmem slab's only where non-zero unless zero matches, and only
    where the value is EXACT (the common case) when that is given."""
    target = call.session.target
    km = kmem(kdump(call))
    slabs = {c.base: c for c in km.caches} if km is not None else {}
    bufctls = {c.bctl: c for c in km.caches if c.bctl} if km is not None else {}
    segs = {a.seg0: a for a in km.arenas if a.segs} if km is not None else {}
    seg0 = call.session.target.types.lookup("vmem_t").member("vm_seg0")
    for start, end, produce in target.regions():
        arena = segs.get(start)
        if arena is not None and exact and seg0 is not None:
            yield from ((a, exact) for a in seg_holding(arena, exact, seg0.offset))
            continue
        b = bufctls.get(start)
        if b is not None and exact and km is not None:
            yield from ((a, exact) for a in b.bufctl_holding(exact, kdump(call).kmem_pcs))
            continue
        if b is not None and size == 8 and not zero_matches:
            yield from b.bufctl_words(kdump(call).kmem_pcs)
            continue
        c = slabs.get(start)
        if c is not None and exact is not None and exact and km is not None:
            yield from ((a, exact) for a in c.holding(exact, km))
            continue
        if c is not None and size == 8 and not zero_matches:
            for i in range(c.total):
                base = c.buffer(i)
                for off, w in sorted(c.chunk_words(i).items()):
                    yield base + off, w
            continue
        for a in range(start, end, 1 << 16):
            n = min(end, a + (1 << 16)) - a
            data = produce(a - start, n)
            first = (-a) % size
            if exact is not None and exact and size == 8:
                # the common case: find the pattern's bytes, keep the aligned hits
                needle = exact.to_bytes(8, "little")
                k = data.find(needle, first)
                while k >= 0:
                    if (a + k) % 8 == 0:
                        yield a + k, exact
                    k = data.find(needle, k + 1)
                continue
            count = (len(data) - first) // size
            if count <= 0:
                continue
            values = struct.unpack_from(f"<{count}{_CODES[size]}", data, first)
            for k, v in enumerate(values):
                if v or zero_matches:
                    yield a + first + k * size, v
