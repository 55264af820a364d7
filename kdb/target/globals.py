"""The kernel's well-known variables: typed data symbols whose memory holds
what the dump says, where mdb and its dcmds read them (``hz/D``,
``*panicstr/s``, ``utsname::print``, ``mdb_readvar(&x, "devcnt")``).

Each variable is declared once here: its module, its C type, and where its
value comes from. Some are the dump's entities themselves (``p0`` is pid
0's proc_t, ``t0`` its first thread, ``cpus`` CPU 0's cpu_t, ``zone0`` the
global zone, ``modules`` the first modctl): the symbol is placed at the
entity and its image is the entity's. The others live in a region of their
own (GLOBALS_BASE) with images made from the model, and a dump may set the
values it knows that the model does not (``globals``: ``physmem``,
``freemem``, ``availrmem``, ``boothowto``, ``kmem_flags``, ``snooping``).
A dump that declares one of these symbols itself keeps its address.
"""

from __future__ import annotations

from typing import Any, Callable

import attrs

from kdb.target.images import encode
from kdb.target.model import Dump, Symbol
from kdb.target.callouts import callouts
from kdb.target.deathrow import deathrow
from kdb.target.kmem import kmem
from kdb.target.systime import NCPU, epoch as _epoch, lbolt, max_ncpus
from kdb.target.turnstiles import turnstiles

GLOBALS_BASE = 0xFFFFFFFFFBE00000


#: sys/utsname.h
SYS_NMLN = 257

#: the kernel types these variables need beyond kdb.target.images's
GLOBAL_TYPES = [
    "typedef long greg_t",
    "typedef unsigned long pgcnt_t",
    f"struct utsname {{ char sysname[{SYS_NMLN}]; char nodename[{SYS_NMLN}]; "
    f"char release[{SYS_NMLN}]; char version[{SYS_NMLN}]; char machine[{SYS_NMLN}]; }}",
    # intel/sys/regset.h, amd64 (the order resume and trap save them in)
    "struct regs { greg_t r_savfp; greg_t r_savpc; greg_t r_rdi; greg_t r_rsi; greg_t r_rdx; "
    "greg_t r_rcx; greg_t r_r8; greg_t r_r9; greg_t r_rax; greg_t r_rbx; greg_t r_rbp; "
    "greg_t r_r10; greg_t r_r11; greg_t r_r12; greg_t r_r13; greg_t r_r14; greg_t r_r15; "
    "greg_t __r_fsbase; greg_t __r_gsbase; greg_t r_ds; greg_t r_es; greg_t r_fs; greg_t r_gs; "
    "greg_t r_trapno; greg_t r_err; greg_t r_rip; greg_t r_cs; greg_t r_rfl; greg_t r_rsp; "
    "greg_t r_ss; }",
]

#: the dump's panic register names -> struct regs members
REGS_MEMBERS = {"fsbase": "__r_fsbase", "gsbase": "__r_gsbase", "rflags": "r_rfl", "savfp": "r_savfp",
                "savpc": "r_savpc"}

#: values a dump may set in its ``globals`` section (the model has no other
#: source for them); every other variable comes from the dump's entities
SETTABLE = ("physmem", "freemem", "availrmem", "boothowto", "kmem_flags", "snooping", "max_ncpus")


@attrs.frozen
class Var:
    """One variable: ``at`` places it on an entity (its address, or None
    when the dump lacks that entity); ``value`` makes its image."""

    name: str
    module: str
    ctype: str
    at: Callable[[Dump], int | None] | None = None
    value: Callable[["Context"], Any] | None = None
    #: a copy of the image at this address (``panic_cpu``: the panicking CPU)
    copy_of: Callable[[Dump], int | None] | None = None
    #: whether the dump has the variable at all (default: every dump)
    present: Callable[[Dump], bool] | None = None


@attrs.define
class Context:
    """What a variable's value may use: the dump, string interning (for
    ``char *``), and the addresses of the other variables."""

    dump: Dump
    string: Callable[[str], int]
    addr: Callable[[str], int]


