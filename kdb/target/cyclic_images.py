"""Cyclics in memory: each CPU's ``cpu_cyclic`` points at its
``cyc_cpu_t``, with its ``cyclic_t`` array and its heap of indices, from
kdb.target.cyclics (what ::cycinfo and ::cyclic read)."""

from __future__ import annotations

from typing import Any

from kdb.target.ctype import TypeSystem
from kdb.target.cyclics import cyc_cpus, handler_addr
from kdb.target.images import Strings, encode
from kdb.target.memory import AddressSpace


def add_cyclic_images(sp: AddressSpace, ts: TypeSystem, dump: Any, strings: Strings) -> None:
    cpu_t, cyc_t = ts.lookup("cyc_cpu_t"), ts.lookup("cyclic_t")
    for cc in cyc_cpus(dump):
        size = 8
        sp.add_bytes(cc.addr, encode(cpu_t, {
            "cyp_cpu": cc.cpu.addr, "cyp_heap": cc.heap_addr, "cyp_cyclics": cc.cyclics_addr,
            "cyp_nelems": len(cc.cyclics), "cyp_size": size, "cyp_state": cc.state}))
        sp.add_bytes(cc.cyclics_addr, b"".join(
            encode(cyc_t, {"cy_expire": y.expire, "cy_interval": y.interval,
                           "cy_handler": handler_addr(dump, y.handler), "cy_level": y.level})
            for y in cc.cyclics).ljust(cyc_t.size * size, b"\0"))
        heap = cc.heap + [i for i in range(size) if i not in cc.heap]
        sp.add_bytes(cc.heap_addr, b"".join(i.to_bytes(4, "little") for i in heap))
