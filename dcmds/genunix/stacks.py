"""Stacks: ``::findstack`` and ``::stacks``."""

from __future__ import annotations

from typing import Any

from kdb.errors import CmdError
from kdb.target.model import Dump, Thread
from kdb.modapi import ADDR, DCMD_ABORT, DCMD_USAGE, INT, LIST, STR, Call, Module, Opt
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
             options=[Opt("v", bool, "also each frame's arguments")], unlisted_operands=True)
def findstack_dcmd(call: Call) -> int | None:
    dump = kdump(call)
    if not call.addrspec:
        return DCMD_USAGE
    verbose = call.opts["v"]
    # findstack.c print_stack: one string argument is evaluated instead of
    # <.$C0 / <.$C, with dot at the stack pointer and indented 2
    if len(call.args) > 1 or (call.args and not isinstance(call.args[0], str)):
        return DCMD_USAGE
    command = str(call.args[0]) if call.args else None
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
            def render(c: Call, r: dict[str, Any], t: Thread = thread) -> None:
                findstack(c, t, verbose=verbose, command=command)
            call.emit("stack", lambda: stack_record(call, thread), render)
        elif not findstack(call, t, verbose=verbose, command=command):
            return DCMD_ABORT
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
                          help="only threads blocked on that sobj type (or ALL); -S: not"),
                      Opt("S", str, "only threads not blocked on that sobj type", arg="sobj", help=""),
                      Opt("t", str, "only threads in that state (or panic)", arg="tstate",
                          help="only threads in that state (or panic); -T: not"),
                      Opt("T", str, "only threads not in that state", arg="tstate", help="")])
def stacks(call: Call) -> int | None:
    # findstack.c stacks(), option checks in its order and with its words
    dump = kdump(call)
    o = call.opts
    s = call.session
    if o["i"]:
        if o["s"] or o["S"] or o["t"] or o["T"]:
            call.warn("stacks: -i is incompatible with -[sStT]")
            return DCMD_USAGE
        o["S"], o["T"] = "CV", "FREE"
    callers: dict[str, tuple[int, int] | None] = {"c": None, "C": None}
    for key in ("c", "C"):
        if o[key] is not None:
            try:
                value = s.arg_to_int(o[key])
            except CmdError:
                call.warn(f"stacks: evaluation of \"{o[key]}\" failed")
                return DCMD_ABORT
            # stacks_has_caller: a function's start means all of it
            sym = dump.symbols.containing(value)
            callers[key] = ((sym.addr, sym.addr + max(sym.size, 1)) if sym is not None and sym.addr == value
                            else (value, value + 1))
    known_modules = {m.name for m in dump.modules}
    for key in ("m", "M"):
        if o[key] is not None and o[key] not in known_modules:
            call.warn(f"stacks: module \"{o[key]}\" is unknown")
            return DCMD_ABORT
    for key in ("s", "S"):
        if o[key] is not None:
            v = o[key].upper()
            if v not in SOBJS and v != "ALL" and v != "NONE":
                call.warn(f"sobj type \"{o[key]}\" unknown")      # sobj.c sobj_text_to_ops
                return DCMD_USAGE
            o[key] = "<NONE>" if v == "NONE" else v
    if o["s"] is not None and o["S"] is not None:
        call.warn("stacks: only one of -s and -S can be specified")
        return DCMD_USAGE
    for key in ("t", "T"):
        if o[key] is not None:
            v = o[key].upper()
            if v not in STATES:
                call.warn(f"tstate \"{o[key]}\" not recognized")
                return DCMD_USAGE
            o[key] = v
    if o["t"] is not None and o["T"] is not None:
        call.warn("stacks: only one of -t and -T can be specified")
        return DCMD_USAGE
    cache = s.extensions.setdefault("stacks", {})
    if o["f"]:
        cache.pop("groups", None)
    cache["verbose"] = o["v"]
    groups = aggregate(call, dump)

    # with an address: only the groups holding one of the addresses; piped
    # addresses filter the threads too ("only_matching"), a typed address
    # stands for its whole group, printed with the group's count
    wanted: set[int] | None = None
    if call.piped:
        wanted = set(call.get_pipe())
    elif call.addrspec:
        wanted = {call.addr}
    only_matching = call.piped
    seen: set[int] = set()

    def in_range(pcs: Any, r: tuple[int, int]) -> bool:
        return any(r[0] <= pc < r[1] for pc in pcs)

    def matches(g: StackGroup) -> bool:
        if callers["c"] is not None and not in_range(g.pcs, callers["c"]):
            return False
        if callers["C"] is not None and in_range(g.pcs, callers["C"]):
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
        threads = g.threads
        if wanted is not None:
            found = [a for a in g.threads if a in wanted]
            if not found:
                continue
            seen.update(found)
            if only_matching:
                threads = found
        if matches(g):
            selected.append((g, threads))
    printed = False
    for g, threads in selected:
        if call.pipe_out:
            for a in threads:
                call.printf("%lr\n", a)
            continue
        if o["a"] or not printed:
            call.printf("%<u>%-?s %-8s %-?s %8s%</u>\n", "THREAD", "STATE", "SOBJ", "COUNT")
            printed = True
        rec = {"threads": threads, "count": len(threads), "state": g.state, "sobj": g.sobj,
               "error": g.error, "frames": [s.addr2str(pc) for pc in g.pcs]}

        def render(c: Call, r: dict[str, Any], all_: bool = o["a"], pcs: Any = g.pcs) -> None:
            c.printf("%-?p %-8s %-?s %8d\n", r["threads"][0], r["state"], r["sobj"], r["count"])
            if all_:
                for a in r["threads"][1:]:
                    c.printf("%-?p %-8s %-?s %8s\n", a, r["state"], r["sobj"], "-")
            if r["error"]:
                c.printf("%?s %s\n", "", r["error"])
            for pc in pcs:
                c.printf("%?s %a\n", "", pc)
            c.printf("\n")

        call.emit("stack_group", rec, render)
    if wanted is not None:
        for a in sorted(wanted - seen):
            call.warn(f"stacks: {a:x} not in thread list")
    return None