def _p0(d: Dump) -> int | None:
    p = d.proc_by_pid.get(0)
    return p.addr if p is not None else None


def _t0(d: Dump) -> int | None:
    p = d.proc_by_pid.get(0)
    return p.tlist[0].addr if p is not None and p.tlist else None


def _cpu0(d: Dump) -> int | None:
    c = d.cpu_by_id.get(0) or (d.cpus[0] if d.cpus else None)
    return c.addr if c is not None else None


def _zone0(d: Dump) -> int | None:
    z = d.zone_by_id.get(0)
    return z.addr if z is not None else None


def _modules(d: Dump) -> int | None:
    mods = sorted(d.modules, key=lambda m: m.id)
    return mods[0].addr if mods else None


def devcnt(d: Dump) -> int:
    """The size of the devnames array: one slot per major up to the highest."""
    return max((m.major for m in d.majors), default=-1) + 1


def _row_head(d: Dump, which: int) -> int:
    row = deathrow(d)[which]
    return row[0].addr if row else 0


def _online(d: Dump) -> int:
    return sum(1 for c in d.cpus if "offline" not in c.state and "poweroff" not in c.state)


def _practive(d: Dump) -> int:
    """The head of the active process list: the newest process (fork puts
    each new process first), as Dump.proc_children orders siblings."""
    if not d.procs:
        return 0
    newest = max(d.procs, key=lambda p: (_epoch(p.start) or 0, p.pid))
    return newest.addr


def _panic_cpu_addr(d: Dump) -> int | None:
    if d.panic is None or d.panic.cpu is None:
        return None
    c = d.cpu_by_id.get(d.panic.cpu)
    return c.addr if c is not None else None


def _utsname(c: Context) -> dict[str, str]:
    s = c.dump.system
    return {"sysname": s.sysname, "nodename": s.nodename, "release": s.release,
            "version": s.version, "machine": s.machine}


def _cpu_array(c: Context) -> list[int]:
    out = [0] * max_ncpus(c.dump)
    for cpu in c.dump.cpus:
        if 0 <= cpu.id < len(out):
            out[cpu.id] = cpu.addr
    return out


def _panic_regs(c: Context) -> dict[str, int]:
    p = c.dump.panic
    regs = dict(p.registers) if p is not None else {}
    return {REGS_MEMBERS.get(n, "r_" + n): v for n, v in regs.items()}


def _setting(name: str, default: int = 0) -> Callable[[Context], int]:
    return lambda c: int(c.dump.globals.get(name, default))


def _has_kmem(d: Dump) -> bool:
    return d.kmem_spec is not None


def _pages(field: str) -> Callable[[Context], int]:
    """A page count of ::memstat's (kdb.target.kmem), or the dump's own setting."""
    def value(c: Context) -> int:
        if field in c.dump.globals:
            return int(c.dump.globals[field])
        km = kmem(c.dump)
        return int(getattr(km.pages, field) or 0) if km is not None else 0
    return value


def _first_arena(c: Context) -> int:
    """vmem_list: the first arena created (the list goes on through vm_next)."""
    km = kmem(c.dump)
    return km.arenas[0].addr if km is not None and km.arenas else 0


def _arena(name: str) -> Callable[[Context], int]:
    def value(c: Context) -> int:
        km = kmem(c.dump)
        a = km.arena_by_name.get(name) if km is not None else None
        return a.addr if a is not None else 0
    return value


