"""Parsers of the sync-object dcmds' output (sobj.c): ``::wchaninfo [-v]``,
``::mutex`` and ``::rwlock``: which threads wait on what, who owns it."""

from __future__ import annotations

import re

from kdb.imports.facts import Facts
from kdb.imports.outputs import hexval

WCHAN_ROW = re.compile(r"^(?P<addr>[0-9a-f]{1,16}) (?P<type>\w+) +(?P<n>\d+)(?::  (?P<t>[0-9a-f]{1,16}) (?P<proc>.*))?$")
WCHAN_MORE = re.compile(r"^ {20,}(?P<t>[0-9a-f]{8,16}) (?P<proc>.*)$")
WCHAN_TYPES = {"cond": "cv", "sema": "sema", "mutex": "mutex", "rwlock": "rwlock"}
MUTEX_ROW = re.compile(r"^(?P<addr>[0-9a-f]{1,16}) (?P<kind>adapt|spin) +(?P<held>[0-9a-f]{1,16}|-) +(?P<minspl>\S+) +"
                       r"(?P<oldspl>\S+) +(?P<waiters>yes|no)$")


def wchaninfo(f: Facts, out: list[str], line: int, problems: list[tuple[int, str]], options: str) -> None:
    """sobj.c wchaninfo: each wait channel's type and waiters; with -v the
    waiting threads: each waits there, on that type of object."""
    cur: tuple[int, str] | None = None
    for k, text in enumerate(out):
        n = line + 1 + k
        if text.split()[:3] == ["ADDR", "TYPE", "NWAITERS"]:
            continue
        m = WCHAN_ROW.match(text)
        more = WCHAN_MORE.match(text) if m is None else None
        if m is not None:
            kind = WCHAN_TYPES.get(m.group("type"))
            if kind is None:
                problems.append((n, f"::wchaninfo: an unknown type {m.group('type')!r}"))
                cur = None
                continue
            cur = (hexval(m.group("addr")), kind)
            w = f.wchan(cur[0])
            w.put("type", kind, n)
            w.put("waiters", int(m.group("n")), n)
            tid, pname = m.group("t"), m.group("proc")
        elif more is not None and cur is not None:
            tid, pname = more.group("t"), more.group("proc")
        else:
            if text.strip():
                problems.append((n, f"::wchaninfo: not a wait channel line: {text[:60]!r}"))
            continue
        if tid is not None and cur is not None:
            t = f.thread(hexval(tid))
            t.put("wchan", cur[0], n)
            t.put("sobj_type", cur[1], n)
            if pname and pname.strip() not in ("-", "?"):
                t.put("comm_hint", pname.strip(), n)


def mutex(f: Facts, out: list[str], line: int, problems: list[tuple[int, str]], options: str) -> None:
    """sobj.c mutex: an adaptive lock's owner (HELD), a spin lock's SPLs."""
    for k, text in enumerate(out):
        n = line + 1 + k
        if text.split()[:2] == ["ADDR", "TYPE"]:
            continue
        m = MUTEX_ROW.match(text.strip())
        if m is None:
            if text.strip():
                problems.append((n, f"::mutex: not a mutex line: {text[:60]!r}"))
            continue
        w = f.wchan(hexval(m.group("addr")))
        w.put("type", "mutex", n)
        w.put("kind", "adaptive" if m.group("kind") == "adapt" else "spin", n)
        if m.group("held") != "-":
            w.put("owner", hexval(m.group("held")), n)


RW_FIRST = re.compile(r"^(?P<addr>[0-9a-f]{1,16}) +(?P<owner>[0-9a-f]{1,16}|READERS=\d+|-|1)  "
                      r"B(?P<bits>[01]{3})(?: (?P<w>[0-9a-f]{1,16}) \((?P<k>[RW])\))?$")
RW_WAITER = re.compile(r" (?P<w>[0-9a-f]{8,16}) \((?P<k>[RW])\)$")


def rwlock(f: Facts, out: list[str], line: int, problems: list[tuple[int, str]], options: str) -> None:
    """sobj.c rwlock: the owner (a writer's address or READERS=N), the flag
    bits B<write locked><write wanted><has waiters> and the waiters, one
    per line at the ends of the lines, each (R)eader or (W)riter. mdb
    prints them in the reverse of the thread walk's order (rwlock_walk
    prepends each thread the blocked walk finds)."""
    cur: int | None = None
    waiters: list[tuple[int, str, int]] = []

    def done() -> None:
        if cur is not None:
            _rwlock_waiters(f, cur, waiters, problems)

    for k, text in enumerate(out):
        n = line + 1 + k
        if text.split()[:3] == ["ADDR", "OWNER/COUNT", "FLAGS"]:
            done()
            cur, waiters = None, []
            continue
        m = RW_FIRST.match(text)
        if m is not None:
            done()
            cur, waiters = hexval(m.group("addr")), []
            w = f.wchan(cur)
            w.put("type", "rwlock", n)
            owner, bits = m.group("owner"), m.group("bits")
            if owner == "1":
                problems.append((n, "::rwlock: a destroyed lock (RW_DOUBLE_LOCK) is not imported"))
                cur = None
                continue
            writer = bits[0] == "1" and owner != "-" and not owner.startswith("READERS=")
            w.put("writer", hexval(owner) if writer else None, n)
            w.put("readers", int(owner.split("=")[1]) if owner.startswith("READERS=") else 0, n)
            w.put("write_wanted", bits[1] == "1", n)
            if m.group("w"):
                waiters.append((hexval(m.group("w")), m.group("k"), n))
            continue
        more = RW_WAITER.search(text)
        if more is not None and cur is not None:
            waiters.append((hexval(more.group("w")), more.group("k"), n))
        elif cur is None or not (set(text) <= set(" |-+") or text.strip().split(" ")[0] in RW_LABELS):
            if text.strip():
                problems.append((n, f"::rwlock: not a readers/writer lock line: {text[:60]!r}"))
    done()


#: the flag labels of the lines under an rwlock's row (sobj.c rwlock)
RW_LABELS = ("WRITE_LOCKED", "WRITE_WANTED", "HAS_WAITERS", "DESTROYED")


def _rwlock_waiters(f: Facts, lock: int, waiters: list[tuple[int, str, int]],
                    problems: list[tuple[int, str]]) -> None:
    """The threads an rwlock's listing names: each blocked on it. The dump
    format keeps no turnstile queue: kdb takes the first waiter of a lock
    with WRITE_WANTED for the writer, the others for readers
    (docs/dump-format.md); a listing that says otherwise is noted."""
    w = f.wchan(lock)
    for addr, _, n in waiters:
        t = f.thread(addr)
        t.put("wchan", lock, n)
        t.put("sobj_type", "rwlock", n)
    f.orders.append([a for a, _, _ in reversed(waiters)])
    kinds = [k for _, k, _ in reversed(waiters)]
    derived = ["W" if i == 0 and w.get("write_wanted") else "R" for i in range(len(kinds))]
    if kinds != derived:
        f.notes.append(f"rwlock {lock:x}: the waiters' queues ({''.join(kinds)} in thread order) are not "
                       "the ones kdb derives (a writer first when WRITE_WANTED): ::rwlock will mark them "
                       f"{''.join(derived)}")
