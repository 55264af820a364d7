"""Task queues: ``::taskq``, ``::taskq_entry`` and the ``taskq_cache``,
``taskq_entry`` and ``taskq_thread`` walkers (illumos taskq.c), over the
``taskq_t`` images of kdb.target.taskqs: each reads memory as mdb_vread
does, so what ::taskq prints is what ``::print taskq_t`` shows."""

from __future__ import annotations

from typing import Any

from kdb.errors import CmdError, ReadError
from kdb.modapi import ADDR, DCMD_OK, DCMD_USAGE, INT, STR, Call, Module, Opt, Walk
from kdb.target.taskqs import TASKQ_DYNAMIC, TASKQ_NOINSTANCE, sorted_for_display, taskqs

from .._kernel import kdump, lower_indent, read_struct

module = Module("genunix", targets=("kernel",))

module.record("taskq", {"addr": ADDR, "name": STR, "active": INT, "nthreads": INT, "queued": INT,
                        "maxq": [INT, None], "instance": [INT, None]})
module.record("taskq_entry", {"addr": ADDR, "arg": ADDR, "func": ADDR, "function": STR})


def _name(raw: bytes) -> str:
    """tq_name, terminated "just in case" (taskq.c)."""
    return raw[:31].split(b"\0", 1)[0].decode("latin-1")


@module.walker("taskq_cache", "walk the taskq_cache cache")
def walk_taskq_cache(walk: Walk):
    """kmem's walk of the taskq cache: every task queue of the dump."""
    return (q.addr for q in taskqs(kdump(walk)).all)


@module.walker("taskq_entry", "given a taskq_t*, list all taskq_ent_t in the list")
def walk_taskq_entry(walk: Walk):
    """taskq_ent_walk_init/step: round tq_task's list back to the head."""
    if not walk.addr:
        raise CmdError("start address required")
    t = walk.session.target.types.lookup("taskq_t")
    head_member = t.member("tq_task")
    assert head_member is not None
    head = walk.addr + head_member.offset
    tq = read_struct(walk, "taskq_t", walk.addr, "taskq list head")
    first = int.from_bytes(tq["tq_task"][:8], "little")

    def entries():
        addr, seen = first, 0
        while addr != head and seen < 1 << 20:
            yield addr
            ent = read_struct(walk, "taskq_ent_t", addr, "taskq_ent_t")
            addr, seen = ent["tqent_next"], seen + 1
    return entries()


@module.walker("taskq_thread", "given a taskq_t, list all of its threads")
def walk_taskq_thread(walk: Walk):
    """taskq_thread_walk_init/step: a static queue's tq_threadlist (or its
    one tq_thread); for a dynamic queue, or without an address, the
    threads whose t_taskq is that queue (any queue)."""
    dump = kdump(walk)
    queue_of = taskqs(dump).of_thread
    if walk.addr:
        try:
            tq = read_struct(walk, "taskq_t", walk.addr, "taskq_t")
        except CmdError:
            tq = None
        if tq is not None and not tq["tq_flags"] & TASKQ_DYNAMIC:
            n = tq["tq_nthreads"]
            thr = int.from_bytes(tq["tq_thr"][:8], "little")
            if tq["tq_nthreads_max"] == 1:
                return iter([thr] if thr else [])
            try:
                raw = walk.session.target.read(thr, 8 * n)
            except ReadError as e:
                raise CmdError(f"unable to read threadlist for taskq_t {walk.addr:x}: {e.reason}") from None
            return (a for a in (int.from_bytes(raw[i:i + 8], "little") for i in range(0, len(raw), 8)) if a)
    want = walk.addr
    return (t.addr for t in dump.threads
            if t.addr in queue_of and (not want or queue_of[t.addr].addr == want))


_HELP = ("Display the task queues: address, name, active and total threads,\n"
         "tasks queued, the most ever queued (MAXQ, - for a dynamic queue) and\n"
         "the instance (- when the queue has none). Without an address, every\n"
         "queue: those without an instance first, in creation order, then by\n"
         "name and instance, dynamic queues last.")


