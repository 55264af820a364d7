"""The kernel memory allocator: kmem caches, their buffers and bufctls, the
vmem arenas beneath them and the pages ``::memstat`` counts.

The facts come from the dump's optional ``kmem`` section (docs/dump-format.md):
each cache's name, buffer size and flags, and its buffers in **groups** --
"40,000 buffers allocated from widget_open by thread T, one every 2 ms,
chained from mydrv`widget_list" -- so a million buffers cost a few lines of
JSON and a few objects here. Everything else is derived once per dump, as
illumos's kmem.c would have laid it out (sys/kmem_impl.h, the 2009 layout
mdb's kmem.c reads):

* a cache's chunk is its buffer size rounded to its alignment, plus a
  24-byte buftag (``kmem_buftag_t``) when debugging (KMF_BUFTAG) is on;
  slabs are a page for small chunks, else the smallest multiple of a page
  that holds eight; caches with external bufctls (KMF_HASH: debugging on,
  or chunks over 512 bytes) keep a ``kmem_bufctl_audit_t`` per buffer;
* buffers are numbered in slab order: the allocated groups first, then the
  freed groups, then the never-used rest of the last slab (and the free
  buffers the cache asks for);
* an allocated buffer's first word links the chain its group's ``root``
  variable heads (the next buffer, 0 at the end); a buffer no root chains is
  referenced by nothing: what ``::findleaks`` then finds by scanning memory;
* a freed buffer holds 0xdeadbeef under KMF_DEADBEEF, with the word a
  use-after-free wrote (``written``) where the group says.

Buffer addresses, bufctl addresses, contents and audit records are
computed from a buffer's index (``Cache.buffer``, ``Cache.index_of``,
``Cache.words``): nothing is stored per buffer.
"""

from __future__ import annotations

import bisect
from typing import Any, Iterator

import attrs

from kdb.target.model import DERIVED
from kdb.target.vmem import PAGESIZE, Arena, ArenaSpec, layout

BUFTAG_SIZE = 24                    # sizeof (kmem_buftag_t): redzone, bufctl, bxstat
BUFCTL_SIZE = 0xC0                  # sizeof (kmem_bufctl_audit_t), KMEM_STACK_DEPTH 15, LP64
KMEM_STACK_DEPTH = 15
CACHE_STRIDE = 0x800                # kmem_cache_t images, one per stride
KMEM_CACHES = 0xFFFFFF2000000000    # kdb's own regions for the allocator
ROOTS = 0xFFFFFF2000F00000          # the root variables a dump names without a symbol
BUFFERS = 0xFFFFFF2100000000        # buffers, each cache's slabs after the last's
BUFCTLS = 0xFFFFFF3100000000        # bufctls, likewise
REGION_CAP = 0x1000000000           # 64 GiB of buffers, and of bufctls

# sys/kmem_impl.h and sys/kmem.h
KMF_AUDIT = 0x00000001
KMF_DEADBEEF = 0x00000002
KMF_REDZONE = 0x00000004
KMF_CONTENTS = 0x00000008
KMF_STICKY = 0x00000010
KMF_NOMAGAZINE = 0x00000020
KMF_FIREWALL = 0x00000040
KMF_LITE = 0x00000100
KMF_HASH = 0x00000200
KMF_RANDOMIZE = 0x00000400
KMF_BUFTAG = KMF_DEADBEEF | KMF_REDZONE
KMC_NOTOUCH = 0x00010000
KMC_NODEBUG = 0x00020000
KMC_NOMAGAZINE = 0x00040000
KMC_NOHASH = 0x00080000
KMC_QCACHE = 0x00100000
KMC_KMEM_ALLOC = 0x00200000
KMC_IDENTIFIER = 0x00400000
FLAG_NAMES = {"KMF_AUDIT": KMF_AUDIT, "KMF_DEADBEEF": KMF_DEADBEEF, "KMF_REDZONE": KMF_REDZONE,
              "KMF_CONTENTS": KMF_CONTENTS, "KMF_STICKY": KMF_STICKY, "KMF_NOMAGAZINE": KMF_NOMAGAZINE,
              "KMF_FIREWALL": KMF_FIREWALL, "KMF_LITE": KMF_LITE, "KMF_HASH": KMF_HASH}
