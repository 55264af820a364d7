"""vmem arenas: the kernel's address-space allocators beneath kmem
(``::vmem``, ``::vmem_seg``, ``::kmastat``'s second table). A dump lists
its arenas in the ``kmem`` section or gets the kernel's own (vmem.c,
kmem.c kmem_init, amd64), with kstats derived from the kmem caches that
allocate slabs from each (kdb.target.kmem): one allocated segment per
slab, a span per arena, and kmem's metadata (bufctls, hash tables, the
transaction log) in the arenas kmem keeps it in."""

from __future__ import annotations

from typing import Any

import attrs

PAGESIZE = 4096
VMEM_ARENAS = 0xFFFFFF2001000000    # vmem_t images (VMEM_STRIDE apart)
VMEM_STRIDE = 0x400
VMEM_SEGS = 0xFFFFFF4100000000          # after the bufctls: a segment per slab
SEG_STRIDE = 0x100                      # one vmem_seg_t (0xe8 bytes) per stride


@attrs.define(slots=True)
class ArenaSpec:
    """A vmem arena: its name, the arena it imports from, its span and use."""

    name: str
    source: str | None = None
    base: int = 0
    size: int = 0
    inuse: int | None = None
    alloc: int | None = None
    fail: int = 0
    quantum: int = PAGESIZE
    identifier: bool = False



@attrs.define(slots=True, eq=False)
class Arena:
    """A vmem arena with its kstats."""

    spec: ArenaSpec
    addr: int
    seg0: int
    parent: "Arena | None"
    inuse: int
    total: int
    imported: int
    alloc: int
    free: int
    segs: list[tuple[int, int, int]] = attrs.Factory(list)    # (start, end, type) of each segment

    @property
    def name(self) -> str:
        return self.spec.name



#: the arenas kdb gives a dump that lists none: the kernel's own at boot
#: (vmem.c, kmem.c kmem_init; amd64), in creation order
DEFAULT_ARENAS = [
    ("heap", None), ("vmem_metadata", "heap"), ("vmem_seg", "vmem_metadata"),
    ("vmem_hash", "vmem_metadata"), ("vmem_vmem", "vmem_metadata"), ("static", None),
    ("static_alloc", "static"), ("kstat", "heap"), ("kmem_metadata", "heap"),
    ("kmem_msb", "kmem_metadata"), ("kmem_cache", "kmem_metadata"), ("kmem_hash", "kmem_metadata"),
    ("kmem_log", "heap"), ("kmem_oversize", "heap"), ("kmem_va", "heap"),
    ("kmem_default", "kmem_va"), ("kmem_firewall_va", "heap"), ("kmem_firewall", "kmem_firewall_va"),
]
HEAP_BASE = 0xFFFFFF2000000000
HEAP_SIZE = 0x4000000000



def layout(specs: list[ArenaSpec], caches: list[Any], meta: dict[str, int]) -> list[Arena]:
    """The arenas the dump gives, or kdb's defaults, with kstats derived
    from the CACHES (kdb.target.kmem.Cache) that allocate slabs from them
    and kmem's own METADATA by arena (a parent's use is its children's
    totals, imported)."""
    specs_given = bool(specs)
    if not specs:
        specs = [ArenaSpec(n, s) for n, s in DEFAULT_ARENAS]
        specs[0].base, specs[0].size = HEAP_BASE, HEAP_SIZE
        for c in caches:
            if c.spec.arena not in {s.name for s in specs}:
                specs.append(ArenaSpec(c.spec.arena, "kmem_va"))
    out: list[Arena] = []
    by_name: dict[str, Arena] = {}
    seg = VMEM_SEGS
    for i, s in enumerate(specs):
        parent = by_name.get(s.source) if s.source else None
        a = Arena(s, VMEM_ARENAS + i * VMEM_STRIDE, 0, parent, 0, 0, 0, 0, 0)
        out.append(a)
        by_name[s.name] = a
    own = {a.name: [c for c in caches if c.spec.arena == a.name] for a in out}
    for a in reversed(out):                 # children were created after their parents
        slabs = own[a.name]
        inuse = sum(c.slabs * c.slabsize for c in slabs) + (meta.get(a.name, 0) if not specs_given else 0)
        kids = [k for k in out if k.parent is a]
        inuse += sum(k.total for k in kids)
        if a.spec.inuse is not None:
            inuse = a.spec.inuse
        quantum = max(a.spec.quantum, PAGESIZE)
        total = a.spec.size or (-(-inuse // (quantum * 64)) * quantum * 64 if inuse else 0)
        a.inuse, a.total = inuse, max(total, inuse)
        a.imported = a.total if a.parent is not None else 0
        a.alloc = a.spec.alloc if a.spec.alloc is not None else \
            sum(c.slabs for c in slabs) + len(kids) + (1 if meta.get(a.name) else 0)
        a.free = 0
    # segments: a span for the arena, then one allocated segment per slab or child span
    cursor = HEAP_BASE
    for a in out:
        start = a.spec.base or cursor
        if not a.spec.base:
            cursor += -(-a.total // 0x1000000) * 0x1000000 + 0x1000000
        a.seg0 = seg
        a.segs = [(start, start + a.total, 3)] if a.total else []
        for c in own[a.name]:
            for n in range(c.slabs):
                b = c.base + n * c.slabsize
                a.segs.append((b, b + c.slabsize, 1))
        seg += SEG_STRIDE * (len(a.segs) + 1)
    return out
