"""Processes and threads: ``::ps``, ``::pgrep``, ``::pid2proc``, ``::thread``,
``::threadlist`` and the ``proc`` and ``thread`` walkers (genunix)."""

from __future__ import annotations

import re
from typing import Any, Iterable

from kdb.errors import CmdError
from kdb.target.model import PS_CHAR, Proc, Thread
from kdb.target.taskqs import Taskq, taskqs
from kdb.modapi import ADDR, DCMD_USAGE, INT, LIST, STR, Call, Module, Opt, Walk, walk_addresses

from .._kernel import (TS_NAMES, entity_at, findstack, follow, is_kernel_thread, kdump, lower_indent,
                               proc_at, thread_at, thread_desc)

module = Module("genunix", targets=("kernel",))

# records (--format json; docs/json-output.md)
module.record("proc", {"addr": ADDR, "state": STR, "pid": INT, "ppid": INT, "pgid": INT, "sid": INT,
                       "uid": INT, "flags": INT, "comm": STR, "psargs": STR, "zone": INT,
                       "zonename": STR, "task": INT, "project": INT, "service": [STR, None],
                       "threads": LIST})
module.record("pid", {"pid": INT, "addr": ADDR})
module.record("ptree", {"addr": ADDR, "pid": INT, "comm": STR, "depth": INT})
module.record("thread", {"addr": ADDR}, addresses=("proc", "lwp", "cred", "wchan", "sobj_addr", "ts",
                                                   "sobj_ops"))

CRED_BASE = 0xFFFFFF0930F3E000
SCHED_CLASS = {"SYS": 0, "TS": 1, "IA": 2, "RT": 3}


# ---------------------------------------------------------------------------
# walkers
# ---------------------------------------------------------------------------
@module.walker("proc", "list of active proc_t structures")
def walk_proc(walk: Walk):
    dump = kdump(walk)
    if walk.addr is None:
        return (p.addr for p in dump.proc_walk_order())
    # a local walk visits the process and its descendants, depth first, as
    # illumos's p_child/p_sibling walk does (not the start's siblings)
    root = proc_at_walk(dump, walk.addr)
    children = dump.proc_children()

    def visit():
        # depth first without recursion (a chain of 10,000 processes is
        # fine); a process met twice means a cycle in the dump's ppids,
        # reported once and not followed
        seen: set[int] = set()
        stack = [root]
        while stack:
            p = stack.pop()
            if p.addr in seen:
                walk.session.warn(f"walk proc: cycle in the process tree at {p.addr:x} (pid {p.pid})")
                continue
            seen.add(p.addr)
            yield p.addr
            stack.extend(reversed([c for c in children.get(p.pid, []) if c.pid != p.pid]))
    return visit()


@module.walker("thread", "global or per-process kthread_t structures")
def walk_thread(walk: Walk):
    dump = kdump(walk)
    if walk.addr is None:
        return (t.addr for t in dump.threads)
    return (t.addr for t in proc_at_walk(dump, walk.addr).tlist)


# ---------------------------------------------------------------------------
# ::ps
# ---------------------------------------------------------------------------
def proc_record(p: Proc) -> dict[str, Any]:
    return {"addr": p.addr, "state": p.state, "pid": p.pid, "ppid": p.ppid, "pgid": p.pgid,
            "sid": p.sid, "uid": p.uid, "flags": p.flags, "comm": p.comm, "psargs": p.psargs,
            "zone": p.zone.id, "zonename": p.zone.name, "task": p.task, "project": p.project,
            "service": p.service,
            "threads": [{"addr": t.addr, "state": t.state, "lwp": t.lwp, "tid": t.tid,
                         "name": t.name} for t in p.tlist]}


def _service_name(fmri: str | None) -> str:
    if not fmri:
        return "-"
    s = fmri[5:] if fmri.startswith("svc:/") else fmri
    return s[:-8] if s.endswith(":default") else s


