"""How mdb names a thread: the CMD/LWPID column of ``::threadlist`` and
the description ``::findstack`` prints (thread.c threadlist)."""

from __future__ import annotations

from typing import Callable

from kdb.numbers import numtostr
from kdb.target.model import Dump, Thread
from kdb.target.taskqs import taskqs


def is_kernel_thread(t: Thread) -> bool:
    """A thread of p0, or one with no LWP id."""
    return t.proc.pid == 0 or t.tid == 0


def describe(dump: Dump, t: Thread, addr2str: Callable[[int], str | None]) -> str:
    """``comm/tid`` (and `` [name]``) for a process's thread; a kernel
    thread's name, its task queue's ``tq:NAME``, or ``start()`` with the
    start pc as ``%a`` (ADDR2STR) prints it."""
    if not is_kernel_thread(t):
        text = f"{t.proc.comm}/{t.tid}"
        if t.name:
            text += f" [{t.name}]"
        return text
    if t.name:
        return t.name
    queue = taskqs(dump).of_thread.get(t.addr)
    if queue is not None:           # thread.c: " tq:%s", the queue's tq_name
        return f"tq:{queue.name}"
    # thread.c threadlist: mdb_printf(" %a()\n", t.t_startpc); a thread
    # the dump gives no start pc has t_startpc 0 in its image
    start = t.start or 0
    return (addr2str(start) or numtostr(start, 16, showbase=start > 9)) + "()"
