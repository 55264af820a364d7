"""kmdb's own dcmds (kmdb_kvm.c kmt_dcmds): ``::cpuregs`` and ``::cpustack``,
each CPU's registers as it saved them on entering the debugger (the dump's
``cpus[].registers``) and its stack. Only on a kmdb target (``kdb --kmdb``),
as in kmdb; mdb on a crash dump has neither."""

from __future__ import annotations

from kdb.errors import CmdError
from kdb.modapi import DCMD_USAGE, Call, Module, Opt

from .._kernel import MDB_NARGS, kdump, print_frames
from .regs import cpu_registers

module = Module("kdb", targets=("kmdb",), builtin=True)


def _cpuid(call: Call) -> int:
    """The CPU a command names: -c cpuid, a cpu_t address (mdb_cpu2cpuid),
    or the CPU kmdb stopped on (DPI_MASTER_CPUID)."""
    dump = kdump(call)
    if call.addrspec:
        c = dump.cpu_by_addr.get(call.addr)
        if c is None:
            raise CmdError(f"failed to find cpuid for cpu at {call.addr:x}: no mapping for address")
        return c.id
    if call.opts["c"] is not None:
        return call.opts["c"]
    assert dump.kmdb is not None
    return dump.kmdb.cpu


@module.dcmd("cpuregs", "?[-c cpuid]", "print general-purpose registers for a specific CPU",
             help="Print the registers the CPU saved when it entered kmdb (the CPU kmdb\n"
                  "stopped on without -c or an address; an address is a cpu_t).",
             options=[Opt("c", int, "the CPU's id", arg="cpuid", usage="")])
def cpuregs(call: Call) -> int | None:
    if call.args or (call.addrspec and call.opts["c"] is not None):
        return DCMD_USAGE
    return cpu_registers(call, _cpuid(call))


@module.dcmd("cpustack", "?[-v] [-c cpuid] [cnt]", "print stack backtrace for a specific CPU",
             help="The stack of what the CPU was running when it entered kmdb, as $c\n"
                  "prints it ($C with -v), with at most cnt arguments a frame.",
             options=[Opt("v", bool, "print frame pointers and all arguments, as $C", usage=""),
                      Opt("c", int, "the CPU's id", arg="cpuid", usage="")])
def cpustack(call: Call) -> int | None:
    if len(call.args) > 1:
        return DCMD_USAGE
    dump = kdump(call)
    cpuid = _cpuid(call)
    c = dump.cpu_by_id.get(cpuid)
    t = dump.thread_by_addr.get(c.thread) if c is not None and c.thread else None
    if c is None or t is None:
        raise CmdError(f"failed to retrieve registers for cpu {cpuid}: Invalid argument")
    nargs = call.session.arg_to_int(call.args[0]) if call.args else (None if call.opts["v"] else MDB_NARGS)
    frames = list(t.frames)
    call.emit("stack", {"thread": t.addr, "frames": [{"fp": f.fp, "pc": f.pc, "args": list(f.args)}
                                                      for f in frames]},
              lambda cl, r: print_frames(cl, frames, with_fp=bool(call.opts["v"]), nargs=nargs))
    return None