#: ::ps's column formats per era (genunix.c ``ps()``): header pieces and
#: row pieces. opensolaris: right-aligned, as in genunix.c of 2008-2013
#: (``"%<u>%1s %6s %6s %6s %6s "``, row ``"%c %6d %6d %6d %6d "``, then
#: ``"%6d 0x%08x %0?p %s\\n"``); illumos: left-aligned since illumos #11690
#: (2019): ``"%-c %-6d %-6d %-6d %-6d "`` ... ``"%-6d 0x%08x %0?p %-s"``,
#: as the team's mdb reference gives it (docs/eras.md); the newest genunix.c
#: this project could read, illumos-gate 589efa95, predates the change.
PS_LAYOUT = {
    "opensolaris": {"head": ("%1s %6s %6s %6s %6s ", "%5s ", "%-40s ", "%6s %10s %?s %s"),
                    "row": ("%c %6d %6d %6d %6d ", "%5d ", "%-40s ", "%6d 0x%08x %0?p %s\n")},
    "illumos": {"head": ("%-1s %-6s %-6s %-6s %-6s ", "%-5s ", "%-40s ", "%-6s %-10s %-?s %s"),
                "row": ("%-c %-6d %-6d %-6d %-6d ", "%-5d ", "%-40s ", "%-6d 0x%08x %0?p %-s\n")},
}


def _ps_header(call: Call, o: dict[str, bool]) -> None:
    first, extra, service, last = PS_LAYOUT[call.session.target.era]["head"]
    call.printf("%<u>" + first, "S", "PID", "PPID", "PGID", "SID")
    if o["T"]:
        call.printf(extra, "TASK")
    if o["P"]:
        call.printf(extra, "PROJ")
    if o["z"]:
        call.printf(extra, "ZONE")
    if o["s"]:
        call.printf(service, "SERVICE")
    call.printf(last + "%</u>\n", "UID", "FLAGS", "ADDR", "NAME")


def _ps_row(call: Call, r: dict[str, Any], o: dict[str, bool]) -> None:
    # ::ps is not pipe-aware (genunix.c ps): into a pipe it writes its table
    # as it would to the terminal (::pgrep passes addresses itself)
    first, extra, service, last = PS_LAYOUT[call.session.target.era]["row"]
    call.printf(first, PS_CHAR.get(r["state"], "?"), r["pid"], r["ppid"], r["pgid"], r["sid"])
    if o["T"]:
        call.printf(extra, r["task"])
    if o["P"]:
        call.printf(extra, r["project"])
    if o["z"]:
        call.printf(extra, r["zone"])
    if o["s"]:
        call.printf(service, _service_name(r["service"]))
    call.printf(last, r["uid"], r["flags"], r["addr"], r["psargs"] if o["f"] else r["comm"])
    if o["l"] or o["t"]:
        # genunix.c ps_threadprint, called per thread of the thread walk:
        # its T line (-t), then its L line (-l)
        for t in r["threads"]:
            if o["t"]:
                call.printf("\tT  %?a <%s>\n", t["addr"], TS_NAMES[t["state"]])
            if o["l"] and t["lwp"] is not None:
                ident = f"{t['tid']}" + (f" [{t['name']}]" if t["name"] else "")
                call.printf("\tL  %?a ID: %s\n", t["lwp"], ident)


#: the options of ::ps; ::pgrep prints its rows with none of them
PS_OPTIONS = [
    Opt("f", bool, "print the full command line (u_psargs) instead of u_comm"),
    Opt("l", bool, "print the LWPs of each process"),
    Opt("t", bool, "print the threads of each process"),
    Opt("z", bool, "print the zone id"),
    Opt("T", bool, "print the task id"),
    Opt("P", bool, "print the project id"),
    Opt("s", bool, "print the SMF service (svc:/ and :default stripped; a kdb extension)"),
]


@module.dcmd("ps", "?", "list processes (and associated thr,lwp)",
             help="List processes in the order of the proc walk, or the process at\n"
                  "the given address.",
             options=PS_OPTIONS)
