"""Callouts: the timeouts pending when the dump was taken.

The facts are the dump's optional ``callouts`` section (docs/dump-format.md):
each pending callout's function and argument, the CPU whose table holds it,
its type (normal, or realtime), when it expires in clock ticks from the
dump's time (negative: overdue), and whether it is executing or based on
hrestime or absolute time. Everything else is derived here once per dump,
as illumos's callout.c (2009 and later) would have left it (sys/callo.h):

* one callout table per CPU sequence id and type, ``callout_table[seqid *
  CALLOUT_NTYPES + type]`` (CALLOUT_REALTIME 0, CALLOUT_NORMAL 1), of
  ``CALLOUT_NTYPES * max_ncpus`` tables; only the CPUs of the dump have a
  heap and a cyclic;
* extended ids: the table number in the low ``callout_table_bits`` bits
  (``CALLOUT_TYPE_BITS + highbit(max_ncpus)``), CALLOUT_COUNTER_HIGH, a
  counter per table and term above them (callout_counter_low apart),
  CALLOUT_LONGTERM for a timeout of CALLOUT_LONGTERM_TICKS or more, the
  generation at bit 32 and CALLOUT_EXECUTING;
* expirations in nanoseconds of hrtime: ``hrtime_last`` is the dump's
  ``lbolt`` in nanoseconds, a callout expires ``expires`` ticks of
  ``nsec_per_tick`` later;
* callout lists: one per table, expiration and hrestime/absolute flags,
  in the list hash bucket CALLOUT_CLHASH(expiration), callouts in the
  order given; lists already due are on the table's ``ct_expired`` list
  (waiting for the callout taskq or the softint), the others in the heap;
* the id hash: each callout in bucket CALLOUT_IDHASH(xid) of its table.
"""

from __future__ import annotations

from typing import Any

import attrs

from kdb.target.model import DERIVED
from kdb.target.systime import lbolt, max_ncpus

CALLOUT_ID_FREE = 0x8000000000000000
CALLOUT_EXECUTING = 0x4000000000000000
CALLOUT_ID_MASK = ~(CALLOUT_ID_FREE | CALLOUT_EXECUTING) & ((1 << 64) - 1)
CALLOUT_GENERATION_LOW = 0x100000000
CALLOUT_LONGTERM = 0x80000000
CALLOUT_COUNTER_HIGH = 0x40000000
CALLOUT_TYPE_BITS = 1
CALLOUT_NTYPES = 2
CALLOUT_TYPE_MASK = 1
CALLOUT_LONGTERM_TICKS = 0x4000
CALLOUT_BUCKET_SHIFT = 9
CALLOUT_BUCKETS = 1 << CALLOUT_BUCKET_SHIFT
CALLOUT_REALTIME, CALLOUT_NORMAL = 0, 1
LIST_ABSOLUTE, LIST_HRESTIME, LIST_HEAPED = 0x2, 0x4, 0x10
CALLOUT_REGION = 0xFFFFFF0976000000   # kdb's own: tables, hashes, lists, callouts

#: sys/callo.h (2009 and later), LP64
CALLOUT_TYPES = [
    "typedef struct callout_hash { void *ch_head; void *ch_tail; } callout_hash_t",
    "typedef struct callout_list { struct callout_list *cl_next; struct callout_list *cl_prev; "
    "hrtime_t cl_expiration; callout_hash_t cl_callouts; int cl_flags; } callout_list_t",
    "typedef struct callout { struct callout *c_idnext; struct callout *c_idprev; "
    "struct callout *c_clnext; struct callout *c_clprev; unsigned long long c_xid; "
    "callout_list_t *c_list; void (*c_func)(void *); void *c_arg; struct _kthread *c_executor; "
    "kcondvar_t c_done; unsigned short c_waiting; } callout_t",
    "typedef struct callout_heap { hrtime_t ch_expiration; callout_list_t *ch_list; } callout_heap_t",
    "typedef struct callout_table { kmutex_t ct_mutex; callout_t *ct_free; callout_list_t *ct_lfree; "
    "unsigned long long ct_short_id; unsigned long long ct_long_id; callout_hash_t *ct_idhash; "
    "callout_hash_t *ct_clhash; void *ct_kstat_data; unsigned int ct_type; unsigned int ct_suspend; "
    "void *ct_cyclic; callout_heap_t *ct_heap; unsigned long ct_heap_num; unsigned long ct_heap_max; "
    "void *ct_cache; void *ct_lcache; unsigned long long ct_gen_id; callout_hash_t ct_expired; "
    "struct taskq *ct_taskq; void *ct_kstats; int ct_nreap; void *ct_qcyclic; "
    "callout_hash_t ct_queue; } callout_table_t",
]
TABLE_SIZE, HASH_SIZE, LIST_SIZE, CALLOUT_SIZE, HEAP_SIZE = 0xC0, 0x10, 0x30, 0x50, 0x10


@attrs.define(slots=True)
class Callout:
    """A pending callout (``callout_t``)."""

    func: Any                     # a code location, resolved at load
    arg: int = 0
    cpu: int = 0                  # the CPU whose callout table holds it
    realtime: bool = False
    expires: int = 0              # ticks from the dump's time; negative: overdue
    executing: bool = False
    hrestime: bool = False
    absolute: bool = False
    # derived (callouts())
    addr: int = attrs.field(default=0, metadata=DERIVED)
    xid: int = attrs.field(default=0, metadata=DERIVED)
    table: int = attrs.field(default=0, metadata=DERIVED)
    exp: int = attrs.field(default=0, metadata=DERIVED)          # hrtime, ns
    list: Any = attrs.field(default=None, metadata=DERIVED)

    @property
    def longterm(self) -> bool:
        return self.expires >= CALLOUT_LONGTERM_TICKS


