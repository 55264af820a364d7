"""Task queues: each ``taskq_t``, its threads and its pending tasks.

The facts come from the dump's optional ``taskqs`` section (docs/dump-format.md):
a queue's address, name, instance, whether it is dynamic, its high-water
mark, its pending tasks (function and argument) and, optionally, its
threads. A dump without the section still has task queues: its kernel
threads named ``tq:NAME`` (as kdb-gen and the bundled scenarios name them)
form one queue per name, in the order the names first appear. A queue
that lists no threads takes the ``tq:NAME`` threads no other queue claims.

Derived here once per dump, as illumos's taskq.c would have left the
``taskq_t`` (sys/taskq_impl.h, the 2009 layout mdb's taskq.c reads):

* ``tq_nthreads`` the queue's threads; ``tq_active`` those not waiting for
  work: a thread waits for work when it sleeps in ``taskq_thread_wait``
  (or, in builds before it existed, in ``cv_wait`` called straight from
  ``taskq_thread``), so ``::taskq``'s ACT and ``::taskq -t`` (the stacks
  outside taskq_thread_wait) agree;
* ``tq_tasks - tq_executed`` the pending tasks, ``tq_maxtasks`` the
  high-water mark (at least the pending tasks);
* ``TASKQ_DYNAMIC`` for a dynamic queue, whose threads are its buckets'
  (``tq_tcreates``; the active ones counted in its one bucket's
  ``tqbucket_nalloc``), ``TASKQ_NOINSTANCE`` for a queue without an instance
  (numbered in creation order, which ``::taskq`` sorts them by);
* a derived queue's address: the condition variable its idle threads sleep
  on, less ``offsetof(taskq_t, tq_dispatch_cv)``, when they share one;
  else an address in kdb's own region.
"""

from __future__ import annotations

from typing import Any

import attrs

from kdb.target.model import DERIVED, Thread
from kdb.target.symbols import parse_location

TASKQ_NAMELEN = 31
TASKQ_DYNAMIC = 0x0004            # sys/taskq.h
TASKQ_NOINSTANCE = 0x00040000     # sys/taskq_impl.h
DISPATCH_CV_OFFSET = 0x30         # offsetof (taskq_t, tq_dispatch_cv): name[32], a mutex, an rwlock
TASKQ_REGION = 0xFFFFFF0974000000  # kdb's own: derived queues, pending entries, thread lists
ENT_SIZE = 0x38                   # sizeof (taskq_ent_t) on LP64
TASKQ_SIZE = 0xE8                 # sizeof (taskq_t) on LP64 (the declaration below)

#: taskq_t and friends as illumos declared them in 2009 (sys/taskq_impl.h)
TASKQ_TYPES = [
    "typedef struct tqstat { unsigned int tqs_hits; unsigned int tqs_misses; unsigned int tqs_overflow; "
    "unsigned int tqs_tcreates; unsigned int tqs_tdeaths; unsigned int tqs_maxthreads; "
    "unsigned int tqs_nomem; unsigned int tqs_disptcreates; } tqstat_t",
    "typedef struct taskq_ent { struct taskq_ent *tqent_next; struct taskq_ent *tqent_prev; "
    "void (*tqent_func)(void *); void *tqent_arg; struct taskq_bucket *tqent_bucket; "
    "struct _kthread *tqent_thread; kcondvar_t tqent_cv; } taskq_ent_t",
    "typedef struct taskq_bucket { kmutex_t tqbucket_lock; struct taskq *tqbucket_taskq; "
    "taskq_ent_t tqbucket_freelist; unsigned int tqbucket_nalloc; unsigned int tqbucket_nfree; "
    "kcondvar_t tqbucket_cv; unsigned short tqbucket_flags; hrtime_t tqbucket_totaltime; "
    "tqstat_t tqbucket_stat; } taskq_bucket_t",
    "typedef struct taskq { char tq_name[32]; kmutex_t tq_lock; krwlock_t tq_threadlock; "
    "kcondvar_t tq_dispatch_cv; kcondvar_t tq_wait_cv; kcondvar_t tq_exit_cv; pri_t tq_pri; "
    "unsigned int tq_flags; int tq_active; int tq_nthreads; int tq_nthreads_target; "
    "int tq_nthreads_max; int tq_threads_ncpus_pct; int tq_nalloc; int tq_minalloc; int tq_maxalloc; "
    "taskq_ent_t *tq_freelist; taskq_ent_t tq_task; int tq_maxsize; taskq_bucket_t *tq_buckets; "
    "int tq_instance; unsigned int tq_nbuckets; "
    "union { struct _kthread *_tq_thread; struct _kthread **_tq_threadlist; } tq_thr; "
    "void *tq_kstat; hrtime_t tq_totaltime; int tq_tasks; int tq_executed; int tq_maxtasks; "
    "int tq_tcreates; int tq_tdeaths; } taskq_t",
]


@attrs.define(slots=True)
class Task:
    """A pending task (``taskq_ent_t``): the function and its argument."""

    func: Any                     # a code location, resolved to an address at load
    arg: int = 0
    addr: int = attrs.field(default=0, metadata=DERIVED)