def ps(call: Call) -> int | None:
    dump = kdump(call)
    o = call.opts
    procs = [proc_at(dump, call.addr)] if call.addrspec else dump.proc_walk_order()
    if call.hdrspec:
        _ps_header(call, o)
    for p in procs:
        call.emit("proc", proc_record(p), lambda c, r: _ps_row(c, r, o))
    return None


def _parent(dump: Any, p: Proc) -> Proc | None:
    """p_parent: the process of its ppid (sched, pid 0, has none)."""
    return dump.proc_by_pid.get(p.ppid) if p.pid != 0 else None


def _depth(dump: Any, p: Proc) -> int:
    """How many p_parent links lead from P to the root (a cycle of ppids,
    which only a hostile dump has, is followed once around)."""
    seen = {id(p)}
    n = 0
    q = _parent(dump, p)
    while q is not None and id(q) not in seen:
        seen.add(id(q))
        n += 1
        q = _parent(dump, q)
    return n


@module.dcmd("ptree", None, "print process tree",
             help="Print every process in the order of the proc walk, each indented five\n"
                  "columns for each ancestor; with an address, that process's ancestors\n"
                  "and then its subtree.")
def ptree(call: Call) -> int | None:
    """genunix.c ptree(): ptree_ancestors() for ADDR (root first, ADDR
    itself left out), then ``mdb_pwalk("proc", ptree_walk)`` from ADDR (its
    subtree) or from the top; ptree_walk() prints ``%0?p  %s`` (the proc_t,
    u_comm) under mdb_inc_indent(5 * the number of p_parent links)."""
    dump = kdump(call)
    procs: list[Proc] = []
    walked: Iterable[Proc]
    if call.addrspec:
        start = proc_at(dump, call.addr)
        line: list[Proc] = []
        q = _parent(dump, start)
        while q is not None and q not in line and q is not start:
            line.append(q)
            q = _parent(dump, q)
        procs = line[::-1]
        walked = (dump.proc_by_addr[a] for a in walk_addresses(call.session, "proc", start.addr))
    else:
        walked = iter(dump.proc_walk_order())
    for p in [*procs, *walked]:
        depth = _depth(dump, p)
        call.emit("ptree", {"addr": p.addr, "pid": p.pid, "comm": p.comm, "depth": depth}, _ptree_row)
    return None


def _ptree_row(c: Call, r: dict[str, Any]) -> None:
    with lower_indent(c, 5 * r["depth"]):
        c.printf("%0?p  %s\n", r["addr"], r["comm"])


#: regerror(3C)'s texts (illumos libc, from FreeBSD's regex) for the
#: POSIX error a pattern Python's re refuses would raise, matched on re's
#: message; anything else is REG_BADPAT
_REGERRORS = (("unterminated character set", "brackets ([ ]) not balanced"),
              ("missing )", "parentheses not balanced"),
              ("unbalanced parenthesis", "parentheses not balanced"),
              ("nothing to repeat", "repetition-operator operand invalid"),
              ("multiple repeat", "repetition-operator operand invalid"),
              ("bad escape (end of pattern)", "trailing backslash (\\)"),
              ("bad character range", "invalid character range"),
              ("min repeat greater than max repeat", "invalid repetition count(s)"),
              ("invalid group reference", "invalid backreference number"),
              ("unknown group", "invalid backreference number"))


def regerror(e: re.error) -> str:
    """What regerror() says for the pattern re refused."""
    msg = str(e.msg) if hasattr(e, "msg") else str(e)
    return next((text for key, text in _REGERRORS if msg.startswith(key)), "invalid regular expression")


@module.dcmd("pgrep", "pattern", "pattern match against all processes",
             help="Print the processes whose command name (u_comm) matches the regular\n"
                  "expression, in ::ps format (into a pipe: their addresses).",
             options=[Opt("x", bool, "the pattern must match the whole name"),
                      Opt("n", bool, "only the newest matching process",
                          group="age"),
                      Opt("o", bool, "only the oldest matching process", group="age")])