CFLAG_NAMES = {"KMC_NOTOUCH": KMC_NOTOUCH, "KMC_NODEBUG": KMC_NODEBUG, "KMC_NOMAGAZINE": KMC_NOMAGAZINE,
               "KMC_NOHASH": KMC_NOHASH, "KMC_QCACHE": KMC_QCACHE, "KMC_KMEM_ALLOC": KMC_KMEM_ALLOC,
               "KMC_IDENTIFIER": KMC_IDENTIFIER}
FREE_PATTERN = 0xDEADBEEFDEADBEEF           # KMEM_FREE_PATTERN
REDZONE_PATTERN = 0xFEEDFACEFEEDFACE        # KMEM_REDZONE_PATTERN
BUFTAG_ALLOC = 0xA110C8ED                   # KMEM_BUFTAG_ALLOC
BUFTAG_FREE = 0xF4EEF4EE                    # KMEM_BUFTAG_FREE
#: the frames kmem itself adds at the top of an audited stack
ALLOC_PC = "genunix`kmem_cache_alloc+0x118"
KMALLOC_PC = "genunix`kmem_alloc+0x4b"
FREE_PC = "genunix`kmem_cache_free+0x11a"
KMFREE_PC = "genunix`kmem_free+0x4e"
KMEM_FRAMES = (ALLOC_PC, KMALLOC_PC, FREE_PC, KMFREE_PC)

#: the kmem and vmem structures as mdb reads them (sys/kmem_impl.h,
#: sys/vmem_impl.h), with the members its dcmds use
KMEM_TYPES = [
    "typedef struct kmem_bufctl_audit { struct kmem_bufctl_audit *bc_next; void *bc_addr; "
    "struct kmem_slab *bc_slab; struct kmem_cache *bc_cache; hrtime_t bc_timestamp; "
    "struct _kthread *bc_thread; struct kmem_bufctl *bc_lastlog; void *bc_contents; "
    "int bc_depth; uintptr_t bc_stack[15]; } kmem_bufctl_audit_t",
    "typedef struct kmem_bufctl { struct kmem_bufctl *bc_next; void *bc_addr; "
    "struct kmem_slab *bc_slab; } kmem_bufctl_t",
    "typedef struct kmem_buftag { uint64_t bt_redzone; kmem_bufctl_t *bt_bufctl; intptr_t bt_bxstat; } "
    "kmem_buftag_t",
    "typedef struct kmem_cache { char cache_name[32]; unsigned int cache_bufsize; unsigned int cache_align; "
    "unsigned int cache_chunksize; unsigned int cache_slabsize; unsigned int cache_bufctl; "
    "unsigned int cache_buftag; unsigned int cache_verify; int cache_flags; int cache_cflags; "
    "uint64_t cache_slab_create; uint64_t cache_slab_destroy; uint64_t cache_slab_alloc; "
    "uint64_t cache_slab_free; uint64_t cache_alloc_fail; uint64_t cache_buftotal; "
    "uint64_t cache_bufmax; uint64_t cache_bufslab; unsigned int cache_maxchunks; "
    "struct vmem *cache_arena; void *cache_constructor; void *cache_destructor; "
    "struct kmem_cache *cache_next; struct kmem_cache *cache_prev; void *cache_slabs; "
    "void *cache_hash_table; uintptr_t cache_hash_mask; } kmem_cache_t",
    "typedef struct vmem_seg { uintptr_t vs_start; uintptr_t vs_end; struct vmem_seg *vs_knext; "
    "struct vmem_seg *vs_kprev; struct vmem_seg *vs_anext; struct vmem_seg *vs_aprev; "
    "unsigned char vs_type; unsigned char vs_import; unsigned char vs_depth; "
    "struct _kthread *vs_thread; hrtime_t vs_timestamp; uintptr_t vs_stack[20]; } vmem_seg_t",
    "typedef struct vmem_kstat { uint64_t vk_mem_inuse; uint64_t vk_mem_import; uint64_t vk_mem_total; "
    "uint64_t vk_source_id; uint64_t vk_alloc; uint64_t vk_free; uint64_t vk_wait; uint64_t vk_fail; "
    "uint64_t vk_lookup; uint64_t vk_search; uint64_t vk_populate_fail; uint64_t vk_contains; "
    "uint64_t vk_contains_search; } vmem_kstat_t",
    "typedef struct vmem { char vm_name[32]; unsigned int vm_cflags; int vm_id; size_t vm_quantum; "
    "struct vmem *vm_source; struct vmem *vm_next; vmem_seg_t vm_seg0; vmem_kstat_t vm_kstat; } vmem_t",
]


