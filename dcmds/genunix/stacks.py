"""Stacks: ``::findstack`` and ``::stacks``."""

from __future__ import annotations

from typing import Any

from kdb.errors import CmdError
from kdb.target.model import Dump
from kdb.modapi import ADDR, DCMD_USAGE, INT, LIST, STR, Call, Module, Opt
from kdb.analysis.stackgroups import STATES, StackGroup, group_threads

from .._kernel import findstack, kdump, stack_record

module = Module("genunix", targets=("kernel",))

# records (--format json; docs/json-output.md)
FRAME_ADDRESSES = ("pc", "fp", "args")
module.record("stack", {"thread": ADDR, "frames": LIST}, addresses=("sp", "resume", *FRAME_ADDRESSES))
module.record("stack_group", {"threads": LIST, "count": INT, "state": STR, "sobj": STR,
                              "error": [STR, None], "frames": LIST},
              addresses=("threads", *FRAME_ADDRESSES))

SOBJS = ("MUTEX", "RWLOCK", "CV", "SEMA", "USER", "USER_PI", "SHUTTLE", "<NONE>")


@module.dcmd("findstack", ":", "find kernel thread stack",
             help="Print the stack of the kernel thread at the address: its saved stack\n"
                  "pointer, the pc it will resume at, and one line per frame with the\n"
                  "frame pointer.",
             options=[Opt("v", bool, "also each frame's arguments")])
def findstack_dcmd(call: Call) -> int | None:
    dump = kdump(call)
    if not call.addrspec:
        return DCMD_USAGE
    verbose = call.opts["v"]
    # like mdb_get_pipe(): take every piped thread in one invocation (the
    # output is the same as one call per address, without the per-call cost)
    addrs = call.get_pipe() if call.piped else [call.addr]
    status = None
    by_addr = dump.thread_by_addr
    structured = call.session.record_sink is not None and not call.pipe_out
    for addr in addrs:
        t = by_addr.get(addr)
        if t is None:
            call.warn(f"failed to read kthread_t at {addr:x}: no mapping for address")
            status = 1
            continue
        if structured:
            thread = t
            call.emit("stack", lambda: stack_record(call, thread),
                      lambda c, r: findstack(c, thread, verbose=verbose))
        else:
            findstack(call, t, verbose=verbose)
    return status


# ---------------------------------------------------------------------------
# ::stacks
# ---------------------------------------------------------------------------
def aggregate(call: Call, dump: Dump) -> list[StackGroup]:
    """``group_threads``, cached for the session (``::stacks -f`` drops the cache)."""
    cache = call.session.extensions.setdefault("stacks", {})
    if "groups" not in cache:
        cache["groups"] = group_threads(dump, bool(cache.get("verbose")))
    return cache["groups"]


def _module_of(dump: Dump, pc: int) -> str | None:
    sym = dump.symbols.containing(pc)
    return sym.module if sym else None


@module.dcmd("stacks", "?", "print unique kernel thread stacks",
             help="Group the kernel threads by identical stack (and state and\n"
                  "synchronisation object type) and print each group once, biggest first,\n"
                  "with a representative thread and the count. With an address or piped\n"
                  "addresses, only those threads; into a pipe, the threads' addresses.",
             options=[Opt("a", bool, "list every thread of each group"),
                      Opt("f", bool, "recompute instead of using the cached aggregation"),
                      Opt("i", bool, "interesting threads: the same as -S CV -T FREE"),
                      Opt("v", bool, "report progress on stderr"),
                      Opt("c", str, "only stacks with a frame in func", arg="func",
                          help="only stacks with a frame in func; -C: without"),
                      Opt("C", str, "only stacks without a frame in func", arg="func", help=""),
                      Opt("m", str, "only stacks with a frame in module", arg="module",
                          help="only stacks with a frame in module; -M: without"),
                      Opt("M", str, "only stacks without a frame in module", arg="module", help=""),
                      Opt("s", str, "only threads blocked on that sobj type (or ALL)", arg="sobj",
                          group="s", help="only threads blocked on that sobj type (or ALL); -S: not"),
                      Opt("S", str, "only threads not blocked on that sobj type", arg="sobj",
                          group="s", help=""),
                      Opt("t", str, "only threads in that state (or panic)", arg="tstate", group="t",
                          help="only threads in that state (or panic); -T: not"),
                      Opt("T", str, "only threads not in that state", arg="tstate", group="t",
                          help="")])
