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
from typing import Callable

from kdb.errors import ENOMAP, ReadError

Producer = Callable[[int, int], bytes]   # (offset into the region, length) -> bytes


class AddressSpace:
    """Non-overlapping regions of memory, each backed by bytes or a producer."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._regions: list[tuple[int, int, Producer]] = []
        self._pending: list[Callable[["AddressSpace"], None]] = []

    def add(self, start: int, size: int, producer: Producer) -> None:
        i = bisect.bisect_left(self._starts, start)
        self._starts.insert(i, start)
        self._regions.insert(i, (start, start + size, producer))

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

    def mapped(self, addr: int) -> bool:
        return self.region(addr) is not None


def stack_producer(words: dict[int, int], base: int) -> Producer:
    """A stack region: the given 8-byte words at their offsets, zeros elsewhere."""
    def produce(off: int, n: int) -> bytes:
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
    """Map every thread's stack: the saved fp and return address of each frame."""
    def build(sp_: AddressSpace) -> None:
        for t in threads:
            sp = t.sp
            if sp is None or not t.raw_stack:
                continue
            frames = t.frames
            words: dict[int, int] = {sp: frames[0].fp, sp + 8: frames[0].pc}
            for i, f in enumerate(frames):
                if i + 1 < len(frames):
                    words[f.fp] = frames[i + 1].fp
                    words[f.fp + 8] = frames[i + 1].pc
                else:
                    words[f.fp] = 0
                    words[f.fp + 8] = 0
            lo = min(words)
            hi = max(words) + 8
            if sp_.region(lo) is None and sp_.region(hi - 1) is None:
                sp_.add(lo, hi - lo, stack_producer(words, lo))
            t.frames_cache = None   # frames were built only to lay the stack out
    space.add_lazy(build)