@attrs.define(slots=True)
class BufGroup:
    """Buffers that share a history: COUNT of them, allocated (or freed)
    by STACK (the callers, innermost first, below kmem's own frames) in
    THREAD, the first at TIME (ns since boot) and one every EVERY ns."""

    count: int
    stack: list[Any] = attrs.Factory(list)     # code locations, resolved at load
    thread: int = 0
    time: int | None = None
    every: int = 1000
    root: str | None = None         # a kernel variable heading a chain of these buffers
    written: Any = None             # freed: {"offset": N, "value": V} a use after free wrote
    first: int = attrs.field(default=0, metadata=DERIVED)       # index of the group's first buffer


@attrs.define(slots=True)
class CacheSpec:
    """One kmem cache as the dump describes it."""

    name: str
    size: int
    flags: list[str] | None = None
    cflags: list[str] = attrs.Factory(list)
    arena: str = "kmem_default"
    align: int = 8
    free: int = 0
    fail: int = 0
    allocated: list[BufGroup] = attrs.Factory(list)
    freed: list[BufGroup] = attrs.Factory(list)


@attrs.define(slots=True)
class Pages:
    """Physical pages by use (``::memstat``); unset ones are derived."""

    kernel: int | None = None
    boot: int = 0
    zfs: int = 0
    anon: int = 0
    exec: int = 0
    page_cache: int = 0
    cachelist: int = 0
    physmem: int | None = None
    total: int | None = None


@attrs.define(slots=True)
class KmemSpec:
    caches: list[CacheSpec] = attrs.Factory(list)
    vmem: list[ArenaSpec] = attrs.Factory(list)
    pages: Pages | None = None


