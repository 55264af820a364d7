"""The ``kmem`` section of a dump (docs/dump-format.md): kmem caches with
their buffers in groups, optional vmem arenas and page counts. Checked here
with the JSON path and rule of the first fault; expanded by kdb.target.kmem."""

from __future__ import annotations

import re
from typing import Any, Callable

from kdb.target.vmem import ArenaSpec
from kdb.target.kmem import (CFLAG_NAMES, FLAG_NAMES, KMEM_STACK_DEPTH, REGION_CAP,
                             BufGroup, CacheSpec, KmemSpec, Pages, _flags, _slab)

from .checks import DumpError, address, boolean, integer, location, lst, obj, text

KMEM_KEYS = frozenset({"caches", "vmem", "pages"})
CACHE_KEYS = frozenset({"name", "size", "flags", "cflags", "arena", "align", "free", "fail",
                        "allocated", "freed"})
GROUP_KEYS = frozenset({"count", "stack", "thread", "time", "every", "root", "written"})
ARENA_KEYS = frozenset({"name", "source", "base", "size", "inuse", "alloc", "fail", "quantum",
                        "identifier"})
PAGES_KEYS = frozenset({"kernel", "boot", "zfs", "anon", "exec", "page_cache", "cachelist",
                        "physmem", "total"})
#: a cache or arena name: what kmem_cache_create and vmem_create take (31 characters)
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.:-]{0,30}")
#: a root variable: a C identifier, optionally module-qualified
ROOT = re.compile(r"(?:[A-Za-z_][A-Za-z0-9_.]*`)?[A-Za-z_][A-Za-z0-9_]*")
MAX_BUFFERS = 1 << 24