@attrs.define(slots=True)
class CalloutList:
    addr: int
    table: int
    exp: int
    flags: int
    bucket: int                   # -1: on ct_expired
    callouts: list[Callout] = attrs.Factory(list)


@attrs.define(slots=True)
class Table:
    index: int
    addr: int
    live: bool                    # a CPU of the dump: heap and cyclic set
    callouts: list[Callout] = attrs.Factory(list)
    lists: list[CalloutList] = attrs.Factory(list)
    idhash: int = 0
    clhash: int = 0
    heap: int = 0
    cyclic: int = 0

    @property
    def seqid(self) -> int:
        return self.index >> CALLOUT_TYPE_BITS

    @property
    def type(self) -> int:
        return self.index & CALLOUT_TYPE_MASK

    def id_buckets(self, ctbits: int) -> dict[int, list[Callout]]:
        out: dict[int, list[Callout]] = {}
        for c in self.callouts:
            out.setdefault(idhash(c.xid, ctbits), []).append(c)
        return out

    def list_buckets(self) -> dict[int, list[CalloutList]]:
        out: dict[int, list[CalloutList]] = {}
        for cl in self.lists:
            if cl.bucket >= 0:
                out.setdefault(cl.bucket, []).append(cl)
        return out


@attrs.define(slots=True)
class Callouts:
    tables: list[Table]
    base: int                     # callout_table: the array
    ctbits: int                   # callout_table_bits
    nsec_per_tick: int
    now: int                      # hrtime_last
    lbolt: int
    all: list[Callout]
    by_addr: dict[int, Any]       # callouts and lists by address


def clhash(exp: int) -> int:
    """CALLOUT_CLHASH."""
    x = exp & ((1 << 64) - 1)
    return (x ^ (x >> 9) ^ (x >> 18) ^ (x >> 27)) & (CALLOUT_BUCKETS - 1)


def idhash(xid: int, ctbits: int) -> int:
    """CALLOUT_IDHASH: the hash of the id bits above the table number."""
    return (xid >> ctbits) & (CALLOUT_BUCKETS - 1)


def callouts(dump: Any) -> Callouts:
    """The dump's callout tables, derived once (kept on the dump)."""
    if dump.callouts is not None:
        return dump.callouts
    ncpu = max_ncpus(dump)
    ctbits = CALLOUT_TYPE_BITS + ncpu.bit_length()
    nspt = 1_000_000_000 // max(dump.system.hz, 1)
    ticks = lbolt(dump)
    now = ticks * nspt
    seqid = {c.id: i for i, c in enumerate(sorted(dump.cpus, key=lambda c: c.id))}
    ntables = CALLOUT_NTYPES * ncpu
    base = CALLOUT_REGION
    nxt = base + ntables * TABLE_SIZE
    tables = [Table(i, base + i * TABLE_SIZE, (i >> CALLOUT_TYPE_BITS) < len(dump.cpus))
              for i in range(ntables)]
    counters: dict[tuple[int, bool], int] = {}
    by_addr: dict[int, Any] = {}
    lists: dict[tuple[int, int, int], CalloutList] = {}
    for c in dump.callout_specs:
        t = tables[seqid.get(c.cpu, 0) * CALLOUT_NTYPES + (CALLOUT_REALTIME if c.realtime else CALLOUT_NORMAL)]
        c.table = t.index
        k = counters.get((t.index, c.longterm), 0) + 1
        counters[(t.index, c.longterm)] = k
        c.xid = (CALLOUT_GENERATION_LOW | (CALLOUT_LONGTERM if c.longterm else 0) | CALLOUT_COUNTER_HIGH
                 | ((k << ctbits) & (CALLOUT_COUNTER_HIGH - 1)) | t.index
                 | (CALLOUT_EXECUTING if c.executing else 0))
        c.exp = now + c.expires * nspt
        c.addr, nxt = nxt, nxt + CALLOUT_SIZE
        by_addr[c.addr] = c
        t.callouts.append(c)
        flags = (LIST_HRESTIME if c.hrestime else 0) | (LIST_ABSOLUTE if c.absolute else 0)
        key = (t.index, c.exp, flags)
        cl = lists.get(key)
        if cl is None:
            due = c.exp <= now
            cl = CalloutList(nxt, t.index, c.exp, flags | (0 if due else LIST_HEAPED),
                             -1 if due else clhash(c.exp))
            nxt += LIST_SIZE
            lists[key] = cl
            t.lists.append(cl)
            by_addr[cl.addr] = cl
        cl.callouts.append(c)
        c.list = cl
    for t in tables:
        if t.live:
            t.heap, nxt = nxt, nxt + HEAP_SIZE * max(64, len(t.lists))
            t.cyclic, nxt = nxt, nxt + 0x40
        if t.callouts:
            t.idhash, nxt = nxt, nxt + HASH_SIZE * CALLOUT_BUCKETS
            t.clhash, nxt = nxt, nxt + HASH_SIZE * CALLOUT_BUCKETS
    result = Callouts(tables, base, ctbits, nspt, now, ticks, list(dump.callout_specs), by_addr)
    dump.callouts = result
    return result
