"""Locks and wait channels: ``::wchaninfo``, ``::mutex``, ``::rwlock`` and
the ``wchan`` walker."""

from __future__ import annotations

from typing import Any

from kdb.errors import CmdError, ReadError
from kdb.analysis.locks import lock_waiters, sleepers
from kdb.target.dump.blocking import TS_WRITER_Q, rwlock_queues
from kdb.target.model import Thread
from kdb.modapi import ADDR, DCMD_USAGE, INT, LIST, STR, Call, Module, Opt, Walk

from .._kernel import kdump

module = Module("genunix", targets=("kernel",))

# records (--format json; docs/json-output.md); waiters are thread addresses
module.record("wchan", {"addr": ADDR, "type": STR, "nwaiters": INT, "waiters": LIST},
              addresses=("thread",))
module.record("mutex", {"addr": ADDR, "mutex_type": STR, "owner": [ADDR, None], "minspl": INT,
                        "oldspl": INT, "waiters": LIST}, addresses=("waiters",))
module.record("rwlock", {"addr": ADDR, "writer": [ADDR, None], "readers": INT, "bits": INT,
                         "waiters": LIST}, addresses=("thread",))

# rwlock word bits (illumos rwlock_impl.h)
RW_HAS_WAITERS, RW_WRITE_WANTED, RW_WRITE_LOCKED = 0x1, 0x2, 0x4
RW_DOUBLE_LOCK = 0xC      # RW_WRITE_LOCK(0) | RW_READ_LOCK: a destroyed lock
RW_LBL_WIDTH = 12


class RwWidths:
    """sobj.c's ::rwlock columns: RW_ADDR_WIDTH and RW_OWNR_WIDTH are 16
    and 16 under _LP64, 8 and 11 on a 32-bit kernel; the rest derive."""

    def __init__(self, ptr_width: int) -> None:
        self.addr = ptr_width
        self.owner = 16 if ptr_width == 16 else 11
        self.long = self.addr + 1 + self.owner                        # RW_LONG
        self.lbl_offset = self.addr + self.owner - 3 - RW_LBL_WIDTH   # RW_LBL_OFFSET
        self.waiter_offset = self.long + 6                            # RW_WAITER_OFFSET


def _chan_type(threads: list[Thread]) -> str:
    """sobj.c wchaninfo_twalk: the sobj type of the first sleeper."""
    kind = threads[0].sobj_type if threads else None
    return {"cv": "cond", "sema": "sema"}.get(kind or "", "??")


@module.walker("wchan", "given a wchan, list of blocked threads")
def walk_wchan(walk: Walk):
    table = sleepers(kdump(walk))
    if walk.addr is None:
        return iter(table)
    return (t.addr for t in table.get(walk.addr, []))


@module.dcmd("wchaninfo", "?", "list wait channels",
             help="List the wait channels (condition variables and semaphores) that\n"
                  "threads sleep on, with the number of waiters.",
             options=[Opt("v", bool, "name each waiter and its process")])
def wchaninfo(call: Call) -> int | None:
    dump = kdump(call)
    o = call.opts
    table = sleepers(dump)
    chans = [call.addr] if call.addrspec else list(table)
    # sobj.c wchaninfo: the header on every call (not underlined), into a
    # pipe too (not pipe-aware)
    if o["v"]:
        call.printf("%-?s %-4s %8s   %-?s %s\n", "ADDR", "TYPE", "NWAITERS", "THREAD", "PROC")
    else:
        call.printf("%-?s %-4s %8s\n", "ADDR", "TYPE", "NWAITERS")
    for a in chans:
        ts = table.get(a, [])
        rec = {"addr": a, "type": _chan_type(ts) if ts else "??", "nwaiters": len(ts),
               "waiters": [{"thread": t.addr, "proc": t.proc.comm} for t in ts]}

        def render(c: Call, r: dict[str, Any]) -> None:
            c.printf("%0?p %4s %8d", r["addr"], r["type"], r["nwaiters"])
            if not o["v"]:
                c.printf("\n")
            elif r["waiters"]:
                first, *more = r["waiters"]
                c.printf(":  %0?p %s\n", first["thread"], first["proc"])
                for w in more:
                    # sobj.c: sizeof (uintptr_t) * 2 + 17 columns in
                    c.printf("%*s%0?p %s\n", c.session.ptr_width + 17, "", w["thread"], w["proc"])
            # -v on a channel nobody sleeps on ends no line: sobj.c
            # wchaninfo_walk leaves the newline to the waiters it prints

        call.emit("wchan", rec, render)
    return None


@module.dcmd("mutex", ":", "dump out an adaptive or spin mutex",
             help="Print the kernel mutex at the address: its type, owner (adaptive)\n"
                  "or held flag and SPLs (spin), and whether threads wait for it.",
             options=[Opt("f", bool, "print an address that does not hold a valid mutex anyway")])
