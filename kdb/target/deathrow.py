"""Deathrow: the free threads waiting for the reaper (thread.c thread_exit,
reapq_add). A kernel thread that exits waits on ``thread_deathrow``, a
user thread (its LWP exited) on ``lwp_deathrow``, each list linked through
``t_forw``; the threads stay on allthreads (``::walk thread``) until
reaped. In a dump they are the threads in state ``free`` but interrupt
threads (T_INTR_THREAD in ``flags``: a CPU's idle interrupt threads are
free too, and wait on the CPU's interrupt thread pool instead); a
process's free threads are off its thread list (Proc.tlist).
"""

from __future__ import annotations

from typing import Any


T_INTR_THREAD = 0x0001      # sys/thread.h


def deathrow(dump: Any) -> tuple[list[Any], list[Any]]:
    """(thread_deathrow, lwp_deathrow): the free threads, in the dump's order."""
    free = [t for t in dump.threads if t.state == "free" and not t.flags & T_INTR_THREAD]
    return [t for t in free if t.proc.pid == 0], [t for t in free if t.proc.pid != 0]


def deathrow_next(dump: Any) -> dict[int, int]:
    """Each deathrow thread's t_forw: the next on its list, 0 at the end."""
    out: dict[int, int] = {}
    for row in deathrow(dump):
        for a, b in zip(row, row[1:] + [None]):
            out[a.addr] = b.addr if b is not None else 0
    return out
