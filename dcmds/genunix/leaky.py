"""``::findleaks`` and the ``leak`` and ``leakbuf`` walkers (illumos leaky.c,
and leaky_subr.c for the kernel's kmem), over kdb.analysis.leaks. The leak
table is kept in the session between runs, as leaky.c keeps it (``-f``
throws it away)."""

from __future__ import annotations

from typing import Any, Callable, Iterator

from kdb.analysis.leaks import TYPE_CACHE, Leak, LeakRun, find_leaks
from kdb.errors import CmdError
from kdb.modapi import ADDR, DCMD_ERR, DCMD_OK, INT, STR, Call, Module, Opt, Walk

from .._kernel import kdump
from .kmem import kmem_of

module = Module("genunix", targets=("kernel",))

module.record("leak", {"cache": ADDR, "leaked": INT, "bufctl": [ADDR, None], "buffer": ADDR, "caller": STR,
                       "cache_name": STR, "bytes": INT})

_KEY = "genunix.findleaks"

FINDLEAKS_HELP = (
    "Does a conservative garbage collection of the heap in order to find\n"
    "potentially leaked buffers.  Similar leaks are coalesced by stack\n"
    "trace, with the oldest leak picked as representative.  The leak\n"
    "table is cached between invocations.\n"
    "\n"
    "addr, if provided, should be a function or PC location.  Reported\n"
    "leaks will then be limited to those with that function or PC in\n"
    "their stack trace.\n"
    "\n"
    "The 'leak' and 'leakbuf' walkers can be used to retrieve coalesced\n"
    "leaks.")


def _run(call: Call | Walk) -> LeakRun | None:
    run: LeakRun | None = call.session.extensions.get(_KEY)
    return run


@module.dcmd("findleaks", "?", "search for potential kernel memory leaks", help=FINDLEAKS_HELP,
             options=[Opt("d", bool, "detail each representative leak (long)"),
                      Opt("f", bool, "throw away cached state, and do a full run"),
                      Opt("v", bool, "report verbose information about the findleaks run")])
def findleaks(call: Call) -> int | None:
    o = call.opts
    dump = kdump(call)
    km = kmem_of(call)
    state = call.session.extensions
    if o["v"] or o["f"]:
        state[_KEY + ".verbose"] = o["v"]
    verbose = state.get(_KEY + ".verbose", False)
    if o["f"]:
        state.pop(_KEY, None)
    run = _run(call)
    if run is not None:
        if verbose:
            call.printf("findleaks: using cached results (use '-f' to force a full run)\n")
    else:
        if dump.panic is None and dump.system.dump != "crash" and call.session.target.kind != "kmdb":
            call.warn("findleaks: cannot be run on a live dump.")
            return DCMD_ERR
        run = find_leaks(km, dump, call.session.target)
        if run.estimate == 0:
            call.warn("findleaks: no buffers found")
            return DCMD_ERR
        if verbose:
            _verbose(call, run)
        state[_KEY] = run
    _dump(call, run, call.addr if call.addrspec else None, o["d"])
    return DCMD_OK