@attrs.define(slots=True, eq=False)
class Cache:
    """A cache as laid out: where its structure, buffers and bufctls are."""

    spec: CacheSpec
    addr: int
    flags: int
    cflags: int
    chunk: int
    slabsize: int
    per_slab: int
    base: int               # the first slab
    bctl: int               # the first bufctl (KMF_HASH), else 0
    nalloc: int
    nfreed: int
    total: int              # cache_buftotal: every buffer of every slab
    groups: list[BufGroup]  # allocated then freed, by first index
    starts: list[int]
    arena: "Arena | None" = None
    chain_next: dict[int, int] = attrs.Factory(dict)   # a group's last buffer -> the next group's first

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def bufsize(self) -> int:
        return self.spec.size

    @property
    def slabs(self) -> int:
        return -(-self.total // self.per_slab) if self.total else 0

    @property
    def buftag(self) -> int:
        """cache_buftag: where a chunk's kmem_buftag_t starts (the buffer rounded to 8)."""
        return self.bufsize + (-self.bufsize % 8)

    @property
    def audit(self) -> bool:
        return bool(self.flags & KMF_AUDIT)

    @property
    def hashed(self) -> bool:
        return bool(self.flags & KMF_HASH)

    def buffer(self, i: int) -> int:
        s, k = divmod(i, self.per_slab)
        return self.base + s * self.slabsize + k * self.chunk

    def bufctl(self, i: int) -> int:
        return self.bctl + i * BUFCTL_SIZE

    def end(self) -> int:
        return self.base + self.slabs * self.slabsize

    def index_of(self, addr: int) -> "tuple[int, int] | None":
        """(buffer index, offset into its chunk) of an address in a slab."""
        if not self.base <= addr < self.end():
            return None
        s, off = divmod(addr - self.base, self.slabsize)
        k, off = divmod(off, self.chunk)
        if k >= self.per_slab:
            return None
        i = s * self.per_slab + k
        return (i, off) if i < self.total else None

    def bufctl_index(self, addr: int) -> int | None:
        if not self.bctl or not self.bctl <= addr < self.bctl + self.total * BUFCTL_SIZE:
            return None
        i, off = divmod(addr - self.bctl, BUFCTL_SIZE)
        return i if off == 0 else None

    def group_of(self, i: int) -> "tuple[BufGroup, int] | None":
        """The group of buffer I and its place in it; None for a never-used buffer."""
        if i >= self.nalloc + self.nfreed:
            return None
        g = self.groups[bisect.bisect_right(self.starts, i) - 1]
        return g, i - g.first

    def allocated(self, i: int) -> bool:
        return i < self.nalloc

    def timestamp(self, i: int) -> int:
        gk = self.group_of(i)
        if gk is None:
            return 0
        g, k = gk
        return (g.time or 0) + k * g.every

    def link(self, i: int) -> int:
        """The first word of allocated buffer I: the next buffer of its root's chain."""
        gk = self.group_of(i)
        if gk is None or gk[0].root is None or i >= self.nalloc:
            return 0
        g, k = gk
        if k + 1 < g.count:
            return self.buffer(i + 1)
        return self.chain_next.get(i, 0)

    def words(self, i: int) -> dict[int, int]:
        """The non-zero words of buffer I within its size, by offset."""
        if i < self.nalloc:
            w = self.link(i)
            return {0: w} if w else {}
        out: dict[int, int] = {}
        if self.flags & KMF_DEADBEEF:
            out = {off: FREE_PATTERN for off in range(0, self.bufsize - 7, 8)}
        gk = self.group_of(i)
        if gk is not None and gk[0].written is not None:
            off, value = gk[0].written
            out[off] = value
        return out

    def chunk_words(self, i: int) -> dict[int, int]:
        """The non-zero words of buffer I's whole chunk (its buftag too), by offset."""
        out = self.words(i)
        if self.flags & KMF_BUFTAG:
            bt = self.buftag
            bc = self.bufctl(i) if self.bctl else 0
            out = dict(out)
            out[bt] = REDZONE_PATTERN
            if bc:
                out[bt + 8] = bc
            if bt + 24 <= self.chunk:
                out[bt + 16] = bc ^ (BUFTAG_ALLOC if i < self.nalloc else BUFTAG_FREE)
        return out

    def holding(self, value: int, km: "Kmem") -> list[int]:
        """The addresses of this cache's slabs whose word is VALUE (not 0):
        found by inverting what chunk_words puts where, not by reading
        every buffer (``::kgrep`` of a pointer in a cache of millions)."""
        out: list[int] = []
        if self.flags & KMF_BUFTAG:
            bt = self.buftag
            if value == REDZONE_PATTERN:
                return [self.buffer(i) + bt for i in range(self.total)]
            i = self.bufctl_index(value)
            if i is not None:
                out.append(self.buffer(i) + bt + 8)
        if self.flags & KMF_DEADBEEF and value == FREE_PATTERN:
            for i in range(self.nalloc, self.total):
                w = self.words(i)
                out += [self.buffer(i) + off for off, v in w.items() if v == value]
        for g in self.groups[len(self.spec.allocated):]:
            if g.written is not None and g.written[1] == value:
                out += [self.buffer(i) + g.written[0] for i in range(g.first, g.first + g.count)]
        # a chain link: the buffer before VALUE's in its group, or a group's
        # last buffer whose chain goes on in VALUE's group
        c = km.cache_of(value)
        hit = c.index_of(value) if c is not None else None
        if c is not None and hit is not None and hit[1] == 0:
            j = hit[0]
            gk = c.group_of(j)
            if gk is not None and gk[0].root is not None and j < c.nalloc:
                if gk[1] > 0 and c is self:
                    out.append(self.buffer(j - 1))
                elif gk[1] == 0:
                    out += [self.buffer(i) for i, nxt in self.chain_next.items() if nxt == value]
        return sorted(out)

    def bufctl_words(self, pcs: dict[str, int]) -> "Iterator[tuple[int, int]]":
        """(address, value) of every non-zero word of this cache's bufctls, in
        address order (the layout of kmem_images.bufctl_value), without
        encoding them: a group's stack, thread and depth are worked out once."""
        if not self.bctl:
            return
        per_group: dict[int, list[tuple[int, int]]] = {}
        for i in range(self.total):
            a = self.bufctl(i)
            yield a + 0x08, self.buffer(i)
            yield a + 0x10, self.base + (i // self.per_slab) * self.slabsize
            yield a + 0x18, self.addr
            if not self.audit:
                continue
            gk = self.group_of(i)
            if gk is None:
                continue
            g, k = gk
            ts = (g.time or 0) + k * g.every
            if ts:
                yield a + 0x20, ts
            fixed = per_group.get(g.first)
            if fixed is None:
                stack = self.stack(i, pcs.__getitem__)
                fixed = per_group[g.first] = ([(0x28, g.thread)] if g.thread else []) + \
                    [(0x40, len(stack))] + [(0x48 + 8 * n, pc) for n, pc in enumerate(stack) if pc]
            for off, v in fixed:
                yield a + off, v

    def bufctl_holding(self, value: int, pcs: dict[str, int]) -> list[int]:
        """The addresses of this cache's bufctls (kmem_bufctl_audit_t, the
        layout of kmem_images.bufctl_value) whose word is VALUE (not 0)."""
        if not self.bctl:
            return []
        out: list[int] = []
        hit = self.index_of(value)
        if hit is not None and hit[1] == 0:
            out.append(self.bufctl(hit[0]) + 0x08)                  # bc_addr
        if self.base <= value < self.end() and (value - self.base) % self.slabsize == 0:
            s = (value - self.base) // self.slabsize                # bc_slab
            out += [self.bufctl(i) + 0x10 for i in range(s * self.per_slab, min((s + 1) * self.per_slab,
                                                                                 self.total))]
        if value == self.addr:
            out += [self.bufctl(i) + 0x18 for i in range(self.total)]   # bc_cache
        if self.audit:
            for g in self.groups:
                n = g.count
                t0 = g.time or 0
                if g.every and t0 <= value < t0 + n * g.every and (value - t0) % g.every == 0:
                    out.append(self.bufctl(g.first + (value - t0) // g.every) + 0x20)
                elif not g.every and value == t0:
                    out += [self.bufctl(i) + 0x20 for i in range(g.first, g.first + n)]
                stack = self.stack(g.first, pcs.__getitem__)
                marks = [0x28] if g.thread == value else []
                marks += [0x40] if len(stack) == value else []
                marks += [0x48 + 8 * k for k, pc in enumerate(stack) if pc == value]
                for off in marks:
                    out += [self.bufctl(i) + off for i in range(g.first, g.first + n)]
        return sorted(out)

    def contents(self, i: int) -> bytes:
        """Buffer I's chunk: its words, then its buftag."""
        data = bytearray(self.chunk)
        for off, w in self.chunk_words(i).items():
            data[off:off + 8] = w.to_bytes(8, "little")
        return bytes(data)

    def stack(self, i: int, symbol_pc: Any) -> list[int]:
        """Buffer I's audited stack: kmem's frames, then its group's callers.
        SYMBOL_PC resolves kmem's own code locations."""
        gk = self.group_of(i)
        if gk is None:
            return []
        g, _ = gk
        alloc = i < self.nalloc
        top = [ALLOC_PC if alloc else FREE_PC]
        if self.cflags & KMC_KMEM_ALLOC:
            top.append(KMALLOC_PC if alloc else KMFREE_PC)
        return ([symbol_pc(loc) for loc in top] + list(g.stack))[:KMEM_STACK_DEPTH]


@attrs.define(slots=True)
class Kmem:
    caches: list[Cache]
    arenas: list[Arena]
    cache_by_addr: dict[int, Cache]
    arena_by_name: dict[str, Arena]
    roots: dict[str, int]           # root variable -> the first buffer of its chain
    root_addrs: dict[str, int]      # root variable -> where kdb places it (no symbol of the dump's)
    pages: Pages
    ends: list[int]

    def cache_of(self, addr: int) -> "Cache | None":
        """The cache whose slabs hold ADDR (bisection over the slab regions)."""
        i = bisect.bisect_right(self.ends, addr)
        if i < len(self.caches):
            c = self.caches[i]
            if c.base <= addr < c.end():
                return c
        return None

    def postfix(self) -> list[Arena]:
        """The arenas as the ``vmem_postfix`` walk visits them: every arena's
        children, in creation order, before it."""
        kids: dict[int, list[Arena]] = {}
        for a in self.arenas:
            if a.parent is not None:
                kids.setdefault(a.parent.addr, []).append(a)
        out: list[Arena] = []
        stack: list[tuple[Arena, bool]] = [(a, False) for a in reversed(self.arenas) if a.parent is None]
        while stack:
            a, visited = stack.pop()
            if visited:
                out.append(a)
                continue
            stack.append((a, True))
            stack.extend((k, False) for k in reversed(kids.get(a.addr, [])))
        return out

    def bufctl_of(self, addr: int) -> "tuple[Cache, int] | None":
        """The cache and buffer index of a bufctl address."""
        for c in self.caches:
            i = c.bufctl_index(addr)
            if i is not None:
                return c, i
        return None

    def prefix(self) -> list[Arena]:
        """The arenas as the ``vmem`` walk visits them (kmem.c vmem_walk_step):
        depth first from each root, children in creation order."""
        kids: dict[int, list[Arena]] = {}
        for a in self.arenas:
            if a.parent is not None:
                kids.setdefault(a.parent.addr, []).append(a)
        out: list[Arena] = []
        stack = [a for a in reversed(self.arenas) if a.parent is None]
        while stack:
            a = stack.pop()
            out.append(a)
            stack.extend(reversed(kids.get(a.addr, [])))
        return out



def _flags(spec: CacheSpec, kmem_flags: int) -> tuple[int, int, int]:
    """(flags, cflags, chunk) of a cache: kmem_cache_create's rules."""
    cflags = 0
    for n in spec.cflags:
        cflags |= CFLAG_NAMES[n]
    if spec.name.startswith("kmem_alloc_"):
        cflags |= KMC_KMEM_ALLOC
    if spec.flags is not None:
        flags = 0
        for n in spec.flags:
            flags |= FLAG_NAMES[n]
    else:
        flags = 0 if cflags & KMC_NODEBUG else kmem_flags & (KMF_AUDIT | KMF_BUFTAG | KMF_CONTENTS | KMF_LITE)
    align = max(spec.align, 8)
    chunk = spec.size + (-spec.size % 8)
    if flags & (KMF_BUFTAG | KMF_AUDIT):
        chunk += BUFTAG_SIZE
    chunk += -chunk % align
    if flags & (KMF_AUDIT | KMF_BUFTAG) or chunk > 512:
        if not cflags & KMC_NOHASH:
            flags |= KMF_HASH
    return flags, cflags, chunk


def _slab(chunk: int, hashed: bool) -> tuple[int, int]:
    """(slab size, buffers per slab): a page for small chunks (less the
    embedded kmem_slab_t without KMF_HASH), else eight chunks' pages."""
    if chunk <= PAGESIZE // 8:
        room = PAGESIZE - (0 if hashed else 0x50)
        return PAGESIZE, room // chunk
    size = -(-chunk * 8 // PAGESIZE) * PAGESIZE
    return size, size // chunk


def build(spec: KmemSpec, kmem_flags: int, physmem: int | None, now: int) -> Kmem:
    """Lay out the allocator a dump describes (once per dump)."""
    caches: list[Cache] = []
    base, bctl = BUFFERS, BUFCTLS
    for n, cs in enumerate(spec.caches):
        flags, cflags, chunk = _flags(cs, kmem_flags)
        slabsize, per_slab = _slab(chunk, bool(flags & KMF_HASH))
        groups = list(cs.allocated) + list(cs.freed)
        starts, idx = [], 0
        for g in groups:
            g.first = idx
            starts.append(idx)
            idx += g.count
        nalloc = sum(g.count for g in cs.allocated)
        nfreed = idx - nalloc
        used = idx + cs.free
        total = -(-used // per_slab) * per_slab if used else 0
        c = Cache(cs, KMEM_CACHES + n * CACHE_STRIDE, flags, cflags, chunk, slabsize, per_slab,
                  base, bctl if flags & KMF_HASH else 0, nalloc, nfreed, total, groups, starts)
        base += -(-(c.slabs * slabsize) // 0x1000000) * 0x1000000 + 0x1000000
        if flags & KMF_HASH:
            bctl += -(-(total * BUFCTL_SIZE) // 0x1000000) * 0x1000000 + 0x1000000
        for g in groups:
            if g.time is None:
                g.time = max(0, now - (g.count + 1) * g.every)
        caches.append(c)
    # the chains: each root heads the allocated buffers of its groups, in order
    roots: dict[str, int] = {}
    last: dict[str, tuple[Cache, int]] = {}
    for c in caches:
        for g in c.spec.allocated:
            if g.root is None or not g.count:
                continue
            if g.root in last:
                pc, pi = last[g.root]
                pc.chain_next[pi] = c.buffer(g.first)
            else:
                roots[g.root] = c.buffer(g.first)
            last[g.root] = (c, g.first + g.count - 1)
    # kmem's own metadata (kmem.c kmem_init): bufctls and slab structures in
    # kmem_msb, the caches' structures and hash tables, the transaction log
    meta = {"kmem_msb": sum(c.total * (BUFCTL_SIZE if c.audit else 24) + c.slabs * 0x50
                            for c in caches if c.flags & KMF_HASH),
            "kmem_cache": len(caches) * 0x2000,
            "kmem_hash": sum(8 * max(64, 1 << (c.total // 4).bit_length()) for c in caches if c.flags & KMF_HASH),
            "kmem_log": 0x1000000 if any(c.audit for c in caches) else 0}
    arenas = layout(spec.vmem, caches, meta)
    by_name = {a.name: a for a in arenas}
    for c in caches:
        c.arena = by_name.get(c.spec.arena)
    pages = spec.pages or Pages()
    heap = sum(a.inuse for a in arenas if a.parent is None)
    if pages.kernel is None:
        pages = attrs.evolve(pages, kernel=0x8000 + -(-heap // PAGESIZE))
    if pages.physmem is None:
        used = (pages.kernel or 0) + pages.boot + pages.zfs + pages.anon + pages.exec \
            + pages.page_cache + pages.cachelist
        pages = attrs.evolve(pages, physmem=physmem or max(0x100000, used + 0x40000))
    if pages.total is None:
        pages = attrs.evolve(pages, total=pages.physmem)
    root_addrs = {name: ROOTS + 8 * i for i, name in enumerate(roots)}
    return Kmem(caches, arenas, {c.addr: c for c in caches}, by_name, roots, root_addrs, pages,
                [c.end() for c in caches])


def kmem(dump: Any) -> Kmem | None:
    """The allocator of DUMP, derived once; None when the dump has no kmem section."""
    if dump.kmem is None and dump.kmem_spec is not None:
        from kdb.target.callouts import callouts
        physmem = dump.globals.get("physmem")
        dump.kmem = build(dump.kmem_spec, int(dump.globals.get("kmem_flags", 0)), physmem,
                          callouts(dump).now)
    return dump.kmem