def mutex(call: Call) -> int | None:
    dump = kdump(call)
    o = call.opts
    if not call.addrspec:
        return DCMD_USAGE
    so = dump.sobj_by_addr.get(call.addr)
    if (so is None or so.type != "mutex") and not o["f"]:
        # sobj.c mutex: mdb_warn("%a: invalid adaptive mutex (-f to dump anyway)\n")
        where = call.session.addr2str(call.addr) or f"{call.addr:x}"
        raise CmdError(f"{where}: invalid adaptive mutex (-f to dump anyway)")
    waiters = [t.addr for t in lock_waiters(dump, call.addr, "mutex")]
    rec = {"addr": call.addr, "mutex_type": so.kind if so is not None and so.type == "mutex" else "adaptive",
           "owner": so.owner if so is not None and so.type == "mutex" else None,
           "minspl": so.minspl if so is not None else 0, "oldspl": so.oldspl if so is not None else 0,
           "waiters": waiters}
    if call.hdrspec and not call.pipe_out:
        call.printf("%<u>%?s %5s %?s %6s %6s %7s%</u>\n", "ADDR", "TYPE", "HELD", "MINSPL", "OLDSPL",
                    "WAITERS")

    def render(c: Call, r: dict[str, Any]) -> None:
        if r["mutex_type"] == "spin":
            # sobj.c mutex: a held spin lock shows its old SPL, a free one "-"
            if r["owner"]:
                c.printf("%0?p %5s %?s %6d %6d %7s\n", r["addr"], "spin", "yes", r["minspl"],
                         r["oldspl"], "-")
            else:
                c.printf("%0?p %5s %?s %6d %6s %7s\n", r["addr"], "spin", "no", r["minspl"], "-", "-")
            return
        c.printf("%0?p %5s ", r["addr"], "adapt")
        if r["owner"]:
            c.printf("%?p", r["owner"])
        else:
            c.printf("%?s", "no")
        c.printf(" %6s %6s %7s\n", "-", "-", "yes" if r["waiters"] else "no")

    call.emit("mutex", rec, render)
    return None


@module.dcmd("rwlock", ":", "dump out a readers/writer lock",
             help="Print the readers/writer lock at the address: its owner or reader\n"
                  "count, its flag bits with their names, and the threads waiting.")
def rwlock(call: Call) -> int | None:
    dump = kdump(call)
    if call.args or not call.addrspec:
        return DCMD_USAGE
    w = RwWidths(call.session.ptr_width)
    so = dump.sobj_by_addr.get(call.addr)
    if so is None or so.type != "rwlock":
        # sobj.c reads whatever word is there; no thread is blocked on it
        try:
            wwwh = int.from_bytes(call.session.target.read(call.addr, 8), "little")
        except ReadError:
            raise CmdError(f"failed to read rwlock at 0x{call.addr:x}") from None
        locked = wwwh & RW_WRITE_LOCKED and (wwwh & RW_DOUBLE_LOCK) != RW_DOUBLE_LOCK
        rec: dict[str, Any] = {"addr": call.addr, "writer": (wwwh & ~0x7) if locked else None,
               "readers": 0 if wwwh & RW_WRITE_LOCKED else wwwh >> 3, "bits": wwwh & 0xF,
               "waiters": []}
    else:
        # sobj.c rwlock: the blocked walk visits the threads in the thread
        # walk's order and rwlock_walk prepends each: the waiters print last
        # found first
        waiters = lock_waiters(dump, call.addr, "rwlock")
        queued = list(zip(waiters, rwlock_queues(so, waiters)))[::-1]
        bits = (RW_WRITE_LOCKED if so.writer else 0) | (RW_WRITE_WANTED if so.write_wanted else 0) | \
            (RW_HAS_WAITERS if waiters else 0)
        rec = {"addr": so.addr, "writer": so.writer, "readers": so.readers, "bits": bits,
               "waiters": [{"thread": t.addr, "kind": "W" if q == TS_WRITER_Q else "R"} for t, q in queued]}
    call.printf("%?s %*s %5s %?s\n", "ADDR", w.owner, "OWNER/COUNT", "FLAGS", "WAITERS")

    def render(c: Call, r: dict[str, Any]) -> None:
        # sobj.c rwlock, line for line (RW_NEWLINE: the next waiter, if
        # any, then the newline)
        ws = list(r["waiters"])
        b = r["bits"]

        def newline() -> None:
            if ws:
                wt = ws.pop(0)
                c.printf(" %?p (%s)", wt["thread"], wt["kind"])
            c.printf("\n")

        def bit(n: int, offon: str) -> str:
            return offon[1] if b & (1 << n) else offon[0]

        destroyed = (b & RW_DOUBLE_LOCK) == RW_DOUBLE_LOCK
        c.printf("%?p ", r["addr"])
        if destroyed:
            c.printf("%*s", w.owner, "1")
        elif r["writer"] is not None and b & RW_WRITE_LOCKED:
            c.printf("%*p", w.owner, r["writer"])
        else:
            c.printf("%*s", w.owner, f"READERS={r['readers']}" if r["readers"] else "-")
        c.printf("  B%c%c%c", bit(2, "01"), bit(1, "01"), bit(0, "01"))
        newline()
        c.printf("%*s%c   %c%c%c", w.long - 1, "", " |"[destroyed], bit(2, " |"), bit(1, " |"),
                 bit(0, " |"))
        newline()
        if destroyed:
            # goto no_zero: the DESTROYED label ends no line of its own
            c.printf("%*s%*s --+---+", w.lbl_offset, "", RW_LBL_WIDTH, "DESTROYED")
        else:
            if b & RW_WRITE_LOCKED:
                c.printf("%*s%*s ------+%c%c", w.lbl_offset, "", RW_LBL_WIDTH, "WRITE_LOCKED",
                         bit(1, " |"), bit(0, " |"))
                newline()
            if b & RW_WRITE_WANTED:
                c.printf("%*s%*s -------+%c", w.lbl_offset, "", RW_LBL_WIDTH, "WRITE_WANTED",
                         bit(0, " |"))
                newline()
            if b & RW_HAS_WAITERS:
                c.printf("%*s%*s --------+", w.lbl_offset, "", RW_LBL_WIDTH, "HAS_WAITERS")
                newline()
        while ws:
            c.printf("%*s", w.waiter_offset, "")
            newline()

    call.emit("rwlock", rec, render)
    return None