def pgrep(call: Call) -> int | None:
    dump = kdump(call)
    o, rest = call.opts, call.args
    if len(rest) != 1 or call.addrspec:
        return DCMD_USAGE
    pattern = str(rest[0])
    if call.session.kmdb:
        match = (lambda s: s == pattern) if o["x"] else (lambda s: pattern in s)
    else:
        try:
            rx = re.compile(pattern)
        except re.error as e:       # genunix.c pgrep: mdb_warn("%s\n", regerror text)
            raise CmdError(regerror(e)) from None
        match = (lambda s: rx.fullmatch(s) is not None) if o["x"] else (lambda s: rx.search(s) is not None)
    found = [p for p in dump.proc_walk_order() if match(p.comm)]
    if o["n"] or o["o"]:
        if found:
            key = lambda p: (p.start or "", p.pid)  # noqa: E731
            found = [max(found, key=key) if o["n"] else min(found, key=key)]
    if call.pipe_out:               # genunix.c pgrep_cb: PG_PIPE_OUT
        for p in found:
            call.printf("%p\n", p.addr)
        return None
    none = {o.letter: False for o in PS_OPTIONS}
    if found:
        _ps_header(call, none)
    for p in found:
        call.emit("proc", proc_record(p), lambda c, r: _ps_row(c, r, none))
    return None


@module.dcmd("pid2proc", "?", "convert PID to proc_t address",
             help="Print the address of the proc_t of the process whose PID is the\n"
                  "address (dot when none is given). PIDs are decimal: give them with\n"
                  "0t (0t100015::pid2proc).")
def pid2proc(call: Call) -> int | None:
    # genunix.c pid2proc(): argc != 0 is a usage error; the address is dot
    dump = kdump(call)
    p = dump.proc_by_pid.get(call.addr)
    if p is None:
        raise CmdError(f"PID 0t{call.addr} not found")
    call.emit("pid", {"pid": p.pid, "addr": p.addr}, lambda c, r: c.printf("%p\n", r["addr"]))
    return None


# ---------------------------------------------------------------------------
# ::thread
# ---------------------------------------------------------------------------
def thread_record(call: Call, t: Thread) -> dict[str, Any]:
    return {"addr": t.addr, "state": t.state, "flags": t.flags, "pflags": t.pflags,
            "sflags": t.sflags, "pri": t.pri, "epri": t.epri, "pil": t.pil,
            "proc": t.proc.addr, "lwp": t.lwp or 0, "cred": CRED_BASE + 0x60 * t.proc.uid,
            "wchan": t.wchan or 0, "sobj": t.sobj_type, "sobj_addr": t.sobj_addr,
            "ts": t.ts, "sobj_ops": kdump(call).sobj_ops(t.sobj_type),
            "cpu": t.cpu, "bound": -1, "disp_time": 0,
            "tid": t.tid, "comm": t.proc.comm, "name": t.name}


def _thread_header(call: Call, sets: list[str], merge: bool) -> None:
    call.printf("%<u>%?s", "ADDR")
    for i, s in enumerate(sets):
        if i and not merge:
            call.printf("%</u>\n%<u>%?s", "")
        if s == "i":
            call.printf(" %8s %4s %4s %4s %5s %5s %3s %?s", "STATE", "FLG", "PFLG", "SFLG", "PRI",
                        "EPRI", "PIL", "INTR")
        elif s == "p":
            call.printf(" %?s %?s %?s", "PROC", "LWP", "CRED")
        elif s == "b":
            call.printf(" %?s %?s %?s %11s", "WCHAN", "TS", "PITS", "SOBJ OPS")
        elif s == "s":
            call.printf(" %?s %16s %16s", "SIGQUEUE", "SIG PEND", "SIG HELD")
        elif s == "d":
            # thread.c: the SWITCH column is today's; 2008 stopped at PR
            if call.session.target.era == "opensolaris":
                call.printf(" %?s %5s %2s", "DISPTIME", "BOUND", "PR")
            else:
                call.printf(" %?s %5s %2s %-6s", "DISPTIME", "BOUND", "PR", "SWITCH")
    call.printf("%</u>\n")


