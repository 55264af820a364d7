"""The kmem allocator: ``::kmem_cache``, ``::kmastat``, ``::bufctl``,
``::kmem_verify`` and ``::whatthread``, and the ``kmem_cache``, ``kmem``,
``freemem``, ``bufctl`` and ``freectl`` walkers plus one walker per cache
(kmem.c kmem_init_walkers), over kdb.target.kmem. Layouts from illumos
usr/src/cmd/mdb/common/modules/genunix/kmem.c (kmem_cache, bufctl,
kmem_verify, whatthread; the 2012 file, "Copyright (c) 2012 by Delphix")
and genunix.c (kmastat, per era: the 2008 file has no -k -m -g and prints
memory without a unit)."""

from __future__ import annotations

from typing import Any, Iterator

from kdb.errors import CmdError
from kdb.modapi import ADDR, DCMD_ERR, DCMD_OK, DCMD_USAGE, INT, STR, Call, Module, Opt, Walk, Walker
from kdb.target.kmem import (BUFTAG_ALLOC, BUFTAG_FREE, FREE_PATTERN, KMC_NOTOUCH, KMF_DEADBEEF, KMF_REDZONE,
                             KMEM_STACK_DEPTH, REDZONE_PATTERN, Cache, Kmem, kmem)
from kdb.target.vmem import SEG_STRIDE
from kdb.target.memory import stack_words

from .._kernel import kdump, read_struct, stack_active, whatis_head

module = Module("genunix", targets=("kernel",))

KMEM_CACHE_NAMELEN = 31      # sys/kmem_impl.h

module.record("kmem_cache", {"addr": ADDR, "name": STR, "flag": INT, "cflag": INT, "bufsize": INT,
                             "buftotal": INT})
module.record("kmastat", {"name": STR, "bufsize": INT, "inuse": INT, "buftotal": INT, "memory": INT,
                          "allocs": INT, "fails": INT})
module.record("bufctl", {"addr": ADDR, "bufaddr": ADDR, "timestamp": INT, "thread": ADDR, "cache": ADDR,
                         "caller": STR, "stack": [STR]})


def kmem_of(call: Call | Walk) -> Kmem:
    """The dump's allocator, or mdb's answer on a dump without one."""
    km = kmem(kdump(call))
    if km is None:
        raise CmdError("couldn't find kmem_caches: the dump has no kmem section")
    return km


def cache_at(call: Call | Walk, addr: int) -> Cache:
    c = kmem_of(call).cache_by_addr.get(addr)
    if c is None:
        raise CmdError(f"couldn't read kmem_cache at {addr:x}")
    return c


# ---------------------------------------------------------------------------
# walkers
@module.walker("kmem_cache", "walk list of kmem caches")
def walk_kmem_cache(walk: Walk) -> Iterator[int]:
    return (c.addr for c in kmem_of(walk).caches)


def _cache_arg(walk: Walk, what: str) -> Cache:
    if not walk.addr:
        raise CmdError(f"{what} doesn't support global walks")
    return cache_at(walk, walk.addr)


@module.walker("kmem", "walk a kmem cache")
def walk_kmem(walk: Walk) -> Iterator[int]:
    """The cache's allocated buffers, in slab order."""
    c = _cache_arg(walk, "kmem walk")
    return (c.buffer(i) for i in range(c.nalloc))


@module.walker("freemem", "walk a kmem cache's free memory")
def walk_freemem(walk: Walk) -> Iterator[int]:
    c = _cache_arg(walk, "kmem walk")
    return (c.buffer(i) for i in range(c.nalloc, c.total))


@module.walker("bufctl", "walk a kmem cache's bufctls")
def walk_bufctl(walk: Walk) -> Iterator[int]:
    """The allocated buffers' bufctls; none in a cache without KMF_HASH
    (kmem_walk_init_common: "bufctl requested, not KMF_HASH")."""
    c = _cache_arg(walk, "kmem walk")
    return (c.bufctl(i) for i in range(c.nalloc)) if c.bctl else iter(())