def stacks(call: Call) -> int | None:
    dump = kdump(call)
    o = call.opts
    if o["i"] and (o["s"] or o["S"] or o["t"] or o["T"]):
        raise CmdError("-i is incompatible with -[sStT]")
    if o["i"]:
        o["S"], o["T"] = "CV", "FREE"
    for key in ("s", "S"):
        if o[key] is not None:
            v = o[key].upper()
            if v not in SOBJS and v != "ALL" and v != "NONE":
                raise CmdError(f"unknown synchronization object type \"{o[key]}\"")
            o[key] = "<NONE>" if v == "NONE" else v
    for key in ("t", "T"):
        if o[key] is not None:
            v = o[key].upper()
            if v not in STATES:
                raise CmdError(f"unknown thread state \"{o[key]}\"")
            o[key] = v
    cache = call.session.extensions.setdefault("stacks", {})
    if o["f"]:
        cache.pop("groups", None)
    cache["verbose"] = o["v"]
    groups = aggregate(call, dump)

    only: set[int] | None = None
    if call.piped:
        only = set(call.get_pipe())
    elif call.addrspec:
        only = {call.addr}
    if only is not None:
        missing = [a for a in only if a not in dump.thread_by_addr]
        if missing:
            raise CmdError(f"{min(missing):x} is not a thread")

    def matches(g: StackGroup) -> bool:
        if o["c"] is not None and o["c"] not in g.names:
            return False
        if o["C"] is not None and o["C"] in g.names:
            return False
        if o["m"] is not None and not any(_module_of(dump, pc) == o["m"] for pc in g.pcs):
            return False
        if o["M"] is not None and any(_module_of(dump, pc) == o["M"] for pc in g.pcs):
            return False
        if o["s"] is not None and o["s"] != "ALL" and g.sobj != o["s"]:
            return False
        if o["S"] is not None and (o["S"] == "ALL" and g.sobj != "<NONE>" or g.sobj == o["S"]):
            return False
        if o["t"] is not None and g.state != o["t"]:
            return False
        if o["T"] is not None and g.state == o["T"]:
            return False
        return True

    selected = []
    for g in groups:
        if not matches(g):
            continue
        threads = g.threads if only is None else [a for a in g.threads if a in only]
        if threads:
            selected.append((g, threads))
    if call.pipe_out:
        for g, threads in selected:
            for a in threads:
                call.printf("%lr\n", a)
        return None
    call.printf("%<u>%-?s %-8s %-?s %8s%</u>\n", "THREAD", "STATE", "SOBJ", "COUNT")
    for g, threads in selected:
        rec = {"threads": threads, "count": len(threads), "state": g.state, "sobj": g.sobj,
               "error": g.error, "frames": [call.session.addr2str(pc) for pc in g.pcs]}

        def render(c: Call, r: dict[str, Any], all_: bool = o["a"]) -> None:
            c.printf("%-?p %-8s %-?s %8d\n", r["threads"][0], r["state"], r["sobj"], r["count"])
            if all_:
                for a in r["threads"][1:]:
                    c.printf("%-?p %-8s %-?s %8s\n", a, r["state"], r["sobj"], "-")
            if r["error"]:
                c.printf("%?s %s\n", "", r["error"])
            for pc in g.pcs:
                c.printf("%?s %a\n", "", pc)
            c.printf("\n")

        call.emit("stack_group", rec, render)
    return None