def _thread_row(call: Call, r: dict[str, Any], sets: list[str], merge: bool) -> None:
    # not pipe-aware (thread.c thread): the same text into a pipe
    call.printf("%0?lx", r["addr"])
    for i, s in enumerate(sets):
        if i and not merge:
            call.printf("\n%?s", "")
        if s == "i":
            state = r["state"]
            call.printf(" %-8s %4x %4x %4x %5d %5d %3d ", state, r["flags"], r["pflags"],
                        r["sflags"], r["pri"], r["epri"], r["pil"])
            call.printf("%?s", "n/a")
        elif s == "p":
            call.printf(" %?p %?p %?p", r["proc"], r["lwp"], r["cred"])
        elif s == "b":
            # thread.c thread(): "%a" of t_sobj_ops cut to 11 characters (stbuf[11])
            ops = call.session.addr2str(r["sobj_ops"]) or "0" if r["sobj_ops"] else "0"
            call.printf(" %?p %?p %?p %11s", r["wchan"], r["ts"], 0, ops[:11])
        elif s == "s":
            call.printf(" %?p %016llx %016llx", 0, 0, 0)
        elif s == "d":
            # thread.c: t_disp_time, t_bind_cpu, t_preempt; today's mdb adds
            # SWITCH, lbolt - t_disp_time. A dump records no t_disp_time
            # (the image's is 0), so SWITCH is "-" padded to 6.
            if call.session.target.era == "opensolaris":
                call.printf(" %?lx %5d %2d", r["disp_time"], r["bound"], 0)
                continue
            call.printf(" %?lx %5d %2d ", r["disp_time"], r["bound"], 0)
            call.printf("%-6s", "-")
    call.printf("\n")


@module.dcmd("thread", "?", "display a summarized kthread_t",
             help="Summarize the thread at the address (or every thread).",
             options=[Opt("b", bool, "wait channel, turnstiles and synchronisation object"),
                      Opt("d", bool, "dispatcher: dispatch time, bound CPU, preemption, switch"),
                      Opt("f", bool, "skip free threads"),
                      Opt("i", bool, "state, flags and priorities (the default)"),
                      Opt("m", bool, "merge the column sets on one line"),
                      Opt("p", bool, "process, LWP and credential pointers"),
                      Opt("s", bool, "signal queue, pending and held signals")])
def thread(call: Call) -> int | None:
    dump = kdump(call)
    o = call.opts
    # thread.c thread(): the sets print in the order p, i, b, s, d
    sets = [s for s in "pibsd" if o[s]]
    merge = o["m"]
    if not sets:
        # the default set: 'i' under _LP64, 'i' and 'd' merged on a 32-bit kernel
        sets, merge = (["i"], merge) if call.session.ptr_width == 16 else (["i", "d"], True)
    threads = [thread_at(dump, call.addr)] if call.addrspec else dump.threads
    if call.hdrspec:
        _thread_header(call, sets, merge)
    for t in threads:
        if o["f"] and t.state == "free":
            continue
        call.emit("thread", thread_record(call, t), lambda c, r: _thread_row(c, r, sets, merge))
    return None


# ---------------------------------------------------------------------------
# ::threadlist
# ---------------------------------------------------------------------------
def _taskq_of(call: Call, t: Thread) -> "Taskq | None":
    """The queue whose thread T is (its t_taskq; kdb.target.taskqs)."""
    return taskqs(kdump(call)).of_thread.get(t.addr)


@module.dcmd("threadlist", "?", "display threads and associated C stack traces",
             help="List the threads (not free ones) with their process, LWP and\n"
                  "command.",
             options=[Opt("t", bool, "leave out taskq threads"),
                      Opt("v", bool, "also each thread's class, priority, wait channel, pc and stack,"
                                     " count arguments a frame (default 0)", operand="count")])
