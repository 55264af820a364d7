"""Cyclics: each CPU's cyclic subsystem state (sys/cyclic_impl.h), derived.

Every illumos CPU runs the same cyclics, so a dump needs no section for
them: the ``deadman`` (omnipresent, CY_HIGH_LEVEL, every second), one
cyclic per callout table of the CPU (``callout_realtime`` and
``callout_normal``, CY_LOW_LEVEL, one-shot: each fires at its table's
earliest callout, or never), and on CPU 0 the clock (``clock``,
CY_LOCK_LEVEL) and the high-resolution tick (``cbe_hres_tick``,
CY_HIGH_LEVEL), every tick. A periodic cyclic next fires at the first
multiple of its interval after ``hrtime_last``. Each CPU's ``cpu_cyclic``
points at its ``cyc_cpu_t``, whose heap orders the cyclics by expiration
(a sorted array is a heap), root first.
"""

from __future__ import annotations

from typing import Any

import attrs

from kdb.target.callouts import LIST_HEAPED, callouts
from kdb.target.model import Symbol

CY_LOW_LEVEL, CY_LOCK_LEVEL, CY_HIGH_LEVEL = 0, 1, 2
CYS_ONLINE, CYS_OFFLINE = 0, 1
CY_INFINITY = (1 << 63) - 1
NANOSEC = 1_000_000_000
CYP_SIZE = 8                         # the cyclics array (grows by doubling)
CYC_REGION = 0xFFFFFF0978800000      # kdb's own: one cyc_cpu_t, cyclics and heap per CPU
CYC_STRIDE = 0x1000
CYCLICS_OFFSET, HEAP_OFFSET = 0x100, 0x800

#: sys/cyclic_impl.h, the members ::cycinfo and ::cyclic read
CYCLIC_TYPES = [
    "typedef struct cyclic { hrtime_t cy_expire; hrtime_t cy_interval; void (*cy_handler)(void *); "
    "void *cy_arg; unsigned int cy_pend; unsigned short cy_flags; int cy_level; } cyclic_t",
    "typedef struct cyc_cpu { struct cpu *cyp_cpu; unsigned int *cyp_heap; cyclic_t *cyp_cyclics; "
    "unsigned int cyp_nelems; unsigned int cyp_size; int cyp_state; } cyc_cpu_t",
]


@attrs.define(slots=True)
class Cyclic:
    handler: str
    level: int
    interval: int                    # ns; CY_INFINITY - expire for a one-shot
    expire: int                      # ns of hrtime


@attrs.define(slots=True)
class CycCpu:
    cpu: Any
    addr: int
    state: int
    cyclics: list[Cyclic]
    heap: list[int]                  # cyclic indices, root first

    @property
    def cyclics_addr(self) -> int:
        return self.addr + CYCLICS_OFFSET

    @property
    def heap_addr(self) -> int:
        return self.addr + HEAP_OFFSET


def cyc_cpus(dump: Any) -> list[CycCpu]:
    """Each CPU's cyclic state, in the order of ``dump.cpus``."""
    co = callouts(dump)
    now = co.now
    tick = co.nsec_per_tick
    out: list[CycCpu] = []
    for i, c in enumerate(dump.cpus):
        cycs: list[Cyclic] = []

        def periodic(handler: str, level: int, interval: int) -> Cyclic:
            return Cyclic(handler, level, interval, (now // interval + 1) * interval)
        if i == 0:
            cycs += [periodic("clock", CY_LOCK_LEVEL, tick), periodic("cbe_hres_tick", CY_HIGH_LEVEL, tick)]
        cycs.append(periodic("deadman", CY_HIGH_LEVEL, NANOSEC))
        for t, handler in zip(co.tables[2 * i:2 * i + 2], ("callout_realtime", "callout_normal")):
            heaped = [cl.exp for cl in t.lists if cl.flags & LIST_HEAPED]
            due = [cl.exp for cl in t.lists if not cl.flags & LIST_HEAPED]
            expire = min(due) if due else min(heaped) if heaped else CY_INFINITY
            cycs.append(Cyclic(handler, CY_LOW_LEVEL, CY_INFINITY - expire, expire))
        heap = sorted(range(len(cycs)), key=lambda k: (cycs[k].expire, k))
        state = CYS_OFFLINE if "offline" in c.state else CYS_ONLINE
        out.append(CycCpu(c, CYC_REGION + CYC_STRIDE * i, state, cycs, heap))
    return out


#: the handlers' modules, and where kdb places those a dump does not declare
HANDLERS = {"clock": "genunix", "cbe_hres_tick": "unix", "deadman": "genunix",
            "callout_realtime": "genunix", "callout_normal": "genunix"}
HANDLER_TEXT = 0xFFFFFFFFFB7F0000


def place_handlers(dump: Any) -> None:
    """Give every cyclic handler a function symbol: the dump's own, or one
    in kdb's small text region (::cycinfo prints them by name)."""
    table = dump.symbols
    for k, (name, module) in enumerate(sorted(HANDLERS.items())):
        if table.lookup(name) is None:
            table.add_data(Symbol(name, HANDLER_TEXT + 0x100 * k, 0x100, "func", module, synthetic=True))


def handler_addr(dump: Any, name: str) -> int:
    sym = dump.symbols.lookup(name)
    return sym.addr if sym is not None else 0