@attrs.define(slots=True)
class Taskq:
    """A task queue as the dump gives it (the ``taskqs`` section)."""

    addr: int
    name: str
    instance: int | None = None   # None: TASKQ_NOINSTANCE
    dynamic: bool = False
    maxq: int = 0
    executed: int = 0
    pri: int = 60                 # minclsyspri
    threads: list[int] | None = None
    queue: list[Task] = attrs.Factory(list)
    # derived (taskqs())
    members: list[Thread] = attrs.field(factory=list, metadata=DERIVED)
    seq: int = attrs.field(default=0, metadata=DERIVED)        # creation order
    active: int = attrs.field(default=0, metadata=DERIVED)
    idle_cv: int = attrs.field(default=0, metadata=DERIVED)    # the cv idle threads sleep on
    list_addr: int = attrs.field(default=0, metadata=DERIVED)  # tq_threadlist (several threads)
    bucket: int = attrs.field(default=0, metadata=DERIVED)     # a dynamic queue's bucket

    @property
    def flags(self) -> int:
        return (TASKQ_DYNAMIC if self.dynamic else 0) | (TASKQ_NOINSTANCE if self.instance is None else 0)

    @property
    def pending(self) -> int:
        return len(self.queue)

    @property
    def high_water(self) -> int:
        return max(self.maxq, len(self.queue))


@attrs.define(slots=True)
class Taskqs:
    """A dump's task queues, with the thread -> queue map (``t_taskq``)."""

    all: list[Taskq]
    by_addr: dict[int, Taskq]
    of_thread: dict[int, Taskq]
    #: condition variables that are a queue's tq_dispatch_cv (their image is the queue's)
    embedded_cvs: set[int]


def _waits_for_work(dump: Any, t: Thread) -> bool:
    """taskq_thread's own wait: asleep in taskq_thread_wait, or in a cv_wait
    called from taskq_thread itself."""
    if t.state != "sleep":
        return False
    funcs = []
    for pc in t.proc.unpack_stack.pcs(t):
        if isinstance(pc, str):
            found = parse_location(pc)
            funcs.append(found[1] if found else "")
        else:
            sym = dump.symbols.containing(int(pc))
            funcs.append(sym.name if sym is not None else "")
    if "taskq_thread_wait" in funcs:
        return True
    for i, f in enumerate(funcs):
        if f.startswith("cv_") and i + 1 < len(funcs) and funcs[i + 1] == "taskq_thread":
            return True
    return False


def taskqs(dump: Any) -> Taskqs:
    """The dump's task queues, derived once (kept on the dump)."""
    if dump.taskqs is not None:
        return dump.taskqs
    given: list[Taskq] = list(dump.taskq_specs)
    claimed = {a for q in given if q.threads is not None for a in q.threads}
    by_name: dict[str, list[Thread]] = {}
    for t in dump.threads:
        if t.name and t.name.startswith("tq:") and t.proc.pid == 0 and t.addr not in claimed \
                and t.state != "free":
            by_name.setdefault(t.name[3:], []).append(t)
    named = {q.name for q in given}
    queues = given + [Taskq(0, n) for n in by_name if n not in named]
    next_free = TASKQ_REGION
    taken = {q.addr for q in given}
    for seq, q in enumerate(queues):
        q.seq = seq
        if q.threads is not None:
            q.members = [dump.thread_by_addr[a] for a in q.threads]
        else:
            q.members = by_name.get(q.name, [])
            by_name[q.name] = []            # a name's threads go to its first queue
        idle = [t for t in q.members if _waits_for_work(dump, t)]
        q.active = len(q.members) - len(idle)
        cvs = {t.wchan or 0 for t in idle if t.sobj_type == "cv"}
        q.idle_cv = cvs.pop() if len(cvs) == 1 else 0
        if not q.addr:
            cand = q.idle_cv - DISPATCH_CV_OFFSET if q.idle_cv else 0
            if not cand or any(abs(cand - o) < TASKQ_SIZE for o in taken) or cand in dump.thread_by_addr:
                cand, next_free = next_free, next_free + 0x200
            q.addr = cand
            taken.add(cand)
    for q in queues:
        for task in q.queue:
            if not task.addr:
                task.addr, next_free = next_free, next_free + 0x40
        if len(q.members) > 1 and not q.dynamic:
            q.list_addr, next_free = next_free, next_free + 8 * len(q.members)
        if q.dynamic:
            q.bucket, next_free = next_free, next_free + 0x80
    of_thread = {t.addr: q for q in queues for t in q.members}
    embedded = {q.addr + DISPATCH_CV_OFFSET for q in queues
                if q.idle_cv == q.addr + DISPATCH_CV_OFFSET}
    result = Taskqs(queues, {q.addr: q for q in queues}, of_thread, embedded)
    dump.taskqs = result
    return result


def sorted_for_display(qs: list[Taskq]) -> list[Taskq]:
    """taskq.c tqcmp: dynamic queues last; NOINSTANCE first, in creation
    order; the others by name (case-insensitive), then instance."""
    def key(q: Taskq) -> tuple:
        noinst = q.instance is None
        return (q.dynamic, not noinst, "" if noinst else q.name.lower(),
                q.seq if noinst else q.instance)
    return sorted(qs, key=key)