VARS: list[Var] = [
    Var("utsname", "unix", "struct utsname", value=_utsname),
    Var("hz", "genunix", "int", value=lambda c: c.dump.system.hz),
    Var("ncpus", "unix", "int", value=lambda c: len(c.dump.cpus)),
    Var("ncpus_online", "unix", "int", value=lambda c: _online(c.dump)),
    Var("max_ncpus", "unix", "int", value=lambda c: max_ncpus(c.dump)),
    Var("physmem", "unix", "pgcnt_t", value=_pages("physmem")),
    Var("freemem", "unix", "pgcnt_t", value=_setting("freemem")),
    Var("availrmem", "unix", "pgcnt_t", value=_setting("availrmem")),
    Var("lbolt", "genunix", "clock_t", value=lambda c: lbolt(c.dump)),
    Var("lbolt64", "genunix", "int64_t", value=lambda c: lbolt(c.dump)),
    Var("panicstr", "genunix", "char *",
        value=lambda c: c.string(c.dump.panic.message) if c.dump.panic is not None else 0),
    Var("panic_thread", "genunix", "kthread_t *",
        value=lambda c: (c.dump.panic.thread or 0) if c.dump.panic is not None else 0),
    # trap()'s saved registers (PANIC_REGS below), for mdb's kvm target
    Var("panic_reg", "genunix", "struct regs *",
        value=lambda c: c.addr(PANIC_REGS) if c.dump.panic is not None else 0),
    # panic() copies the panicking CPU's cpu_t here
    Var("panic_cpu", "unix", "cpu_t", copy_of=_panic_cpu_addr),
    Var("p0", "genunix", "proc_t", at=_p0),
    Var("t0", "unix", "kthread_t", at=_t0),
    Var("practive", "genunix", "proc_t *", value=lambda c: _practive(c.dump)),
    Var("nthread", "genunix", "int", value=lambda c: len(c.dump.threads)),
    Var("cpus", "unix", "cpu_t", at=_cpu0),
    Var("cpu", "unix", "cpu_t *[]", value=_cpu_array),
    Var("cpu_list", "unix", "cpu_t *", value=lambda c: _cpu0(c.dump) or 0),
    Var("zone0", "genunix", "zone_t", at=_zone0),
    Var("global_zone", "genunix", "zone_t *", value=lambda c: _zone0(c.dump) or 0),
    # the devnames array: entry N at devnamesp + N * sizeof (struct devnames)
    Var("devnamesp", "genunix", "struct devnames *",
        value=lambda c: c.dump.majors[0].devnames - 0x40 * c.dump.majors[0].major if c.dump.majors else 0),
    Var("devcnt", "genunix", "int", value=lambda c: devcnt(c.dump)),
    Var("top_devinfo", "genunix", "struct dev_info *",
        value=lambda c: c.dump.devinfo[0].addr if c.dump.devinfo else 0),
    Var("ddi_root_node", "genunix", "struct dev_info *",
        value=lambda c: c.dump.devinfo[0].addr if c.dump.devinfo else 0),
    Var("modules", "genunix", "struct modctl", at=_modules),
    Var("boothowto", "unix", "int", value=_setting("boothowto")),
    Var("kmem_flags", "genunix", "int", value=_setting("kmem_flags")),
    Var("snooping", "genunix", "int", value=_setting("snooping")),
    # turnstile.c: the hash chains ::sobj2ts reads, and the user-level PI
    # mutexes' table it tells them apart by (kdb.target.turnstiles)
    Var("turnstile_table", "genunix", "turnstile_chain_t [256]",
        value=lambda c: [{"tc_first": a} for a in turnstiles(c.dump).chains]),
    Var("upimutextab", "genunix", "upib_t [256]", value=lambda c: []),
    # thread.c reapq_add (kdb.target.deathrow)
    Var("thread_deathrow", "genunix", "kthread_t *", value=lambda c: _row_head(c.dump, 0)),
    Var("lwp_deathrow", "genunix", "kthread_t *", value=lambda c: _row_head(c.dump, 1)),
    # callout.c (2009 and later; kdb.target.callouts)
    Var("callout_table", "genunix", "callout_table_t *", value=lambda c: callouts(c.dump).base),
    Var("callout_table_bits", "genunix", "int", value=lambda c: callouts(c.dump).ctbits),
    Var("nsec_per_tick", "genunix", "int", value=lambda c: callouts(c.dump).nsec_per_tick),
    Var("hrtime_last", "unix", "hrtime_t", value=lambda c: callouts(c.dump).now),
    # kmem.c and vmem.c (kdb.target.kmem), on dumps with a kmem section
    Var("kmem_ready", "genunix", "int", value=lambda c: 1, present=_has_kmem),
    Var("kmem_lite_count", "genunix", "int", value=lambda c: 0, present=_has_kmem),
    Var("kmem_msb_arena", "genunix", "vmem_t *", value=_arena("kmem_msb"), present=_has_kmem),
    Var("kstat_arena", "genunix", "vmem_t *", value=_arena("kstat"), present=_has_kmem),
    Var("vmem_list", "genunix", "vmem_t *", value=_first_arena, present=_has_kmem),
    Var("total_pages", "unix", "pgcnt_t", value=_pages("total"), present=_has_kmem),
]

