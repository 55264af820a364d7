"""``$r``, ``::regs`` and ``$?``: the current thread's registers (mdb's kvm
target: kt_regs in mdb_kvm.c, which calls mdb_amd64_printregs in
usr/src/cmd/mdb/intel/mdb/mdb_amd64util.c for amd64).

The current thread is the panic thread on a crash dump (its registers are
the panic's, ``panic_reg``); a dump without saved registers gets mdb's
EMDB_NOREGS text.
"""

from __future__ import annotations

from kdb.errors import CmdError
from kdb.modapi import DCMD_USAGE, Call, Module, OBJECT, STR

from .._kernel import kdump

module = Module("kdb", targets=("kernel",), builtin=True)

# records (--format json; docs/json-output.md)
module.record("registers", {"thread": STR, "registers": OBJECT})

#: mdb_err.c: EMDB_NOREGS
ENOREGS = "no register set available for thread"

# rflags bits (mdb_kreg.h KREG_EFLAGS_*)
_FLAG_BITS = (("OF", 11), ("DF", 10), ("IF", 9), ("TF", 8), ("SF", 7), ("ZF", 6), ("AF", 4),
              ("PF", 2), ("CF", 0))


def _bit(v: int, n: int) -> int:
    return (v >> n) & 1


def print_amd64(call: Call, r: dict[str, int], era: str) -> None:
    """mdb_amd64_printregs, line for line; the segment lines are per era:
    the OpenSolaris one prints %gs after %fs, illumos adds fsbase and gsbase
    (mdb_amd64util.c after the 2018 Joyent change)."""
    g = r.get
    p = call.printf
    pairs = (("rax", "r9 "), ("rbx", "r10"), ("rcx", "r11"), ("rdx", "r12"), ("rsi", "r13"),
             ("rdi", "r14"), ("r8 ", "r15"))
    for i, (a, b) in enumerate(pairs):
        va, vb = g(a.strip(), 0), g(b.strip(), 0)
        p("%%%s = 0x%0?p %15A %%%s = 0x%0?p %A\n", a, va, va, b, vb, vb)
    p("\n")
    rip = g("rip", 0)
    p("%%rip = 0x%0?p %A\n", rip, rip)
    p("%%rbp = 0x%0?p\n", g("rbp", 0))
    p("%%rsp = 0x%0?p\n", g("rsp", 0))
    p("\n")
    fl = g("rflags", 0)
    p("%%rflags = 0x%08x\n", fl)
    p("  id=%u vip=%u vif=%u ac=%u vm=%u rf=%u nt=%u iopl=0x%x\n", _bit(fl, 21), _bit(fl, 20),
      _bit(fl, 19), _bit(fl, 18), _bit(fl, 17), _bit(fl, 16), _bit(fl, 14), (fl >> 12) & 3)
    p("  status=<%s>\n\n", ",".join(n if _bit(fl, b) else n.lower() for n, b in _FLAG_BITS))
    p("%24s%%cs = 0x%04x\t%%ds = 0x%04x\t%%es = 0x%04x\n", " ", g("cs", 0), g("ds", 0), g("es", 0))
    if era == "opensolaris":
        p("%%trapno = 0x%x\t\t%%fs = 0x%04x\t%%gs = 0x%04x\n", g("trapno", 0), g("fs", 0) & 0xFFFF,
          g("gs", 0) & 0xFFFF)
        p("   %%err = 0x%x\n", g("err", 0))
    else:
        p("%%trapno = 0x%x\t\t%%fs = 0x%04x\tfsbase = 0x%0?p\n", g("trapno", 0), g("fs", 0) & 0xFFFF,
          g("fsbase", 0))
        p("   %%err = 0x%x\t\t%%gs = 0x%04x\tgsbase = 0x%0?p\n", g("err", 0), g("gs", 0) & 0xFFFF,
          g("gsbase", 0))


def regs(call: Call) -> int | None:
    dump = kdump(call)
    if call.addrspec:
        return DCMD_USAGE
    if dump.kmdb is not None and call.session.target.kind == "kmdb":
        # kmdb_kvm.c kmt_regs: ::cpuregs of the CPU kmdb stopped on
        return cpu_registers(call, dump.kmdb.cpu)
    if dump.panic is None or not dump.panic.registers:
        raise CmdError(ENOREGS)
    show(call, dict(dump.panic.registers), dump.panic.thread)
    return None


def show(call: Call, r: dict[str, int], thread: int | None) -> None:
    """One register set, as mdb_amd64_printregs lays it out, and its record."""
    call.emit("registers", {"thread": f"0x{thread:x}" if thread else "",
                            "registers": {k: f"0x{v:x}" for k, v in r.items()}},
              lambda c, rec: print_amd64(c, r, c.session.target.era))


_HELP = ("Print the general-purpose registers of the current thread: the panic\n"
         "thread's registers saved when the system panicked.")
module.dcmd("$r", None, "print general-purpose registers", help=_HELP)(regs)
module.dcmd("$?", None, "print status and registers", help=_HELP)(regs)
module.dcmd("regs", None, "print general-purpose registers", help=_HELP)(regs)


def cpu_registers(call: Call, cpuid: int) -> int | None:
    """kmt_cpuregs: kmdb_dpi_get_gregs(cpuid), printed as $r prints."""
    c = kdump(call).cpu_by_id.get(cpuid)
    if c is None or not c.registers:
        # kaif_cpuid2save: a CPU kmdb holds no saved state for is EINVAL
        raise CmdError(f"failed to retrieve registers for cpu {cpuid}: Invalid argument")
    show(call, dict(c.registers), c.thread)
    return None