@module.walker("freectl", "walk a kmem cache's free bufctls")
def walk_freectl(walk: Walk) -> Iterator[int]:
    c = _cache_arg(walk, "kmem walk")
    return (c.bufctl(i) for i in range(c.nalloc, c.total)) if c.bctl else iter(())


@module.walker_family
def cache_walkers(session: Any) -> dict[str, Walker]:
    """kmem_init_walkers: a walker named after each cache, "walk the NAME cache"."""
    dump = session.target.dump if session.target is not None else None
    km = kmem(dump) if dump is not None and hasattr(dump, "kmem_spec") else None
    if km is None:
        return {}
    out: dict[str, Walker] = {}
    for c in km.caches:
        def func(walk: Walk, c: Cache = c) -> Iterator[int]:
            return (c.buffer(i) for i in range(c.nalloc))
        out[c.name] = Walker(c.name, f"walk the {c.name} cache", func, module)
    return out


# ---------------------------------------------------------------------------
@module.dcmd("kmem_cache", "?", "print kernel memory caches",
             help="Print the kmem caches: address, name, state flags (FLAG), creation\n"
                  "flags (CFLAG), buffer size and the buffers in the cache.",
             options=[Opt("n", str, "name of kmem cache (or matching partial name)", arg="name")])
def kmem_cache(call: Call) -> int | None:
    era = call.session.target.era
    if era == "opensolaris" and call.opts["n"] is not None:
        return DCMD_USAGE           # the 2007 kmem.c takes no options
    addrs = [call.addr] if call.addrspec else [c.addr for c in kmem_of(call).caches]
    first = True
    for addr in addrs:
        header = call.hdrspec if call.addrspec else first
        first = False
        if header and not call.pipe_out:
            call.printf("%-?s %-25s %4s %6s %8s %8s\n", "ADDR", "NAME", "FLAG", "CFLAG", "BUFSIZE", "BUFTOTL")
        c = read_struct(call, "kmem_cache_t", addr, "kmem_cache")
        name = c["cache_name"].split(b"\0", 1)[0].decode("latin-1")
        if call.opts["n"] is not None and call.opts["n"] not in name:
            continue
        if call.pipe_out:
            call.push(addr)
            continue
        rec = {"addr": addr, "name": name, "flag": c["cache_flags"] & 0xFFFFFFFF,
               "cflag": c["cache_cflags"] & 0xFFFFFFFF, "bufsize": c["cache_bufsize"],
               "buftotal": c["cache_buftotal"]}
        call.emit("kmem_cache", rec, lambda cl, r: cl.printf(
            "%0?p %-25s %04x %06x %8ld %8lld\n", r["addr"], r["name"], r["flag"], r["cflag"],
            r["bufsize"], r["buftotal"]))
    return None


# ---------------------------------------------------------------------------
#: genunix.c kmemfmt and vmemfmt: (header 1, header 2, dashes) per column;
#: the memory columns per era (2008: "%9u", no unit; later "%10lu%c")
KMEMFMT = [("cache                    ", "name                     ", "-------------------------"),
           ("   buf", "  size", "------"), ("   buf", "in use", "------"), ("   buf", " total", "------"),
           ("   memory", "   in use", "----------"), ("    alloc", "  succeed", "---------"),
           ("alloc", " fail", "-----")]
VMEMFMT = [("vmem                     ", "name                     ", "-------------------------"),
           ("   memory", "   in use", "----------"), ("    memory", "     total", "-----------"),
           ("   memory", "   import", "----------"), ("    alloc", "  succeed", "---------"),
           ("alloc", " fail", "-----")]
OLD_DASHES = {4: "---------"}                                   # kmemfmt's memory column, 2008
OLD_VDASHES = {1: "---------", 2: "----------", 3: "---------"}  # vmemfmt's, 2008