@module.dcmd("taskq", ":[-atT] [-m min_maxq] [-n name]", "display a taskq", help=_HELP,
             options=[Opt("a", bool, "Only show taskqs with active threads."),
                      Opt("t", bool, "Display active thread stacks in each taskq."),
                      Opt("T", bool, "Display all thread stacks in each taskq."),
                      Opt("m", int, "Only show Dynamic taskqs and taskqs with a MAXQ of at least min_maxq.",
                          arg="min_maxq"),
                      Opt("n", str, "Only show taskqs which contain name somewhere in their name.",
                          arg="name")])
def taskq(call: Call) -> int | None:
    dump = kdump(call)
    if not call.addrspec:
        # taskq.c: walk taskq_cache, sort (tqcmp), then one loop of rows
        first = True
        for q in sorted_for_display(taskqs(dump).all):
            _row(call, q.addr, header=first and not call.pipe_out)
            first = False
        return None
    _row(call, call.addr, header=call.hdrspec and not call.pipe_out)
    return None


def _row(call: Call, addr: int, header: bool) -> None:
    if header:
        call.printf("%<u>%-?s %-31s %4s/%4s %4s %5s %4s%</u>\n",
                    "ADDR", "NAME", "ACT", "THDS", "Q'ED", "MAXQ", "INST")
    tq = read_struct(call, "taskq_t", addr, "taskq_t")
    name = _name(tq["tq_name"])
    tact, tcount = tq["tq_active"], tq["tq_nthreads"]
    queued, maxq = tq["tq_tasks"] - tq["tq_executed"], tq["tq_maxtasks"]
    dynamic = bool(tq["tq_flags"] & TASKQ_DYNAMIC)
    if dynamic:
        tcount += tq["tq_tcreates"] - tq["tq_tdeaths"]
        size = call.session.target.types.lookup("taskq_bucket_t").size
        for i in range(min(tq["tq_nbuckets"], 1 << 16)):
            b = read_struct(call, "taskq_bucket_t", tq["tq_buckets"] + i * size,
                      f"buckets for taskq {addr:x}")
            tact += b["tqbucket_nalloc"]
    opts = call.opts
    if opts["n"] is not None and opts["n"] not in name:
        return
    if opts["a"] and tact == 0 and queued == 0:
        return
    if not dynamic and maxq < (opts["m"] or 0):
        return
    if call.pipe_out:
        call.push(addr)
        return
    noinst = bool(tq["tq_flags"] & TASKQ_NOINSTANCE)
    rec = {"addr": addr, "name": name, "active": tact, "nthreads": tcount, "queued": queued,
           "maxq": None if dynamic else maxq, "instance": None if noinst else tq["tq_instance"]}

    def render(c: Call, r: dict[str, Any]) -> None:
        c.printf("%?p %-31s %4d/%4d %4d ", r["addr"], r["name"], r["active"], r["nthreads"], r["queued"])
        c.printf("%5s " if r["maxq"] is None else "%5d ", "-" if r["maxq"] is None else r["maxq"])
        c.printf("%4s" if r["instance"] is None else "%4x", "-" if r["instance"] is None else r["instance"])
        c.printf("\n")
    call.emit("taskq", rec, render)
    if opts["t"] or opts["T"]:
        arg = "" if opts["T"] else '-C "taskq_thread_wait"'
        with lower_indent(call, 4):
            call.session.run_string(f"{addr:x}::walk taskq_thread | ::stacks -a {arg}\n", "(string)")


@module.dcmd("taskq_entry", ":", "display a taskq_ent_t",
             help="Display the task at the address: its argument and function.")
def taskq_entry(call: Call) -> int | None:
    if not call.addrspec:
        return DCMD_USAGE
    ent = read_struct(call, "taskq_ent_t", call.addr, "taskq_ent_t")
    if call.hdrspec:
        call.printf("%<u>%-?s %-?s %-s%</u>\n", "ENTRY", "ARG", "FUNCTION")
    rec = {"addr": call.addr, "arg": ent["tqent_arg"], "func": ent["tqent_func"],
           "function": call.session.addr2str(ent["tqent_func"]) or f"{ent['tqent_func']:#x}"}
    call.emit("taskq_entry", rec, lambda c, r: c.printf("%-?p %-?p %a\n", r["addr"], r["arg"], r["func"]))
    return DCMD_OK
