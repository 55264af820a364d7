"""Parser of ``::thread``'s output with any of its column sets (thread.c
thread: -i, the default, -p, -b, -s, -d; merged with -m or a line per set)."""

from __future__ import annotations

import re

from kdb.imports.facts import Entity, Facts
from kdb.imports.outputs import THREAD_STATES, hexval

#: thread.c thread: each column set's first header word, and how many values it prints
THREAD_SETS = {"STATE": ("i", 8), "PROC": ("p", 3), "WCHAN": ("b", 4), "SIGQUEUE": ("s", 3),
               "DISPTIME": ("d", 3)}
#: ::thread -b's SOBJ OPS column (the ops vector's name cut to 11) -> the sobj type
OPS_TYPES = {"mutex_sobj_": "mutex", "rw_sobj_ops": "rwlock", "cv_sobj_ops": "cv", "sema_sobj_o": "sema",
             "lwp_sobj_op": "user", "lwp_sobj_pi": "user_pi", "shuttle_sob": "shuttle"}


def _thread_layout(text: str) -> list[tuple[str, int]] | None:
    """The column sets one header line of ::thread names, each with its
    value count (today's -d adds SWITCH); None if it is not a header."""
    words = text.replace("SOBJ OPS", "SOBJ_OPS").replace("SIG PEND", "SIG_PEND") \
        .replace("SIG HELD", "SIG_HELD").split()
    if words[:1] == ["ADDR"]:
        words = words[1:]
    sets: list[tuple[str, int]] = []
    for i, w in enumerate(words):
        if w in THREAD_SETS:
            name, n = THREAD_SETS[w]
            if name == "d" and "SWITCH" in words[i:i + 4]:
                n = 4
            sets.append((name, n))
    return sets or None


def thread(f: Facts, out: list[str], line: int, problems: list[tuple[int, str]], options: str) -> None:
    """thread.c thread, any of -i (the default) -p -b -s -d, merged (-m) or
    a line per set: the header names the sets; each thread's lines give its
    state, flags, priorities and PIL (-i), its process and LWP (-p), its
    wait channel and sync object type (-b)."""
    layout: list[list[tuple[str, int]]] = []
    pending: list[str] = []
    addr = 0

    def take(n: int) -> None:          # the thread whose first line is line N
        values = " ".join(pending).split()
        rest = values
        t = f.thread(addr)
        for sets in layout:
            for name, count in sets:
                vals, rest = rest[:count], rest[count:]
                if len(vals) < count:
                    problems.append((n, f"::thread: a short line for thread {addr:x}"))
                    return
                _thread_set(t, name, vals, n, problems)

    first = 0
    for k, text in enumerate(out):
        n = line + 1 + k
        head = _thread_layout(text) if not re.match(r"^[0-9a-f]{8,16} ", text) else None
        if head is not None:
            if text.lstrip().startswith("ADDR"):
                if pending:
                    take(first)
                layout, pending = [], []
            layout.append(head)
            continue
        m = re.match(r"^(?P<t>[0-9a-f]{8,16})(?P<rest> .*)$", text)
        if m is not None and layout:
            if pending:
                take(first)
            addr, pending, first = hexval(m.group("t")), [m.group("rest")], n
        elif text.startswith(" ") and pending and len(pending) < len(layout):
            pending.append(text)
        elif text.strip():
            problems.append((n, f"::thread: not a thread line: {text[:60]!r}"))
    if pending:
        take(first)


def _thread_set(t: Entity, name: str, vals: list[str], n: int, problems: list[tuple[int, str]]) -> None:
    if name == "i":
        if vals[0] not in THREAD_STATES or not all(re.fullmatch(r"-?[0-9a-f]+", v) for v in vals[1:7]):
            problems.append((n, f"::thread: not a thread's state and flags: {' '.join(vals)[:60]!r}"))
            return
        t.put("state", THREAD_STATES[vals[0]], n)
        for key, v in zip(("flags", "pflags", "sflags"), vals[1:4]):
            t.put(key, hexval(v), n)
        for key, v in zip(("pri", "epri", "pil"), vals[4:7]):
            t.put(key, int(v), n)
    elif name in "pbs" and not all(re.fullmatch(r"[0-9a-f]{1,16}", v) for v in vals[:3]):
        problems.append((n, f"::thread: not addresses: {' '.join(vals)[:60]!r}"))
    elif name == "p":
        t.put("proc_addr", hexval(vals[0]), n)
        if hexval(vals[1]):
            t.put("lwp", hexval(vals[1]), n)
    elif name == "b":
        if hexval(vals[0]):
            t.put("wchan", hexval(vals[0]), n)
        kind = OPS_TYPES.get(vals[3])
        if kind is not None:
            t.put("sobj_type", kind, n)
