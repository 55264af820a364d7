"""The address space of a dump: what ``/``, ``*`` and ``::print`` read.

Regions are laid out lazily and found by bisection:

* the dump's raw ``memory`` segments;
* thread stacks: each frame holds the saved frame pointer at ``fp`` and the
  return address at ``fp + 8``, as on amd64, so ``fp/2K`` unwinds by hand
  (the thread's saved ``sp`` points at the innermost frame the same way);
* entity images (processes, threads...) added by :mod:`kdb.target.images`.

Reading where nothing is mapped fails with ``no mapping for address``.
"""

from __future__ import annotations

import bisect
from typing import Any, Callable

from kdb.errors import ENOMAP, ReadError

Producer = Callable[[int, int], bytes]   # (offset into the region, length) -> bytes


class AddressSpace:
    """Regions of memory, each backed by bytes or a producer, found by bisection.

    Adding is O(1) (regions are appended); the first lookup after a batch
    of adds sorts once (timsort: a sorted run plus the new ones), so laying
    out n regions costs O(n log n) whatever their order, never one list
    insertion each. Where regions start at the same address, the one added
    first is found.
    """

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._regions: list[tuple[int, int, Producer]] = []
        self._new: list[tuple[int, int, Producer]] = []
        self._pending: list[Callable[["AddressSpace"], None]] = []

    def add(self, start: int, size: int, producer: Producer) -> None:
        self._new.append((start, start + size, producer))

    def _settle(self) -> None:
        """Sort the regions added since the last lookup into place."""
        # newest first before the stable sort: among equal starts the oldest
        # ends up last, where bisect_right finds it
        regions = self._new[::-1] + self._regions
        self._new = []
        regions.sort(key=lambda r: r[0])
        self._regions = regions
        self._starts = [r[0] for r in regions]

    def add_bytes(self, start: int, data: bytes) -> None:
        def read(off: int, n: int, d: bytes = data) -> bytes:
            return d[off:off + n]
        self.add(start, len(data), read)

    def add_lazy(self, builder: Callable[["AddressSpace"], None]) -> None:
        """Regions built on the first read (a dump of a million threads pays once)."""
        self._pending.append(builder)

    def _build(self) -> None:
        pending, self._pending = self._pending, []
        for b in pending:
            b(self)

    def region(self, addr: int) -> tuple[int, int, Producer] | None:
        if self._pending:
            self._build()
        if self._new:
            self._settle()
        i = bisect.bisect_right(self._starts, addr) - 1
        if i >= 0:
            start, end, prod = self._regions[i]
            if start <= addr < end:
                return start, end, prod
        return None

    def read(self, addr: int, size: int) -> bytes:
        out = bytearray()
        a = addr
        while len(out) < size:
            r = self.region(a)
            if r is None:
                raise ReadError(a, ENOMAP)
            start, end, prod = r
            n = min(size - len(out), end - a)
            out += prod(a - start, n)
            a += n
        return bytes(out)

    def regions(self) -> list[tuple[int, int, Producer]]:
        """Every region, by start address (``::kgrep`` searches them all)."""
        if self._pending:
            self._build()
        if self._new:
            self._settle()
        return list(self._regions)

    def mapped(self, addr: int) -> bool:
        return self.region(addr) is not None


def stack_words(frames: tuple, sp: int) -> dict[int, int]:
    """A thread's stack as words: each frame's saved fp and return address
    (the saved ``sp`` points at the innermost frame the same way)."""
    words: dict[int, int] = {sp: frames[0].fp, sp + 8: frames[0].pc}
    for i, f in enumerate(frames):
        if i + 1 < len(frames):
            words[f.fp] = frames[i + 1].fp
            words[f.fp + 8] = frames[i + 1].pc
        else:
            words[f.fp] = 0
            words[f.fp + 8] = 0
    return words


def stack_producer(thread: Any, base: int) -> Producer:
    """A thread's stack region: its words at their offsets, zeros elsewhere.

    The words (which resolve every pc of the stack) are built on the first
    read of this stack, not when the address space is laid out."""
    cache: list[dict[int, int]] = []

    def produce(off: int, n: int) -> bytes:
        if not cache:
            cache.append(stack_words(thread.frames, thread.sp))
        words = cache[0]
        out = bytearray(n)
        first = (off // 8) * 8
        for w in range(first, off + n, 8):
            v = words.get(base + w)
            if v is None:
                continue
            raw = v.to_bytes(8, "little")
            for k in range(8):
                pos = w + k - off
                if 0 <= pos < n:
                    out[pos] = raw[k]
        return bytes(out)
    return produce


def add_stacks(space: AddressSpace, threads: list) -> None:
    """Map every thread's stack: the saved fp and return address of each frame.

    A stack is mapped where nothing else is (memory sections, objects and
    entity images win); where the stacks of two threads overlap (a malformed
    dump), the one at the lower address is mapped. Laying out needs only each
    stack's bounds (no pc is resolved) and one sort: linear in threads up to
    the sort.
    """
    def build(sp_: AddressSpace) -> None:
        stacks: list[tuple[int, int, Any]] = []
        for t in threads:
            sp = t.sp
            if sp is None or not t.has_stack:
                continue
            fps = t.frame_pointers()
            lo = min(sp, min(fps))
            hi = max(sp, max(fps)) + 16
            if sp_.region(lo) is None and sp_.region(hi - 1) is None:
                stacks.append((lo, hi, t))
        stacks.sort(key=lambda s: s[0])
        reach = -1
        for lo, hi, t in stacks:
            if lo >= reach:
                sp_.add(lo, hi - lo, stack_producer(t, lo))
                reach = hi
    space.add_lazy(build)
