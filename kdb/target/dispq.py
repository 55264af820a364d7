"""Dispatcher queues: each CPU's run queue, and its ``disp_t`` in memory.

A CPU's run queue is its threads in state ``run`` whose ``cpu`` is that
CPU, its idle thread aside (docs/dump-format.md, "cpus"): the one fact
``::cpuinfo`` (NRUN, the ``-v`` list, highest priority first) and the
``cpu_dispq`` walker both read. In memory, as illumos's disp.c keeps it
(sys/disp.h): ``cpu_disp`` points at the CPU's ``disp_t``, whose
``disp_q`` is an array of ``disp_npri`` (v_nglobpris, 170) ``dispq_t``,
one per priority; the threads of a priority are linked first come first
through ``t_link`` from ``dq_first`` to ``dq_last``.
"""

from __future__ import annotations

from typing import Any

from kdb.target.model import Thread

NGLOBPRIS = 170
DISP_REGION = 0xFFFFFF0977000000     # kdb's own: one disp_t and its queues per CPU
DISP_STRIDE = 0x2000                 # a disp_t and 170 dispq_t (0x40 + 0xff0 bytes)
DISPQ_OFFSET = 0x40                  # the dispq_t array, after the disp_t

#: sys/disp.h
DISP_TYPES = [
    "typedef struct dispq { struct _kthread *dq_first; struct _kthread *dq_last; int dq_sruncnt; } dispq_t",
    "typedef struct _disp { unsigned char disp_lock; pri_t disp_npri; dispq_t *disp_q; "
    "dispq_t *disp_q_limit; unsigned long *disp_qactmap; pri_t disp_maxrunpri; "
    "pri_t disp_max_unbound_pri; volatile int disp_nrunnable; struct cpupart *disp_cpupart; } disp_t",
]


def run_queues(dump: Any) -> dict[int, list[Thread]]:
    """Each CPU id's run queue, highest priority first (first come first
    within a priority: the dump's order)."""
    idle = {c.id: c.idle_thread for c in dump.cpus}
    out: dict[int, list[Thread]] = {}
    for t in dump.threads:
        if t.state == "run" and t.cpu is not None and t.addr != idle.get(t.cpu):
            out.setdefault(t.cpu, []).append(t)
    for q in out.values():
        q.sort(key=lambda t: -t.pri)
    return out


def disp_addr(dump: Any, cpu_index: int) -> int:
    """Where the disp_t of the CPU at CPU_INDEX (in ``dump.cpus``) is."""
    return DISP_REGION + DISP_STRIDE * cpu_index


def links(queues: dict[int, list[Thread]]) -> dict[int, int]:
    """Each queued thread's t_link (QUEUES: run_queues()): the next thread
    of its priority."""
    out: dict[int, int] = {}
    for q in queues.values():
        by_pri: dict[int, list[Thread]] = {}
        for t in q:
            by_pri.setdefault(t.pri, []).append(t)
        for same in by_pri.values():
            for a, b in zip(same, same[1:]):
                out[a.addr] = b.addr
    return out


def disp_values(dump: Any, cpu_index: int, q: list[Thread], dispq_t: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The disp_t of the CPU at CPU_INDEX, whose run queue is Q, and its
    dispq_t array."""
    base = disp_addr(dump, cpu_index) + DISPQ_OFFSET
    queues: list[dict[str, Any]] = [{} for _ in range(NGLOBPRIS)]
    for t in q:
        if 0 <= t.pri < NGLOBPRIS:
            slot = queues[t.pri]
            slot.setdefault("dq_first", t.addr)
            slot["dq_last"] = t.addr
            slot["dq_sruncnt"] = slot.get("dq_sruncnt", 0) + 1
    return ({"disp_npri": NGLOBPRIS, "disp_q": base, "disp_q_limit": base + NGLOBPRIS * dispq_t.size,
             "disp_maxrunpri": max((t.pri for t in q), default=-1),
             "disp_max_unbound_pri": max((t.pri for t in q), default=-1), "disp_nrunnable": len(q)},
            queues)
