"""Task queues in memory: a ``taskq_t`` at each queue's address, its pending
``taskq_ent_t`` list (circular, through ``tq_task``), its thread list
(``tq_threadlist``, or ``tq_thread`` for a queue of one thread) and a
dynamic queue's bucket. The values come from kdb.target.taskqs, as the
dcmds' (dcmds/genunix/taskq.py), so ``::taskq`` and ``::print taskq_t``
agree.
"""

from __future__ import annotations

import functools
from typing import Any

from kdb.target.ctype import TypeSystem
from kdb.target.images import Strings, encode, lazily
from kdb.target.memory import AddressSpace
from kdb.target.taskqs import DISPATCH_CV_OFFSET, Taskq, taskqs


def add_taskq_images(sp: AddressSpace, ts: TypeSystem, dump: Any, strings: Strings) -> None:
    tqs = taskqs(dump)
    if not tqs.all:
        return
    tq_t, ent_t, bucket_t = ts.lookup("taskq_t"), ts.lookup("taskq_ent_t"), ts.lookup("taskq_bucket_t")
    task_member = tq_t.member("tq_task")
    assert task_member is not None
    head_off = task_member.offset
    freelist = bucket_t.member("tqbucket_freelist")
    assert freelist is not None
    waiting: dict[int, int] = {}
    for t in dump.threads:
        if t.sobj_type == "cv" and t.wchan in tqs.embedded_cvs:
            waiting[t.wchan] = waiting.get(t.wchan, 0) + 1

    def queue_image(q: Taskq) -> bytes:
        head = q.addr + head_off
        ents = q.queue
        n = len(q.members)
        many = n > 1 and not q.dynamic
        return encode(tq_t, {
            "tq_name": q.name, "tq_dispatch_cv": {"_opaque": 1 if waiting.get(q.addr + DISPATCH_CV_OFFSET) else 0},
            "tq_pri": q.pri, "tq_flags": q.flags,
            "tq_active": 0 if q.dynamic else q.active, "tq_nthreads": 0 if q.dynamic else n,
            "tq_nthreads_target": 0 if q.dynamic else n, "tq_nthreads_max": 0 if q.dynamic else n,
            "tq_task": {"tqent_next": ents[0].addr if ents else head,
                        "tqent_prev": ents[-1].addr if ents else head},
            "tq_buckets": q.bucket, "tq_nbuckets": 1 if q.dynamic else 0,
            "tq_instance": q.seq if q.instance is None else q.instance,
            "tq_thr": {"_tq_threadlist": q.list_addr} if many
            else {"_tq_thread": q.members[0].addr if n and not q.dynamic else 0},
            "tq_tasks": q.executed + q.pending, "tq_executed": q.executed, "tq_maxtasks": q.high_water,
            "tq_tcreates": n if q.dynamic else 0})

    for q in tqs.all:
        sp.add(q.addr, tq_t.size, lazily(functools.partial(queue_image, q)))
        head = q.addr + head_off
        ents = q.queue
        for i, task in enumerate(ents):
            sp.add_bytes(task.addr, encode(ent_t, {
                "tqent_next": ents[i + 1].addr if i + 1 < len(ents) else head,
                "tqent_prev": ents[i - 1].addr if i else head,
                "tqent_func": task.func, "tqent_arg": task.arg}))
        if q.list_addr:
            sp.add_bytes(q.list_addr, b"".join(t.addr.to_bytes(8, "little") for t in q.members))
        if q.bucket:
            fl = q.bucket + freelist.offset
            sp.add_bytes(q.bucket, encode(bucket_t, {
                "tqbucket_taskq": q.addr, "tqbucket_freelist": {"tqent_next": fl, "tqent_prev": fl},
                "tqbucket_nalloc": q.active, "tqbucket_nfree": len(q.members) - q.active}))