def _verbose(call: Call, run: LeakRun) -> None:
    def line(label: str | None, n: int = 0) -> None:
        if label is None:
            call.printf("findleaks: \n")
        else:
            call.printf("findleaks: %*s => %lld\n", 30, label, n)
    line("maximum buffers", run.estimate)
    line("actual buffers", run.buffers)
    line(None)
    total = sum(run.beans[k] for k in ("dismissals", "misses", "dups", "follows"))
    line("potential pointers", total)
    for k in ("dismissals", "misses", "dups", "follows"):
        n = run.beans[k]
        perc, tenths = (n * 100 // total, (n * 1000 // total) % 10) if total else (0, 0)
        call.printf("findleaks: %*s => %-13lld (%2d.%1d%%)\n", 30, k, n, perc, tenths)
    line(None)
    call.printf("findleaks: %*s => %lu kB\n", 30, "peak memory usage", (run.memusage + 1023) // 1024)
    if call.session.target.kind != "kmdb":         # kmdb can't tell time
        call.printf("findleaks: %*s => %lld.%lld seconds\n", 30, "elapsed CPU time",
                    int(run.cpu), int(run.cpu * 10) % 10)
        call.printf("findleaks: %*s => %lld.%lld seconds\n", 30, "elapsed wall time",
                    int(run.wall), int(run.wall * 10) % 10)
    line(None)


def _matches(call: Call, lk: Leak, filt: int | None) -> bool:
    """leaky_filter: the PC itself, or a function's start, in the stack."""
    if filt is None:
        return True
    syms = kdump(call).symbols
    for pc in lk.stack:
        if pc == filt:
            return True
        s = syms.containing(pc)
        if s is not None and s.addr == filt:
            return True
    return False


def _dump(call: Call, run: LeakRun, filt: int | None, detail: bool) -> None:
    """leaky_dump with leaky_subr_dump_start/dump/dump_end: a table per type."""
    width = 16
    seen = False
    for kind in (TYPE_CACHE, 2):
        rows = [lk for lk in run.leaks if lk.kind == kind and _matches(call, lk, filt)]
        if not rows:
            continue
        if seen:
            call.printf("\n")
        seen = True
        call.printf("%-?s %7s %?s %s\n", "CACHE", "LEAKED", "BUFFER" if kind == TYPE_CACHE else "BUFCTL", "CALLER")
        ttl = nbytes = 0
        for lk in rows:
            ttl += lk.count
            nbytes += lk.count * lk.cache.bufsize
            rec = {"cache": lk.cache.addr, "leaked": lk.count, "bufctl": lk.addr if kind != TYPE_CACHE else None,
                   "buffer": lk.cache.buffer(lk.index), "caller": _caller_text(call, lk),
                   "cache_name": lk.cache.name, "bytes": lk.count * lk.cache.bufsize}
            call.emit("leak", rec, _row(lk.addr))
        call.printf("%s\n", "-" * 72)
        call.printf("%*s %7ld %s%s, %ld byte%s\n", width, "Total", ttl, "buffer", "" if ttl == 1 else "s",
                    nbytes, "" if nbytes == 1 else "s")
    if not seen:
        if filt is not None:
            call.printf("findleaks: no memory leaks matching %a found\n", filt)
        else:
            call.printf("findleaks: no memory leaks detected\n")
    if not detail or not seen:
        return
    call.printf("\n")
    for lk in run.leaks:
        if not _matches(call, lk, filt):
            continue
        size = lk.cache.bufsize
        total = lk.count * size
        if lk.kind == TYPE_CACHE:
            if lk.count == 1:
                call.printf("%s leak: 1 buffer, %ld bytes,\n", lk.cache.name, total)
            else:
                call.printf("%s leak: %d buffers, %ld bytes each, %ld bytes total,\n",
                            lk.cache.name, lk.count, size, total)
            call.printf("    sample addr %p\n", lk.addr)
            continue
        if lk.count == 1:
            call.printf("%s leak: 1 buffer, %ld bytes\n", lk.cache.name, total)
        else:
            call.printf("%s leak: %d buffers, %ld bytes each, %ld bytes total\n",
                        lk.cache.name, lk.count, size, total)
        call.session.run_string(f"{lk.addr:x}::bufctl -v\n", "(findleaks)")


def _row(addr: int) -> Callable[[Call, dict[str, Any]], None]:
    def render(c: Call, r: dict[str, Any]) -> None:
        c.printf("%0?p %7d %0?p %s\n", r["cache"], r["leaked"], addr, r["caller"])
    return render


def _caller_text(call: Call, lk: Leak) -> str:
    if lk.kind == TYPE_CACHE or not lk.caller:
        return "?"
    return call.session.addr2str(lk.caller) or f"{lk.caller:x}"


def _leaks(walk: Walk) -> tuple[LeakRun, list[Leak]]:
    """leaky_walk_init: the leak whose representative (or any member) is at
    the walk's address, or every leak."""
    run = _run(walk)
    if run is None:
        raise CmdError("::findleaks must be run before leaks can be walked")
    if not walk.addr:
        return run, run.leaks
    for lk in run.leaks:
        if lk.addr == walk.addr:
            return run, [lk]
    for lk in run.leaks:
        c = lk.cache
        for i in lk.members(run.marks[c.addr]):
            if walk.addr == (c.bufctl(i) if lk.kind != TYPE_CACHE else c.buffer(i)):
                return run, [lk]
    raise CmdError(f"{walk.addr:x} is not a leaked ctl address")


@module.walker("leak", "given a leaked bufctl or vmem_seg, find leaks w/ same stack")
def walk_leak(walk: Walk) -> Iterator[int]:
    run, leaks = _leaks(walk)
    return (lk.cache.bufctl(i) if lk.kind != TYPE_CACHE else lk.cache.buffer(i)
            for lk in leaks for i in lk.members(run.marks[lk.cache.addr]))


@module.walker("leakbuf", "given a leaked bufctl or vmem_seg, walk buffers for leaks w/ same stack")
def walk_leakbuf(walk: Walk) -> Iterator[int]:
    run, leaks = _leaks(walk)
    return (lk.cache.buffer(i) for lk in leaks for i in lk.members(run.marks[lk.cache.addr]))