def _rows(fmt: list[tuple[str, str, str]], old: dict[int, str] | None) -> list[str]:
    dashes = [old.get(i, d) if old is not None else d for i, (_, _, d) in enumerate(fmt)]
    return ["".join(h[0] + " " for h in fmt), "".join(h[1] + " " for h in fmt),
            "".join(d + " " for d in dashes)]


@module.dcmd("kmastat", None, "kernel memory allocator stats",
             help="Print each kmem cache's buffers and memory, the totals of each vmem\n"
                  "arena the caches allocate from, then every vmem arena's use.",
             options=[Opt("k", bool, "display sizes in kilobytes"),
                      Opt("m", bool, "display sizes in megabytes"),
                      Opt("g", bool, "display sizes in gigabytes")])
def kmastat(call: Call) -> int | None:
    old = call.session.target.era == "opensolaris"
    o = call.opts
    if old and (o["k"] or o["m"] or o["g"]):
        return DCMD_USAGE           # the 2008 genunix.c: "if (argc != 0) return (DCMD_USAGE)"
    if call.args:
        return DCMD_USAGE
    km = kmem_of(call)
    # MDB_OPT_SETBITS into one word: the options or together (KILOS 10, MEGS 20, GIGS 30)
    shift = (10 if o["k"] else 0) | (20 if o["m"] else 0) | (30 if o["g"] else 0)
    unit = {30: "G", 20: "M", 10: "K"}.get(shift, "B")
    kheads = _rows(KMEMFMT, OLD_DASHES if old else None)
    vheads = _rows(VMEMFMT, OLD_VDASHES if old else None)
    for line in kheads:
        call.printf("%s\n", line)
    totals: dict[int, list[int]] = {}
    for c in km.caches:
        inuse_mem = c.slabs * c.slabsize
        allocs = c.nalloc + c.nfreed
        t = totals.setdefault(c.arena.addr if c.arena else 0, [0, 0, 0])
        t[0] += inuse_mem
        t[1] += allocs
        t[2] += c.spec.fail
        rec = {"name": c.name, "bufsize": c.bufsize, "inuse": c.nalloc, "buftotal": c.total,
               "memory": inuse_mem, "allocs": allocs, "fails": c.spec.fail}

        def render(cl: Call, r: dict[str, Any]) -> None:
            mem = "%9u " % r["memory"] if old else "%10lu%s " % (r["memory"] >> shift, unit)
            cl.printf("%s\n", "%-25s %6u %6u %6u %s%9u %5u " % (
                r["name"], r["bufsize"], r["inuse"], r["buftotal"], mem, r["allocs"] & 0xFFFFFFFF,
                r["fails"] & 0xFFFFFFFF))
        call.emit("kmastat", rec, render)
    call.printf("%s\n", kheads[2])
    for a in km.prefix():
        tot = totals.get(a.addr)
        if tot is None or tot[1] == 0:
            continue
        if old:
            call.printf("%s\n", "Total [%s]%s %6s %6s %6s %9u %9u %5u" % (
                a.name, " " * max(0, 17 - len(a.name)), "", "", "", tot[0] & 0xFFFFFFFF, tot[1], tot[2]))
        else:
            call.printf("%s\n", "Total [%s]%s %6s %6s %6s %10lu%s %9u %5u" % (
                a.name, " " * (17 - min(17, len(a.name))), "", "", "", tot[0] >> shift, unit, tot[1], tot[2]))
    call.printf("%s\n\n", kheads[2])
    for line in vheads:
        call.printf("%s\n", line)
    for a in km.prefix():
        depth, p = 0, a.parent
        while p is not None:
            depth, p = depth + 4, p.parent
        if old:
            cols = "%9u %10u %9u " % (a.inuse, a.total, a.imported)
        else:
            cols = "%9u%s %10u%s %9u%s " % (a.inuse >> shift, unit, a.total >> shift, unit,
                                             a.imported >> shift, unit)
        call.printf("%s\n", "%s%-*s %s%9u %5u " % (" " * depth, 25 - depth, a.name, cols, a.alloc, a.spec.fail))
    call.printf("%s\n", vheads[2])
    return None


