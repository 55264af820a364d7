"""What triage says about kernel memory: who holds physical memory
(``::memstat``), the caches that hold the heap (``::kmastat``), the leaks a
conservative scan finds (``::findleaks``) and, for a panic that is a kmem
audit failure, the buffer the panic names and who freed it.

A finding, for a dump whose kernel holds most of memory: the heap's
biggest cache and, when leaks account for it, the leaking caller: the
signature of a leak is its cache and the first callers of its allocation
stack (symbol names, no offsets), the same in every dump of the same bug.
"""

from __future__ import annotations

import re
from typing import Any

from kdb.analysis.leaks import find_leaks
from kdb.target.kmem import Kmem, kmem

#: the kernel's share of physical memory above which it "dominates"
KERNEL_DOMINATES = 0.70
#: kmem_error's panic messages (kmem.c kmem_error: "kernel heap corruption detected")
HEAP_CORRUPTION = re.compile(r"kernel heap corruption|buffer freed to wrong cache|duplicate free|"
                             r"modified after being freed|bad free|redzone violation")


def memory_report(dump: Any, target: Any) -> dict[str, Any] | None:
    """The memory section of a triage report; None for a dump without kmem."""
    km = kmem(dump)
    if km is None:
        return None
    pages = km.pages
    physmem = int(dump.globals.get("physmem", pages.physmem or 0)) or 1
    kernel = pages.kernel or 0
    caches = sorted(km.caches, key=lambda c: (-c.slabs * c.slabsize, c.name))
    report: dict[str, Any] = {
        "kernel_pages": kernel, "physmem": physmem, "kernel_percent": kernel * 100 // physmem,
        "top_caches": [{"cache": c.name, "bytes": c.slabs * c.slabsize, "in_use": c.nalloc}
                       for c in caches[:3]],
        "leaks": [], "finding": None, "signature": None}
    heavy = kernel >= KERNEL_DOMINATES * physmem
    message = dump.panic.message if dump.panic is not None else ""
    corrupt = bool(HEAP_CORRUPTION.search(message))
    if heavy or corrupt:
        run = find_leaks(km, dump, target)
        report["leaks"] = [{"cache": lk.cache.name, "count": lk.count, "bytes": lk.count * lk.cache.bufsize,
                            "caller": lk.caller_name or "?",
                            "stack": _names(dump, lk.stack)[:4]} for lk in
                           sorted(run.leaks, key=lambda lk: -lk.count * lk.cache.bufsize)[:5]]
    if heavy:
        top = caches[0] if caches else None
        text = (f"the kernel holds {report['kernel_percent']}% of physical memory; "
                + (f"its biggest cache, {top.name}, holds {top.slabs * top.slabsize >> 20} MB"
                   if top is not None else "no kmem cache accounts for it"))
        leak = report["leaks"][0] if report["leaks"] else None
        if leak is not None and top is not None and leak["bytes"] * 2 >= top.slabs * top.slabsize \
                and leak["cache"] == top.name:
            text += f", {leak['count']} of its buffers leaked from {' < '.join(leak['stack'][:2])}"
            report["signature"] = f"memory leak: {leak['cache']} from {' < '.join(leak['stack'][:3])}"
        else:
            report["signature"] = f"memory: kernel heap in {top.name}" if top is not None else None
        report["finding"] = text
    if corrupt:
        report["corruption"] = _corruption(km, dump)
        c = report["corruption"]
        if c is not None:
            report["signature"] = (f"heap corruption: {c['cache']} freed from {' < '.join(c['freed_by'][:3])}"
                                   if c["freed_by"] else f"heap corruption: {c['cache']}")
    return report


def _names(dump: Any, pcs: Any) -> list[str]:
    out = []
    for pc in pcs:
        sym = dump.symbols.containing(pc)
        if sym is not None and not sym.name.startswith(("kmem_", "vmem_")):
            out.append(sym.name)
    return out


def _corruption(km: Kmem, dump: Any) -> dict[str, Any] | None:
    """The buffer a heap-corruption panic names (``buf=ADDR``, kmem_error),
    else the first freed buffer written after it was freed."""
    text = (dump.panic.message if dump.panic else "") + "\n" + "".join(m.text for m in dump.msgbuf[-64:])
    m = re.search(r"\bbuffer=(?:0x)?([0-9a-f]{6,16})", text)
    want = int(m.group(1), 16) if m else None
    for c in km.caches:
        for g in c.spec.freed:
            if want is not None:
                hit = c.index_of(want)
                if hit is None or not g.first <= hit[0] < g.first + g.count:
                    continue
            elif g.written is None:
                continue
            stack = c.stack(g.first, dump.kmem_pcs.__getitem__)
            return {"cache": c.name, "buffer": f"0x{c.buffer(g.first):x}",
                    "bufctl": f"0x{c.bufctl(g.first):x}" if c.bctl else None,
                    "freed_by": _names(dump, stack[1:]) if c.audit else []}
    return None

