"""The ``cpu_dispq`` walker (thread.c cpu_dispq_walk_init, dispq_walk_step):
a CPU's run queue read from its ``disp_t`` as mdb reads it, lowest priority
first (the walk climbs disp_q from priority 0), each priority's threads
from dq_first along t_link to dq_last (kdb.target.dispq)."""

from __future__ import annotations

from kdb.errors import CmdError
from kdb.modapi import Module, Walk

from .._kernel import read_struct

module = Module("genunix", targets=("kernel",))


@module.walker("cpu_dispq", "given a cpu_t, walk its dispatcher queue")
def walk_cpu_dispq(walk: Walk):
    if not walk.addr:
        raise CmdError("cpu_dispq walk needs a cpu_t address")
    cpu = read_struct(walk, "cpu_t", walk.addr, "cpu_t")
    disp = read_struct(walk, "disp_t", cpu["cpu_disp"], "disp_t")
    size = walk.session.target.types.lookup("dispq_t").size

    def threads():
        base, npri = disp["disp_q"], disp["disp_npri"]
        for pri in range(max(npri, 0)):
            dq = read_struct(walk, "dispq_t", base + pri * size, "dispq_t")
            addr, last, seen = dq["dq_first"], dq["dq_last"], 0
            while addr and seen < 1 << 20:
                yield addr
                if addr == last:
                    break
                addr = read_struct(walk, "kthread_t", addr, "kthread_t")["t_link"]
                seen += 1
    return threads()