# ---------------------------------------------------------------------------
_BUFCTL_HELP = ("Display the contents of kmem_bufctl_audit_ts, with optional filtering.\n"
                "  -v    Display the full content of the bufctl, including its stack trace\n"
                "  -h    retrieve the bufctl's transaction history, if available\n"
                "  -a addr\n        filter out bufctls not involving the buffer at addr\n"
                "  -c caller\n        filter out bufctls without the function/PC in their stack trace\n"
                "  -e earliest\n        filter out bufctls timestamped before earliest\n"
                "  -l latest\n        filter out bufctls timestamped after latest\n"
                "  -t thread\n        filter out bufctls not involving thread")


@module.dcmd("bufctl", ":",
             "print or filter a bufctl", help=_BUFCTL_HELP,
             options=[Opt("v", bool, "display the full content of the bufctl, with its stack trace"),
                      Opt("h", bool, "retrieve the bufctl's transaction history (kdb keeps the last one)"),
                      Opt("a", int, "filter out bufctls not involving the buffer at addr", arg="addr"),
                      Opt("c", int, "filter out bufctls without the function/PC in their stack trace",
                          arg="caller"),
                      Opt("e", int, "filter out bufctls timestamped before earliest", arg="earliest"),
                      Opt("l", int, "filter out bufctls timestamped after latest", arg="latest"),
                      Opt("t", int, "filter out bufctls not involving thread", arg="thread")])
def bufctl(call: Call) -> int | None:
    if not call.addrspec:
        return DCMD_USAGE
    o = call.opts
    verbose = o["v"]
    if call.hdrspec and not call.pipe_out:
        if verbose:
            call.printf("%16s %16s %16s %16s\n%<u>%16s %16s %16s %16s%</u>\n",
                        "ADDR", "BUFADDR", "TIMESTAMP", "THREAD", "", "CACHE", "LASTLOG", "CONTENTS")
        else:
            call.printf("%<u>%-?s %-?s %-12s %-?s %s%</u>\n", "ADDR", "BUFADDR", "TIMESTAMP", "THREAD", "CALLER")
    bc = read_struct(call, "kmem_bufctl_audit_t", call.addr, "bufctl")
    depth = max(0, min(bc["bc_depth"], KMEM_STACK_DEPTH))
    raw = bc["bc_stack"]
    stack = [int.from_bytes(raw[8 * k:8 * k + 8], "little") for k in range(depth)]
    if o["c"] is not None:
        lo, hi = o["c"], o["c"] + 8
        sym = kdump(call).symbols.containing(o["c"])
        if sym is not None and sym.addr == o["c"]:
            lo, hi = sym.addr, sym.addr + sym.size
        if not any(lo <= pc < hi for pc in stack):
            return DCMD_OK
    if o["t"] is not None and bc["bc_thread"] != o["t"]:
        return DCMD_OK
    if o["e"] and bc["bc_timestamp"] < o["e"]:
        return DCMD_OK
    if o["l"] and bc["bc_timestamp"] > o["l"]:
        return DCMD_OK
    if o["a"] and bc["bc_addr"] != o["a"]:
        return DCMD_OK
    if call.pipe_out:
        call.push(call.addr)
        return DCMD_OK
    caller = next((pc for pc in stack if not _is_kmem(call, pc)), None)
    rec = {"addr": call.addr, "bufaddr": bc["bc_addr"], "timestamp": bc["bc_timestamp"],
           "thread": bc["bc_thread"], "cache": bc["bc_cache"],
           "caller": call.session.addr2str(caller) if caller is not None else "",
           "stack": [call.session.addr2str(pc) or f"{pc:x}" for pc in stack]}

    def render(c: Call, r: dict[str, Any]) -> None:
        if verbose:
            c.printf("%<b>%16p%</b> %16p %16llx %16p\n%16s %16p %16p %16p\n",
                     r["addr"], r["bufaddr"], r["timestamp"], r["thread"], "", r["cache"],
                     bc["bc_lastlog"], bc["bc_contents"])
            for pc in stack:
                c.printf("%*s%a\n", 17, "", pc)
            c.printf("\n")
        else:
            c.printf("%0?p %0?p %12llx %0?p", r["addr"], r["bufaddr"], r["timestamp"], r["thread"])
            c.printf(" %a\n", caller) if caller is not None else c.printf("\n")
    call.emit("bufctl", rec, render)
    return DCMD_OK