def threadlist(call: Call) -> int | None:
    dump = kdump(call)
    skip_tq, verbose = call.opts["t"], call.opts["v"]
    count = 0
    if call.args:                    # threadlist.c: one operand, and only with -v
        if len(call.args) != 1 or not verbose:
            return DCMD_USAGE
        count = call.session.arg_to_int(call.args[0])
    threads = [thread_at(dump, call.addr)] if call.addrspec else dump.threads
    if call.hdrspec:        # not pipe-aware (thread.c threadlist)
        if verbose:
            call.printf("%<u>%?s %?s %?s %3s %3s %?s%</u>\n", "ADDR", "PROC", "LWP", "CLS", "PRI", "WCHAN")
        else:
            call.printf("%<u>%?s %?s %?s %s%</u>\n", "ADDR", "PROC", "LWP", "CMD/LWPID")
    for t in threads:
        if t.state == "free" or (skip_tq and _taskq_of(call, t) is not None):
            continue
        rec = {"addr": t.addr, "proc": t.proc.addr, "lwp": t.lwp or 0, "cmd": thread_desc(call, t),
               "class": 0 if is_kernel_thread(t) else 1, "pri": t.pri, "wchan": t.wchan or 0}
        if not verbose:
            call.emit("thread", rec, lambda c, r: c.printf("%0?p %?p %?p %s\n", r["addr"], r["proc"],
                                                           r["lwp"], r["cmd"]))
            continue

        def render(c: Call, r: dict[str, Any], t: Thread = t) -> None:
            c.printf("%0?p %?p %?p %3u %3d %?p\n", r["addr"], r["proc"], r["lwp"], r["class"],
                     r["pri"], r["wchan"])
            with lower_indent(c, 2):
                pc = t.resume if t.resume is not None else (t.frames[0].pc if t.frames else 0)
                c.printf("PC: %a", pc)
                # thread.c threadlist -v: a taskq thread names its queue
                queue = _taskq_of(c, t)
                if is_kernel_thread(t) and queue is not None:
                    c.printf("    TASKQ: %s\n", queue.name)
                elif is_kernel_thread(t):
                    c.printf("    THREAD: %a()\n", t.start or 0)
                else:
                    c.printf("    CMD: %s\n", t.proc.psargs)
                findstack(c, t, verbose=False, with_fp=False, nargs=count)
            c.printf("\n")

        call.emit("thread", rec, render)
    return None


@module.walker("lwp", "global or per-process LWP (klwp_t) structures")
def walk_lwp(walk: Walk):
    dump = kdump(walk)
    threads = dump.threads
    if walk.addr is not None:
        threads = proc_at_walk(dump, walk.addr).threads
    return (t.lwp for t in threads if t.lwp)


def proc_at_walk(dump: Any, addr: int) -> Proc:
    """The process a walker starts at (mdb's walkers say "proc", not "proc_t")."""
    return entity_at(dump.proc_by_addr, addr, "proc")



# ---------------------------------------------------------------------------
# deathrow (thread.c deathrow_walk_step: t_forw from the list's head)
# ---------------------------------------------------------------------------
def _row(walk: Walk, var: str):
    """The threads on the deathrow list VAR heads, read through memory."""
    target = walk.session.target
    head = target.lookup_by_name(var)
    if head is None:
        raise CmdError(f"couldn't read symbol '{var}'")
    first = int.from_bytes(target.read(head, 8), "little")
    return (addr for addr, _ in follow(walk, first, "kthread_t", "t_forw", "deathrow thread"))


@module.walker("deathrow", "walk threads on both lwp_ and thread_deathrow")
def walk_deathrow(walk: Walk):
    yield from _row(walk, "thread_deathrow")
    yield from _row(walk, "lwp_deathrow")


@module.walker("thread_deathrow", "walk threads on thread_deathrow")
def walk_thread_deathrow(walk: Walk):
    return _row(walk, "thread_deathrow")


@module.walker("lwp_deathrow", "walk lwp_deathrow")
def walk_lwp_deathrow(walk: Walk):
    return _row(walk, "lwp_deathrow")