def parse_kmem(v: Any, want: Callable[[Any], None], threads: set[int]) -> KmemSpec | None:
    """The section, or None when the dump has none. WANT registers each code
    location a stack names; THREADS are the dump's thread addresses."""
    if v is None:
        return None
    d = obj(v, "$.kmem", KMEM_KEYS)
    caches: list[CacheSpec] = []
    names: dict[str, str] = {}
    total = 0
    for i, c in enumerate(lst(d.get("caches", []), "$.kmem.caches")):
        p = f"$.kmem.caches[{i}]"
        cs = _cache(c, p, want, threads)
        if cs.name in names:
            raise DumpError(f"{p}.name", f"duplicate cache name {cs.name!r} (also {names[cs.name]})")
        names[cs.name] = p
        n = sum(g.count for g in cs.allocated) + sum(g.count for g in cs.freed) + cs.free
        total += n
        if total > MAX_BUFFERS:
            raise DumpError(p, f"more than {MAX_BUFFERS} buffers in all caches")
        _, _, chunk = _flags(cs, 0xF)
        size, per = _slab(chunk, True)
        if -(-n // max(per, 1)) * size > REGION_CAP // 16:
            raise DumpError(p, "the cache's slabs would take more than 4 GiB")
        caches.append(cs)
    if len(caches) > 4096:
        raise DumpError("$.kmem.caches", "more than 4096 caches")
    arenas: list[ArenaSpec] = []
    seen: dict[str, str] = {}
    for i, a in enumerate(lst(d.get("vmem", []), "$.kmem.vmem")):
        p = f"$.kmem.vmem[{i}]"
        ad = obj(a, p, ARENA_KEYS, ("name",))
        name = _name(ad["name"], f"{p}.name")
        if name in seen:
            raise DumpError(f"{p}.name", f"duplicate arena name {name!r} (also {seen[name]})")
        source = ad.get("source")
        if source is not None:
            source = text(source, f"{p}.source")
            if source not in seen:
                raise DumpError(f"{p}.source", f"{source!r} is not an arena listed before this one "
                                "(an arena imports from one created earlier)")
        seen[name] = p
        arenas.append(ArenaSpec(
            name, source, address(ad.get("base", 0), f"{p}.base"),
            integer(ad.get("size", 0), f"{p}.size", 0, 1 << 62),
            integer(ad["inuse"], f"{p}.inuse", 0, 1 << 62) if "inuse" in ad else None,
            integer(ad["alloc"], f"{p}.alloc", 0, 1 << 62) if "alloc" in ad else None,
            integer(ad.get("fail", 0), f"{p}.fail", 0, 1 << 62),
            integer(ad.get("quantum", 4096), f"{p}.quantum", 1, 1 << 30),
            boolean(ad.get("identifier", False), f"{p}.identifier")))
        if arenas[-1].quantum & (arenas[-1].quantum - 1):
            raise DumpError(f"{p}.quantum", "a quantum is a power of 2")
    if arenas:
        for i, cs in enumerate(caches):
            if cs.arena not in seen:
                raise DumpError(f"$.kmem.caches[{i}].arena", f"{cs.arena!r} is not an arena of $.kmem.vmem")
    pages = None
    if "pages" in d:
        pd = obj(d["pages"], "$.kmem.pages", PAGES_KEYS)
        vals = {k: integer(pd[k], f"$.kmem.pages.{k}", 0, 1 << 40) for k in pd if not k.startswith("x_")}
        pages = Pages(**vals)
        if pages.physmem is not None and pages.total is not None and pages.total < pages.physmem:
            raise DumpError("$.kmem.pages.total", "total (the pages installed) is less than physmem")
    return KmemSpec(caches, arenas, pages)


def _name(v: Any, path: str) -> str:
    s = text(v, path)
    if not NAME.fullmatch(s):
        raise DumpError(path, f"{s[:40]!r} is not a cache or arena name (a letter or _, then "
                              "letters, digits, _ . : -; at most 31 characters)")
    return s


def _cache(c: Any, p: str, want: Callable[[Any], None], threads: set[int]) -> CacheSpec:
    d = obj(c, p, CACHE_KEYS, ("name", "size"))
    name = _name(d["name"], f"{p}.name")
    size = integer(d["size"], f"{p}.size", 1, 1 << 24)
    flags = None
    if "flags" in d:
        flags = [_flag(f, f"{p}.flags[{j}]", FLAG_NAMES) for j, f in enumerate(lst(d["flags"], f"{p}.flags"))]
    cflags = [_flag(f, f"{p}.cflags[{j}]", CFLAG_NAMES)
              for j, f in enumerate(lst(d.get("cflags", []), f"{p}.cflags"))]
    align = integer(d.get("align", 8), f"{p}.align", 1, 4096)
    if align & (align - 1):
        raise DumpError(f"{p}.align", "an alignment is a power of 2")
    allocated = [_group(g, f"{p}.allocated[{j}]", want, threads, False)
                 for j, g in enumerate(lst(d.get("allocated", []), f"{p}.allocated"))]
    freed = [_group(g, f"{p}.freed[{j}]", want, threads, True)
             for j, g in enumerate(lst(d.get("freed", []), f"{p}.freed"))]
    for j, g in enumerate(freed):
        if g.written is not None and g.written[0] + 8 > size:
            raise DumpError(f"{p}.freed[{j}].written.offset", f"offset {g.written[0]} is past the "
                                                               f"{size}-byte buffer")
    return CacheSpec(name, size, flags, cflags, text(d.get("arena", "kmem_default"), f"{p}.arena"),
                     align, integer(d.get("free", 0), f"{p}.free", 0, MAX_BUFFERS),
                     integer(d.get("fail", 0), f"{p}.fail", 0, 1 << 40), allocated, freed)


def _flag(v: Any, path: str, names: dict[str, int]) -> str:
    s = text(v, path)
    if s not in names:
        raise DumpError(path, f"{s[:40]!r} is not one of {', '.join(names)}")
    return s


def _group(g: Any, p: str, want: Callable[[Any], None], threads: set[int], freed: bool) -> BufGroup:
    d = obj(g, p, GROUP_KEYS, ("count",))
    stack = []
    for k, loc in enumerate(lst(d.get("stack", []), f"{p}.stack")):
        pc = location(loc, f"{p}.stack[{k}]")
        want(pc)
        stack.append(pc)
    if len(stack) > KMEM_STACK_DEPTH - 2:
        raise DumpError(f"{p}.stack", f"more than {KMEM_STACK_DEPTH - 2} callers (KMEM_STACK_DEPTH "
                                      "is 15, kmem's own frames take two)")
    thread = address(d.get("thread", 0), f"{p}.thread")
    if thread and thread not in threads:
        raise DumpError(f"{p}.thread", f"0x{thread:x} is not a thread of this dump")
    root = None
    if "root" in d:
        if freed:
            raise DumpError(f"{p}.root", "freed buffers are in no chain")
        root = text(d["root"], f"{p}.root")
        if not ROOT.fullmatch(root) or len(root) > 64:
            raise DumpError(f"{p}.root", f"{root[:40]!r} is not a variable name (name or mod`name)")
    written = None
    if "written" in d:
        if not freed:
            raise DumpError(f"{p}.written", "only freed buffers record a write after free")
        wd = obj(d["written"], f"{p}.written", frozenset({"offset", "value"}), ("offset", "value"))
        off = integer(wd["offset"], f"{p}.written.offset", 0, 1 << 24)
        if off % 8:
            raise DumpError(f"{p}.written.offset", "a written word is 8-byte aligned")
        written = (off, address(wd["value"], f"{p}.written.value"))
    return BufGroup(integer(d["count"], f"{p}.count", 0, MAX_BUFFERS), stack, thread,
                    integer(d["time"], f"{p}.time", 0, 1 << 62) if "time" in d else None,
                    integer(d.get("every", 1000), f"{p}.every", 0, 1 << 40), root, written)