def _is_kmem(call: Call, pc: int) -> bool:
    """bufctl's caller skips frames in functions named kmem_*."""
    sym = kdump(call).symbols.containing(pc)
    return sym is None or sym.name.startswith("kmem_")


# ---------------------------------------------------------------------------
def whatis_kmem(call: Call, addr: int, quiet: bool) -> list[tuple[str, str | None]]:
    """kmem.c's ::whatis handlers for ADDR: the kmem caches (those that touch
    their buffers, then the metadata caches, then KMC_NOTOUCH ones), each's
    allocated then freed buffers; then the vmem arenas' allocated and free
    segments, children before parents. Each report is a line and, for an
    audited cache (or a vmem segment) unless QUIET, the dcmd whose verbose
    output follows it (whatis_call_printer's ":" then ``::bufctl -v``)."""
    km = kmem(kdump(call))
    if km is None:
        return []
    era = call.session.target.era
    out: list[tuple[str, str | None]] = []
    # whatis_run_kmem visits the caches that touch their buffers, then the
    # metadata caches, then KMC_NOTOUCH ones; their slabs never overlap, so
    # the one cache whose slabs hold ADDR is the only one that can answer
    c = km.cache_of(addr)
    hit = c.index_of(addr) if c is not None else None
    if c is not None and hit is not None and hit[1] < c.bufsize:
        i = hit[0]
        head = whatis_head(era, addr, c.buffer(i))
        state = "allocated" if i < c.nalloc else "freed"
        printer = not quiet and c.audit and bool(c.bctl)
        if c.bctl and not printer and c.audit:
            head += f"bufctl {c.bufctl(i):x} "
        if printer:
            out.append((f"{head}{state} from {c.name}:", f"{c.bufctl(i):x}::bufctl -v\n"))
        else:
            out.append((f"{head}{state} from {c.name}", None))
    for a in km.postfix():          # whatis_run_vmem walks vmem_postfix
        for k, (start, end, kind) in enumerate(a.segs):
            if kind not in (1, 2) or not start <= addr < end:
                continue
            seg = a.seg0 + SEG_STRIDE * (k + 1)
            head = whatis_head(era, addr, start)
            if quiet:
                head += f"vmem_seg {seg:x} "
            text = f"{head}{'allocated' if kind == 1 else 'freed'} from the {a.name} vmem arena"
            out.append((text + ("" if quiet else ":"), None if quiet else f"{seg:x}::vmem_seg -v\n"))
    return out


# ---------------------------------------------------------------------------
@module.dcmd("kmem_verify", "?", "check integrity of kmem-managed memory",
             help="Check every buffer of a cache with redzone checking (KMF_REDZONE):\n"
                  "allocated buffers' redzones and buftags, free buffers' 0xdeadbeef\n"
                  "pattern (KMF_DEADBEEF). Without an address, one line per cache.")
def kmem_verify(call: Call) -> int | None:
    km = kmem_of(call)
    if not call.addrspec:
        call.printf("%<u>%-*s %-?s %-20s%</b>\n", KMEM_CACHE_NAMELEN, "Cache Name", "Addr", "Cache Integrity")
        for c in km.caches:
            _verify(call, c, table=True)
        return DCMD_OK
    return _verify(call, cache_at(call, call.addr), table=call.loop)


