"""The allocator in memory: a ``kmem_cache_t`` per cache (linked in a ring
through cache_next/cache_prev), its slabs' buffers (their words and
buftags), a ``kmem_bufctl_audit_t`` per buffer of a KMF_HASH cache, a
``vmem_t`` per arena with its ``vmem_seg_t`` list (vm_seg0, the rotor, the
span, one allocated segment per slab), and the root variables whose words
head the buffer chains. Every value comes from kdb.target.kmem, as the
dcmds' (dcmds/genunix/kmem.py), so ``::print`` and ``::bufctl`` agree, and
``::findleaks`` and ``::kgrep`` scan what ``/K`` reads.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from kdb.target.ctype import TypeSystem
from kdb.target.images import Strings, compile_encoder, lazily
from kdb.target.vmem import SEG_STRIDE, VMEM_ARENAS, Arena
from kdb.target.kmem import (BUFCTL_SIZE, KMF_BUFTAG, KMF_HASH, Cache, Kmem,
                             kmem)
from kdb.target.memory import AddressSpace
from kdb.target.model import Symbol

VMEM_ROTOR, VMEM_SPAN = 0x20, 0x10      # sys/vmem_impl.h: ALLOC 0x01, FREE 0x02, SPAN 0x10, ROTOR 0x20
SEG_TYPES = {1: 0x01, 2: 0x02, 3: VMEM_SPAN}


def add_kmem_images(sp: AddressSpace, ts: TypeSystem, dump: Any, strings: Strings) -> None:
    km = kmem(dump)
    if km is None:
        return
    enc: dict[int, Callable[[Any], bytes]] = {}
    cache_t, bc_t = ts.lookup("kmem_cache_t"), ts.lookup("kmem_bufctl_audit_t")
    vmem_t, seg_t = ts.lookup("vmem_t"), ts.lookup("vmem_seg_t")
    seg0 = vmem_t.member("vm_seg0")
    assert seg0 is not None
    cache_enc, bc_enc = compile_encoder(cache_t, enc), compile_encoder(bc_t, enc)
    vmem_enc, seg_enc = compile_encoder(vmem_t, enc), compile_encoder(seg_t, enc)
    n = len(km.caches)
    for k, c in enumerate(km.caches):
        nxt, prv = km.caches[(k + 1) % n].addr, km.caches[k - 1].addr
        sp.add(c.addr, cache_t.size, lazily(functools.partial(_encoded, cache_enc, _cache_value, c, nxt, prv)))
        if c.slabs:
            sp.add(c.base, c.slabs * c.slabsize, _buffers(c))
        if c.bctl and c.total:
            sp.add(c.bctl, c.total * BUFCTL_SIZE, _bufctls(c, bc_enc, dump.kmem_pcs))
    for i, a in enumerate(km.arenas):
        sp.add(a.addr, vmem_t.size, lazily(functools.partial(_encoded, vmem_enc, _vmem_value, km, a, i,
                                                             seg0.offset)))
        if a.segs:
            sp.add(a.seg0, SEG_STRIDE * (len(a.segs) + 1), _segments(a, seg_enc, seg0.offset))
    for name, value in km.roots.items():
        sym = dump.symbols.lookup(name)
        if sym is not None and sp.region(sym.addr) is None:
            sp.add_bytes(sym.addr, value.to_bytes(8, "little"))


def place_kmem_roots(dump: Any) -> None:
    """Give each root variable a symbol where the dump declares none (kdb's
    own region): done when the target opens, before any name is looked up."""
    km = kmem(dump)
    if km is None:
        return
    for name, addr in km.root_addrs.items():
        mod, _, var = name.rpartition("`")
        if dump.symbols.lookup(name) is None and dump.symbols.lookup(var) is None:
            dump.symbols.add_data(Symbol(var, addr, 8, "object", mod or "genunix", synthetic=True))
            dump.symbol_types.setdefault(var, "void *")


def _encoded(enc: Callable[[Any], bytes], value: Callable[..., dict[str, Any]], *args: Any) -> bytes:
    return enc(value(*args))


def _cache_value(c: Cache, nxt: int, prv: int) -> dict[str, Any]:
    bt = c.buftag
    return {"cache_name": c.name, "cache_bufsize": c.bufsize, "cache_align": c.spec.align,
            "cache_chunksize": c.chunk, "cache_slabsize": c.slabsize,
            "cache_bufctl": bt + 8 if c.flags & KMF_BUFTAG else bt, "cache_buftag": bt,
            "cache_verify": c.bufsize, "cache_flags": c.flags, "cache_cflags": c.cflags,
            "cache_slab_create": c.slabs, "cache_slab_alloc": c.nalloc + c.nfreed,
            "cache_slab_free": c.nfreed, "cache_alloc_fail": c.spec.fail, "cache_buftotal": c.total,
            "cache_bufmax": c.total, "cache_bufslab": c.total - c.nalloc, "cache_maxchunks": c.per_slab,
            "cache_arena": c.arena.addr if c.arena is not None else 0,
            "cache_next": nxt, "cache_prev": prv, "cache_hash_mask": 0 if not c.flags & KMF_HASH else 0x3FF}


def _buffers(c: Cache) -> Callable[[int, int], bytes]:
    """A cache's slabs, made a chunk at a time as they are read."""
    def produce(off: int, n: int) -> bytes:
        out = bytearray()
        a, end = c.base + off, c.base + off + n
        while a < end:
            hit = c.index_of(a)
            if hit is None:             # slab padding past the last chunk
                s_end = c.base + ((a - c.base) // c.slabsize + 1) * c.slabsize
                take = min(end, s_end) - a
                out += bytes(take)
                a += take
                continue
            i, o = hit
            data = c.contents(i)
            take = min(end - a, c.chunk - o)
            out += data[o:o + take]
            a += take
        return bytes(out)
    return produce


def _bufctls(c: Cache, enc: Callable[[Any], bytes], pcs: dict[str, int]) -> Callable[[int, int], bytes]:
    def produce(off: int, n: int) -> bytes:
        out = bytearray()
        first, last = off // BUFCTL_SIZE, (off + n - 1) // BUFCTL_SIZE
        for i in range(first, last + 1):
            out += enc(bufctl_value(c, i, pcs))
        skip = off - first * BUFCTL_SIZE
        return bytes(out[skip:skip + n])
    return produce


def bufctl_value(c: Cache, i: int, pcs: dict[str, int]) -> dict[str, Any]:
    """Buffer I's kmem_bufctl_audit_t: its last transaction when audited."""
    v: dict[str, Any] = {"bc_addr": c.buffer(i), "bc_cache": c.addr,
                         "bc_slab": c.base + (i // c.per_slab) * c.slabsize}
    if c.audit:
        gk = c.group_of(i)
        stack = c.stack(i, pcs.__getitem__)
        v.update({"bc_timestamp": c.timestamp(i), "bc_thread": gk[0].thread if gk else 0,
                  "bc_depth": len(stack), "bc_stack": stack})
    return v


def _vmem_value(km: Kmem, a: Arena, i: int, seg0_off: int) -> dict[str, Any]:
    nxt = km.arenas[i + 1].addr if i + 1 < len(km.arenas) else 0
    first = a.seg0 if a.segs else a.addr + seg0_off
    last = a.seg0 + SEG_STRIDE * len(a.segs) if a.segs else a.addr + seg0_off
    return {"vm_name": a.name, "vm_cflags": 0x00400000 if a.spec.identifier else 0, "vm_id": i,
            "vm_quantum": a.spec.quantum, "vm_source": a.parent.addr if a.parent else 0, "vm_next": nxt,
            "vm_seg0": {"vs_anext": first, "vs_aprev": last},
            "vm_kstat": {"vk_mem_inuse": a.inuse, "vk_mem_import": a.imported, "vk_mem_total": a.total,
                         "vk_source_id": a.parent.addr - VMEM_ARENAS if a.parent else 0,
                         "vk_alloc": a.alloc, "vk_free": a.free, "vk_fail": a.spec.fail}}


def _segments(a: Arena, enc: Callable[[Any], bytes], seg0_off: int) -> Callable[[int, int], bytes]:
    head = a.addr + seg0_off

    def one(k: int) -> bytes:
        addrs = a.seg0 + SEG_STRIDE * k
        nxt = addrs + SEG_STRIDE if k < len(a.segs) else head
        prv = addrs - SEG_STRIDE if k else head
        if k == 0:
            v = {"vs_type": VMEM_ROTOR}
        else:
            start, end, kind = a.segs[k - 1]
            v = {"vs_start": start, "vs_end": end, "vs_type": SEG_TYPES[kind]}
        v.update({"vs_anext": nxt, "vs_aprev": prv})
        data = enc(v)
        return data + bytes(SEG_STRIDE - len(data))

    def produce(off: int, n: int) -> bytes:
        first, last = off // SEG_STRIDE, (off + n - 1) // SEG_STRIDE
        out = b"".join(one(k) for k in range(first, last + 1))
        skip = off - first * SEG_STRIDE
        return out[skip:skip + n]
    return produce


def seg_holding(a: Arena, value: int, seg0_off: int) -> list[int]:
    """The addresses of the words of A's segment list (the _segments layout:
    vs_start 0, vs_end 8, vs_anext 0x20, vs_aprev 0x28) equal to VALUE."""
    if not a.segs or not value:
        return []
    out: list[int] = []
    head = a.addr + seg0_off
    last = len(a.segs)
    for k, (start, end, _) in enumerate(a.segs, 1):
        seg = a.seg0 + SEG_STRIDE * k
        if start == value:
            out.append(seg)
        if end == value:
            out.append(seg + 8)
    if a.seg0 <= value <= a.seg0 + SEG_STRIDE * last and (value - a.seg0) % SEG_STRIDE == 0:
        j = (value - a.seg0) // SEG_STRIDE
        if j > 0:
            out.append(a.seg0 + SEG_STRIDE * (j - 1) + 0x20)
        if j < last:
            out.append(a.seg0 + SEG_STRIDE * (j + 1) + 0x28)
    if value == head:
        out += [a.seg0 + SEG_STRIDE * last + 0x20, a.seg0 + 0x28]
    return sorted(out)