VAR_BY_NAME = {v.name: v for v in VARS}


#: the image of the registers panic_reg points to (no symbol of its own)
PANIC_REGS = "(panic registers)"


def _concrete(ctype: str, dump: Dump) -> str:
    return ctype.replace("[]", f"[{max_ncpus(dump)}]")


def _rp(dump: Dump) -> int | None:
    """The trap frame a BAD TRAP panic names (``rp=ADDR``): where trap()
    saved the registers, on the panicking thread's stack."""
    msg = dump.panic.message if dump.panic is not None else ""
    for word in msg.split():
        if word.startswith("rp="):
            try:
                return int(word[3:], 16)
            except ValueError:
                return None
    return None


def place_globals(dump: Dump, sizeof: Callable[[str], int]) -> dict[str, tuple[int, str]]:
    """Give every variable a symbol (unless the dump declares one, which
    keeps its address) and return name -> (address, C type) of the images
    kdb makes, the panic registers included. Variables on a missing entity
    (no pid 0, no CPU) get no symbol. Done once per dump."""
    if dump.global_images is not None:
        return dump.global_images
    table = dump.symbols
    images: dict[str, tuple[int, str]] = {}
    cursor = GLOBALS_BASE
    for v in VARS:
        if v.present is not None and not v.present(dump):
            continue
        declared = table.lookup(v.name)
        ctype = _concrete(v.ctype, dump)
        size = sizeof(ctype)
        if v.at is not None:
            addr = v.at(dump)
            if addr is None:
                continue
            if declared is None:
                table.add_data(Symbol(v.name, addr, size, "object", v.module, synthetic=True))
            dump.symbol_types[v.name] = ctype
            continue
        if declared is not None:
            addr = declared.addr
        else:
            addr = cursor
            cursor += (size + 0xF) & ~0xF
            table.add_data(Symbol(v.name, addr, size, "object", v.module, synthetic=True))
        images[v.name] = (addr, ctype)
        dump.symbol_types[v.name] = ctype
    if dump.panic is not None:
        rp = _rp(dump)
        if rp is None:
            rp = cursor
        images[PANIC_REGS] = (rp, "struct regs")
    dump.global_images = images
    return images


def global_values(dump: Dump, images: dict[str, tuple[int, str]],
                  string: Callable[[str], int]) -> dict[str, Any]:
    """Each image's value, for the encoder of its type."""
    ctx = Context(dump, string, lambda name: images[name][0])
    out: dict[str, Any] = {}
    for name in images:
        if name == PANIC_REGS:
            out[name] = _panic_regs(ctx)
            continue
        make = VAR_BY_NAME[name].value
        out[name] = make(ctx) if make is not None else None
    return out


def add_global_images(sp: Any, ts: Any, dump: Dump, strings: Any) -> None:
    """Encode every variable kdb places (the images place_globals listed)
    where nothing else is mapped: a dump's own memory or objects at a
    symbol it declared win."""
    images = dump.global_images or {}
    values = global_values(dump, images, strings.addr)
    for name, (addr, ctype) in images.items():
        t = ts.lookup(ctype)
        if sp.region(addr) is not None or sp.region(addr + max(t.size, 1) - 1) is not None:
            continue
        var = VAR_BY_NAME.get(name)
        if var is not None and var.copy_of is not None:
            src = var.copy_of(dump)
            if src is None:
                sp.add_bytes(addr, bytes(t.size))
            else:                   # read when read: the copied image is lazy too
                sp.add(addr, t.size, lambda off, n, src=src: sp.read(src + off, n))
            continue
        sp.add_bytes(addr, encode(t, values[name]))