def _verify(call: Call, c: Cache, table: bool) -> int:
    """kmem.c kmem_verify: verify_alloc over the kmem walk, verify_free over freemem."""
    if not c.flags & KMF_REDZONE:
        if not table:
            call.warn(f"cache {c.addr:x} ({c.name}) does not have redzone checking enabled")
        return DCMD_ERR
    target = call.session.target
    bad = 0
    if not table:
        call.printf("Summary for cache '%s'\n", c.name)
    out: list[str] = []

    def buftag(data: bytes) -> tuple[int, int, int]:
        """bt_redzone, bt_bufctl, bt_bxstat of a chunk (kmem_buftag_t)."""
        bt = c.buftag
        return (int.from_bytes(data[bt:bt + 8], "little"), int.from_bytes(data[bt + 8:bt + 16], "little"),
                int.from_bytes(data[bt + 16:bt + 24], "little"))
    for i in range(c.nalloc):
        addr = c.buffer(i)
        redzone, bctl, bx = buftag(target.read(addr, c.chunk))
        if redzone != REDZONE_PATTERN:
            out.append(f"buffer {addr:x} (allocated) has a corrupt redzone size encoding")
        elif bx != bctl ^ BUFTAG_ALLOC:
            out.append(f"buffer {addr:x} (allocated) has a corrupt buftag")
        else:
            continue
        bad += 1
    if c.flags & KMF_DEADBEEF:
        pat = FREE_PATTERN.to_bytes(8, "little")
        for i in range(c.nalloc, c.total):
            addr = c.buffer(i)
            data = target.read(addr, c.chunk)
            off = next((k for k in range(0, c.bufsize - 7, 8) if data[k:k + 8] != pat), None)
            if off is not None:
                out.append(f"buffer {addr:x} (free) seems corrupted, at {addr + off:x}")
                bad += 1
                continue
            redzone, bctl, bx = buftag(data)
            if redzone != REDZONE_PATTERN:
                out.append(f"buffer {addr:x} (free) seems to have a corrupt redzone pattern")
                bad += 1
            elif bx != bctl ^ BUFTAG_FREE:
                out.append(f"buffer {addr:x} (free) has a corrupt buftag")
                bad += 1
    if table:
        if bad == 0:
            call.printf("%-*s %?p clean\n", KMEM_CACHE_NAMELEN, c.name, c.addr)
        else:
            call.printf("%-*s %?p %d corrupt buffer%s\n", KMEM_CACHE_NAMELEN, c.name, c.addr, bad, "s" if bad > 1 else "")
        return DCMD_OK
    for line in out:
        call.printf("  %s\n", line)
    if bad == 0:
        call.printf("  clean\n")
    return DCMD_OK


# ---------------------------------------------------------------------------
@module.dcmd("whatthread", ":", "print the threads whose stacks contain the given address",
             help="Search every thread's stack for the value (a pointer) and print the\n"
                  "threads that hold it; with -v, where in each stack.",
             options=[Opt("v", bool, "print each place the value is found")])
def whatthread(call: Call) -> int | None:
    if not call.addrspec:
        return DCMD_USAGE
    dump = kdump(call)
    want = call.addr
    for t in dump.threads:
        if not t.frames or t.sp is None:
            continue
        # the stack's words as memory holds them (kdb.target.memory.stack_words)
        for where, value in sorted(stack_words(t.frames, t.sp).items()):
            if value != want:
                continue
            if call.opts["v"]:
                call.printf("%p in thread %p's stack%s\n", where, t.addr, stack_active(t, where))
            elif call.pipe_out:
                call.push(t.addr)
                break
            else:
                call.printf("%#lr\n", t.addr)
                break
    return DCMD_OK

