"""The system as a whole: ``::panicinfo``, ``::msgbuf``, ``::cpuinfo``,
``::nm``, ``::whatis``, ``::zone`` and the ``cpu`` and ``zone`` walkers."""

from __future__ import annotations

import datetime
from typing import Any, NamedTuple

from kdb.errors import CmdError
from kdb.target.dispq import run_queues
from kdb.target.model import Cpu, Dump, Thread
from kdb.modapi import ADDR, BOOL, DCMD_USAGE, INT, LIST, NUM, STR, Call, Module, Opt, Walk
from kdb.output.printf import safe_text

from .._kernel import at_address_or_all, fmt_age, kdump, stack_active, whatis_head
from .kmem import whatis_kmem

module = Module("genunix", targets=("kernel",))

# records (--format json; docs/json-output.md)
module.record("panic", {"cpu": INT, "thread": ADDR, "message": STR, "registers": LIST})
module.record("message", {"logctl": ADDR, "time": [STR, None], "text": STR})
module.record("cpu", {"id": INT, "addr": ADDR, "flags": INT, "nrun": INT, "bspl": INT,
                      "pri": [INT, None], "runrun": BOOL, "kprunrun": BOOL, "switch": [INT, None],
                      "thread": ADDR, "proc": STR, "state": LIST, "runq": LIST, "intr": LIST})
module.record("whatis", {"addr": ADDR, "text": STR})
module.record("zone", {"addr": ADDR, "id": INT, "status": STR, "name": STR, "path": STR, "brand": STR,
                       "ip": STR, "capped_cpu": [NUM, None], "uuid": [STR, None], "nprocs": INT,
                       "refs": INT, "cred_refs": INT})

CPU_FLAGS = (("RUNNING", 0x1), ("READY", 0x2), ("QUIESCED", 0x4), ("EXISTS", 0x8), ("ENABLE", 0x10),
             ("OFFLINE", 0x20), ("POWEROFF", 0x40), ("FROZEN", 0x80), ("SPARE", 0x100),
             ("FAULTED", 0x200))     # genunix.c cpuinfo_walk_cpu's flags[]


def _when(ts: str | None) -> datetime.datetime | None:
    if ts is None:
        return None
    return datetime.datetime.fromisoformat(ts.replace("Z", "+00:00"))


def _epoch(ts: str | None) -> int:
    t = _when(ts)
    return int(t.timestamp()) if t else 0


@module.dcmd("panicinfo", None, "print panic information",
             help="Print the CPU, thread and message of the panic and the registers\n"
                  "saved when the system panicked.")
def panicinfo(call: Call) -> int | None:
    dump = kdump(call)
    if dump.system.dump != "crash" or dump.panic is None:
        # genunix.c panicinfo (which asks this before looking at arguments): the manual section is 1M in the OpenSolaris
        # era's text, 8 in today's illumos (the manual's sections moved)
        section = "1M" if call.session.target.era == "opensolaris" else "8"
        raise CmdError(f"panicinfo can only be run on a system dump; see dumpadm({section})")
    if call.args or call.addrspec:
        return DCMD_USAGE
    p = dump.panic
    rec = {"cpu": p.cpu if p.cpu is not None else 0, "thread": p.thread or 0, "message": p.message,
           "registers": [{"name": n, "value": v} for n, v in p.registers]}

    def render(c: Call, r: dict[str, Any]) -> None:
        c.printf("%16s %?d\n", "cpu", r["cpu"])
        c.printf("%16s %?p\n", "thread", r["thread"])
        c.printf("%16s %s\n", "message", r["message"])
        for reg in r["registers"]:
            c.printf("%16s %?llx\n", reg["name"], reg["value"])

    call.emit("panic", rec, render)
    return None


@module.dcmd("msgbuf", "?", "print most recent console messages",
             help="Print the kernel message buffer, oldest first.",
             options=[Opt("t", bool, "with the age of each message when the dump was taken (illumos)"),
                      Opt("T", bool, "with the time of each message (illumos)"),
                      Opt("v", bool, "with the time and the address of each message's log_ctl_t")])
def msgbuf(call: Call) -> int | None:
    """log.c ``msgbuf``: mdb walks log_recentq's ``b_next`` chain and runs
    itself on each message, so the header comes with the first message
    (none for an empty buffer) and each message prints as stored (it ends
    in a newline; a leading CR is skipped), read into a 1024-byte buffer.

    The 2004 file (OpenSolaris era) knows ``-v`` only: header ``%20s %?s
    %-40s`` (TIMESTAMP, LOGCTL, MESSAGE) or ``%-70s`` (MESSAGE), rows
    ``%Y %?p `` before the text. The illumos layout (``-t``, ``-T``, ``-v``
    with LOGCTL, TIMESTAMP, DELTA and MESSAGE padded to 80) is as the
    team's mdb reference (docs/eras.md) gives it; no newer log.c was at
    hand."""
    dump = kdump(call)
    o = call.opts
    old = call.session.target.era == "opensolaris"
    if old and (o["t"] or o["T"]):
        return DCMD_USAGE
    if o["v"]:
        o["T"] = True
    now = _epoch(dump.system.time)
    for i, m in enumerate(dump.msgbuf):
        if i == 0 and call.hdrspec:       # not pipe-aware: the header goes into a pipe too
            _msgbuf_header(call, o, old)
        rec = {"logctl": 0xFFFFFF0931E00000 + 0x100 * i, "time": m.time, "text": m.text}

        def render(c: Call, r: dict[str, Any]) -> None:
            if old:
                if o["v"]:
                    c.printf("%Y %?p ", _epoch(r["time"]), r["logctl"])
            else:
                if o["v"]:
                    c.printf("%?p ", r["logctl"])
                if o["T"]:
                    c.printf("%Y ", _epoch(r["time"]))
                if o["t"]:
                    c.printf("%-20s ", fmt_age(now - _epoch(r["time"])) if r["time"] else "-")
            text = r["text"].encode("utf-8", "replace")[:1023].decode("utf-8", "replace")
            text = text[1:] if text.startswith("\r") else text
            # the kernel stores each message newline-terminated; a dump's
            # string without one stands for the same message
            c.write(safe_text(text if text.endswith("\n") else text + "\n"))

        call.emit("message", rec, render)
    return None


def _msgbuf_header(call: Call, o: dict[str, Any], old: bool) -> None:
    if old:
        if o["v"]:
            call.printf("%<u>%20s %?s %-40s%</u>\n", "TIMESTAMP", "LOGCTL", "MESSAGE")
        else:
            call.printf("%<u>%-70s%</u>\n", "MESSAGE")
        return
    width = 80 - (21 if o["T"] else 0) - (21 if o["t"] else 0) - (17 if o["v"] else 0)
    if o["v"]:
        call.printf("%<u>%-?s ", "LOGCTL")
    if o["T"]:
        call.printf("%<u>%-20s ", "TIMESTAMP")
    if o["t"]:
        call.printf("%<u>%-20s ", "DELTA")
    call.printf("%<u>%-*s%</u>\n", width, "MESSAGE")


# ---------------------------------------------------------------------------
@module.walker("cpu", "walk cpu structures")
def walk_cpu(walk: Walk):
    return (c.addr for c in kdump(walk).cpus)


def _interrupt_threads(dump: Dump) -> dict[int, list[Thread]]:
    """Each CPU's live interrupt threads."""
    intr: dict[int, list[Thread]] = {}
    for x in dump.threads:
        if x.cpu is not None and x.pil and x.state != "free":
            intr.setdefault(x.cpu, []).append(x)
    return intr


def _cpu_record(dump: Dump, c: Cpu, runnable: list[Thread], intr: list[Thread]) -> dict[str, Any]:
    t = dump.thread_by_addr.get(c.thread) if c.thread else None
    if t is None:
        proc = "-"
    elif c.thread == c.idle_thread:
        proc = "(idle)"
    else:
        proc = t.proc.comm
    # the dispatcher queue, highest priority first (cpuinfo_walk_cpu reads
    # disp_q from disp_npri - 1 down; kdb.target.dispq); NRUN is its length
    runq = runnable
    return {"id": c.id, "addr": c.addr, "flags": c.flags, "nrun": len(runq), "bspl": c.bspl,
            "pri": c.pri, "runrun": c.runrun, "kprunrun": c.kprunrun,
            "switch": c.switch_ticks, "thread": c.thread or 0, "proc": proc,
            "state": list(c.state),
            "runq": [{"pri": x.pri, "thread": x.addr, "proc": x.proc.comm} for x in runq],
            "intr": [{"pil": x.pil, "thread": x.addr} for x in sorted(intr, key=lambda x: -x.pil)]}


@module.dcmd("cpuinfo", "?", "print CPU information",
             help="Print a summary of each CPU (or of the CPU whose cpu_t address or id\n"
                  "is given): flags, run queue length, base SPL, priority, preemption\n"
                  "flags, ticks since the last switch, and the thread on the CPU with its\n"
                  "process.",
             options=[Opt("v", bool, "also the flags by name, interrupt threads and the run queue")])
def cpuinfo(call: Call) -> int | None:
    # genunix.c cpuinfo and cpuinfo_walk_cpu: an address selects the CPU
    # with that cpu_t address or that id
    dump = kdump(call)
    o = call.opts
    if call.addrspec:
        c = dump.cpu_by_addr.get(call.addr) or dump.cpu_by_id.get(call.addr)
        if c is None:
            raise CmdError(f"{call.addr:x} is neither a valid CPU ID nor a valid cpu_t address")
        cpus = [c]
    else:
        cpus = dump.cpus
    head = [call.hdrspec or o["v"]]     # cid_print_head; -v prints it before every CPU
    w = cpuinfo_widths(dump.system.isa)
    runnable, intr = run_queues(dump), _interrupt_threads(dump)

    def render(cl: Call, r: dict[str, Any]) -> None:
        if head[0]:
            cl.printf("%<u>%3s %-*s %3s %4s %4s %3s %4s %5s %-6s %-*s %s%</u>\n", "ID", w.cpu,
                      "ADDR", "FLG", "NRUN", "BSPL", "PRI", "RNRN", "KRNRN", "SWITCH", w.thread,
                      "THREAD", "PROC")
            head[0] = False
        _cpu_row(cl, r, o["v"], w)
        if o["v"]:
            head[0] = True
            cl.printf("\n")

    for c in cpus:
        call.emit("cpu", _cpu_record(dump, c, runnable.get(c.id, []), intr.get(c.id, [])), render)
    return None


CPUINFO_IDWIDTH = 3
CPUINFO_FLAGWIDTH = 9
CPUINFO_ITHRDELT = 4


class CpuinfoWidths(NamedTuple):
    """genunix.c's cpuinfo column widths, which its #ifdefs pick by the
    kernel's ISA: 16 on amd64 (_LP64 and __amd64), 11 on other 64-bit
    kernels (sparcv9), 8 on 32-bit ones; the ADDR and THREAD columns,
    and the offsets derived from them."""

    cpu: int

    @property
    def thread(self) -> int:
        return self.cpu                 # CPUINFO_TWIDTH == CPUINFO_CPUWIDTH on every ISA

    @property
    def thrdelt(self) -> int:
        return CPUINFO_IDWIDTH + self.cpu + 9

    @property
    def flagdelt(self) -> int:
        return CPUINFO_IDWIDTH + self.cpu + 4


def cpuinfo_widths(isa: str) -> CpuinfoWidths:
    # cpuinfo.c CPUINFO_CPUWIDTH: 16 on amd64, 11 on sparc, 8 on ILP32; the
    # arm64 port's LP64 kernel is taken as amd64's (illumos-gate has no arm64)
    return CpuinfoWidths({"amd64": 16, "aarch64": 16, "sparcv9": 11}.get(isa, 8))


def _cpu_row(call: Call, r: dict[str, Any], verbose: bool, w: CpuinfoWidths) -> None:
    """One CPU, line for line as cpuinfo_walk_cpu prints it: the row; with
    -v the flags' names down the left (each line CPUINFO_THRDELT wide)
    beside the interrupt threads, then the run queue, then any flags left."""
    call.printf("%3d %0*p %3x %4d %4d ", r["id"], w.cpu, r["addr"], r["flags"], r["nrun"],
                r["bspl"])
    if r["pri"] is not None:
        call.printf("%3d ", r["pri"])
    else:
        call.printf("%3s ", "-")
    call.printf("%4s %5s ", "yes" if r["runrun"] else "no", "yes" if r["kprunrun"] else "no")
    if r["switch"] is not None:
        call.printf("t-%-4d ", r["switch"])
    else:
        call.printf("%-6s ", "-")
    call.printf("%0*p %s\n", w.thread, r["thread"], r["proc"])
    if not verbose:
        return
    flaglines: list[str] = []
    for name, bit in CPU_FLAGS:
        if r["flags"] & bit:
            if not flaglines:
                flaglines.append(" " * w.flagdelt + "|" + " " * (w.thrdelt - 1 - w.flagdelt))
            s = (" " * (CPUINFO_IDWIDTH + w.cpu - CPUINFO_FLAGWIDTH) + name.rjust(CPUINFO_FLAGWIDTH)
                 + " " + ("<--+" if len(flaglines) == 1 else ""))
            flaglines.append(s[:w.thrdelt].ljust(w.thrdelt))
    pending = iter(flaglines)

    def indent() -> None:               # CPUINFO_INDENT
        call.printf("%*s", w.thrdelt, next(pending, ""))

    rq = r["runq"]
    bar = "|" if rq else " "            # print_thr
    for i, it in enumerate(r["intr"]):
        if i == 0:
            indent()
            call.printf("%s%*s|\n", bar, CPUINFO_ITHRDELT, "")
            indent()
            call.printf("%s%*s+--> %3s %s\n", bar, CPUINFO_ITHRDELT, "", "PIL", "THREAD")
        indent()
        call.printf("%s%*s     %3d %0*p\n", bar, CPUINFO_ITHRDELT, "", it["pil"], w.thread, it["thread"])
    if rq:
        indent()
        call.printf("|\n")
        indent()
        call.printf("+-->  %3s %-*s %s\n", "PRI", w.thread, "THREAD", "PROC")
        for q in rq:
            indent()
            call.printf("      %3d %0*p %s\n", q["pri"], w.thread, q["thread"], q["proc"])
    for line in pending:
        call.printf("%s\n", line)


# ---------------------------------------------------------------------------
@module.dcmd("nm", "?[object]", "print symbols",
             help="Print the symbol tables of the loaded modules (or of one module),\n"
                  "sorted by value.",
             options=[Opt("D", bool, "the dynamic symbol table (a dump has one table: the same)"),
                      Opt("P", bool, "the private symbol table (a dump has one table: the same)"),
                      Opt("d", bool, "values and sizes in decimal"),
                      Opt("g", bool, "global symbols only (every symbol of a dump is global)"),
                      Opt("h", bool, "no header"),
                      Opt("n", bool, "sort by name"),
                      Opt("o", bool, "values and sizes in octal"),
                      Opt("p", bool, "print ::nmadd commands to re-create the symbols"),
                      Opt("u", bool, "undefined symbols only (a dump has none)"),
                      Opt("v", bool, "sort by value (the default)"),
                      Opt("x", bool, "values and sizes in hexadecimal"),
                      Opt("f", str, "the columns: ndx, obj, val, sz, type, bind, oth, shndx, ctfid, "
                          "ctype, name", arg="format"),
                      Opt("t", str, "only symbols of these types (func,objt)", arg="types")])
def nm(call: Call) -> int | None:
    dump = kdump(call)
    o, rest = call.opts, call.args
    if len(rest) > 1:
        return DCMD_USAGE
    syms = [] if o["u"] else list(dump.symbols)
    if rest:
        mod = str(rest[0])
        if not any(m.name == mod for m in dump.modules):
            raise CmdError(f"failed to lookup object {mod}: unknown object file name")
        syms = [s for s in syms if s.module == mod]
    if call.addrspec:
        syms = [s for s in syms if s.addr <= call.addr < s.addr + max(s.size, 1)]
    if o["t"]:
        kinds = {t.strip().lower() for t in o["t"].split(",")}
        syms = [s for s in syms if ("func" if s.kind == "func" else "objt") in kinds]
    if o["n"]:
        syms.sort(key=lambda s: (s.name, s.addr))
    if sum(bool(o[k]) for k in "dox") > 1:
        call.warn("-d/-o/-x options are mutually exclusive")     # mdb_nm.c: then DCMD_USAGE
        return DCMD_USAGE
    radix = 10 if o["d"] else 8 if o["o"] else 16 if o["x"] else call.session.radix
    if o["p"]:
        for s in syms:
            call.printf("%#llr::nmadd %s -s %#llr %s\n", s.addr, "-f" if s.kind == "func" else "-o",
                        s.size, s.name)
        return None
    fields = _nm_fields(o["f"])
    lp64 = call.session.ptr_width == 16
    # mdb_nm.c cmd_nm: value and size formats by radix and data model
    if radix == 10:
        pfmt, ofmt, hwidth = ("%-20llu", "%-5u", 20) if lp64 else ("%-10llu", "%-5u", 10)
    elif radix == 8:
        pfmt, ofmt, hwidth = ("%-22llo", "%-5o", 22) if lp64 else ("%-11llo", "%-5o", 11)
    else:
        pfmt, ofmt, hwidth = ("0x%016llx", "0x%-3x", 18) if lp64 else ("0x%08llx", "0x%-3x", 10)
    if not o["h"] and not call.pipe_out:
        heads = {"ndx": "Index", "obj": "%-15s" % "Object", "val": "%-*s" % (hwidth, "Value"),
                 "sz": "%-*s" % (hwidth, "Size"), "type": "%-5s" % "Type", "bind": "%-5s" % "Bind",
                 "oth": "%-5s" % "Other", "shndx": "%-8s" % "Shndx", "ctfid": "%-9s" % "CTF ID",
                 "ctype": "%-50s" % "C Type", "name": "Name"}
        call.printf("%<u>%s%</u>\n", " ".join(heads[f] for f in NM_FIELDS if f in fields))
    for k, s in enumerate(syms):
        if call.pipe_out:
            call.printf("%#lr\n", s.addr)
            continue
        # mdb_table_print: the selected columns in their fixed order, joined by |
        parts = []
        for f in NM_FIELDS:
            if f not in fields:
                continue
            if f == "ndx":
                parts.append("%5u" % k)
            elif f == "obj":
                parts.append("%-15s" % s.module)
            elif f in ("val", "sz"):
                parts.append(_fmt_c(pfmt, s.addr if f == "val" else s.size))
            elif f == "type":
                parts.append("%-5s" % ("FUNC" if s.kind == "func" else "OBJT"))
            elif f == "bind":
                parts.append("%-5s" % "GLOB")
            elif f == "oth":
                parts.append(_fmt_c(ofmt, 0))
            elif f == "shndx":
                parts.append("%-8s" % ("1" if s.kind == "func" else "3"))
            elif f == "ctfid":
                parts.append("%9s" % "")
            elif f == "ctype":
                ctype = call.session.target.symbol_type(s.name) if s.kind != "func" else None
                parts.append("%-50s" % (ctype or "<unknown type>"))
            else:
                parts.append(s.name)
        call.printf("%s\n", "|".join(parts))
    return None


#: mdb_nm.c's columns in the order mdb_table_print prints them, and the
#: default set (-f picks others: ndx, obj, val, sz, type, bind, oth, shndx,
#: ctfid, ctype, name)
NM_FIELDS = ("ndx", "obj", "val", "sz", "type", "bind", "oth", "shndx", "ctfid", "ctype", "name")
NM_DEFAULT = frozenset({"val", "sz", "type", "bind", "oth", "shndx", "name"})


def _nm_fields(spec: str | None) -> frozenset[str]:
    if spec is None:
        return NM_DEFAULT
    words = [w.strip() for w in spec.split(",") if w.strip()]
    bad = [w for w in words if w not in NM_FIELDS]
    if bad:
        raise CmdError(f"invalid option -f {spec}: unknown suboption {bad[0]}")
    return frozenset(words)


def _fmt_c(fmt: str, v: int) -> str:
    """One of cmd_nm's C formats (%-20llu, %-22llo, 0x%016llx, %-5u, 0x%-3x...)."""
    prefix = "0x" if fmt.startswith("0x") else ""
    spec = fmt[len(prefix) + 1:].replace("ll", "")
    return prefix + ("%" + spec) % v


# ---------------------------------------------------------------------------
@module.dcmd("whatis", ":", "given an address, return information",
             help="Say what the address is: a symbol in a module's text or data, a\n"
                  "thread or process structure (or an address inside one), or a\n"
                  "place in a thread's stack.",
             options=[Opt("a", bool, "every match, not only the first"),
                      Opt("i", bool, "identifiers only (accepted as mdb does; no effect in kdb)"),
                      Opt("k", bool, "kmem caches only (accepted as mdb does; no effect in kdb)"),
                      Opt("q", bool, "quiet: no \"is unknown\" lines"),
                      Opt("v", bool, "verbose (accepted as mdb does; no effect in kdb)")])
def whatis(call: Call) -> int | None:
    dump = kdump(call)
    o = call.opts
    if call.pipe_out:
        raise CmdError("whatis: cannot be output into a pipe")
    addrs = list(call.get_pipe()) if call.piped else ([call.addr] if call.addrspec else [])
    if not addrs:
        return DCMD_USAGE
    for addr in addrs:
        early, cached = _whatis(call, dump, addr)
        # mdb_whatis.c: the early identifiers, then the allocators (kmem's
        # caches, vmem), then the caches kdb implies for processes and threads
        found: list[tuple[str, str | None]] = [(line, None) for line in early]
        found += whatis_kmem(call, addr, o["q"]) + [(line, None) for line in cached]
        if not found and not o["q"]:
            found = [(f"{addr:x} is unknown", None)]
        for line, then in (found if o["a"] else found[:1]):
            call.emit("whatis", {"addr": addr, "text": line}, lambda c, r: c.printf("%s\n", r["text"]))
            if then is not None:
                call.session.run_string(then, "(whatis)")
    return None


def _whatis(call: Call, dump: Dump, addr: int) -> tuple[list[str], list[str]]:
    """What mdb's whatis identifiers report for ADDR, in their order
    (kmem.c and mdb_whatis.c): first the early ones, the modules' segments
    and the threads (the thread structure, then its stack); then the kmem
    caches the dump implies (process_cache for processes, thread_cache for
    threads other than p0's). Addresses the dump places no other way (CPUs,
    zones, typed objects) are what mdb would find in caches kdb does not
    model: unknown."""
    era = call.session.target.era
    out = []
    ts = call.session.types
    SIZEOF_THREAD = ts.lookup("kthread_t").size  # noqa: N806
    SIZEOF_PROC = ts.lookup("proc_t").size  # noqa: N806
    sym = dump.symbols.containing(addr)
    if sym is not None:
        seg = "text" if sym.kind == "func" else "data"
        name = sym.name if addr == sym.addr else f"{sym.name}+{addr - sym.addr:#x}"
        out.append(f"{addr:x} is {name}, in {sym.module}'s {seg} segment")
    threads = []
    for t in dump.threads:
        if t.addr <= addr < t.addr + SIZEOF_THREAD:
            out.append(whatis_head(era, addr, t.addr) + "allocated as a thread structure")
            if t.proc.pid != 0:
                threads.append(whatis_head(era, addr, t.addr) + "allocated from thread_cache")
        else:
            bounds = t.stack_bounds()
            if bounds is not None and bounds[0] <= addr < bounds[1]:
                out.append(f"{addr:x} is in thread {t.addr:x}'s stack{stack_active(t, addr)}")
    procs = [whatis_head(era, addr, p.addr) + "allocated from process_cache"
             for p in dump.procs if p.addr <= addr < p.addr + SIZEOF_PROC]
    return out, procs + threads


# ---------------------------------------------------------------------------
@module.walker("zone", "walk a list of kernel zones")
def walk_zone(walk: Walk):
    return (z.addr for z in kdump(walk).zones)


def readstr_trunc(text: str, nbytes: int) -> str:
    """A string as mdb code that reads it into a char[NBYTES] prints it:
    ``mdb_readstr`` returns NBYTES when no NUL came within them, and the
    caller then writes "..." over the last four (zone.c ``zoneprt``)."""
    return text[:nbytes - 4] + "..." if len(text.encode("utf-8", "replace")) >= nbytes else text


#: ::zone per era (zone.c ``zoneprt``): header, row, and the lengths of the
#: buffers the name and root path are read into (ZONE_NAMELEN, ZONE_PATHLEN
#: under _LP64). opensolaris: zone.c "Copyright 2008 Sun", no options;
#: illumos: zone.c "Copyright (c) 2012, Joyent" and later, with STATUS and
#: -r (reference counts), -v (with -r: per-subsystem counts).
class ZoneLayout(NamedTuple):
    header: str
    row: str
    columns: tuple[str, ...]     # header names, and the row's fields in lower case
    namelen: int
    pathlen: int


ZONE_LAYOUT = {
    "opensolaris": ZoneLayout("%<u>%?s %6s %-20s %-s%</u>\n", "%0?p %6d %-20s %s\n",
                              ("ADDR", "ID", "NAME", "PATH"), 20, 32),
    "illumos": ZoneLayout("%<u>%?s %4s %-13s %-19s %-s%</u>\n", "%0?p %4d %-13s %-19s %s\n",
                          ("ADDR", "ID", "STATUS", "NAME", "PATH"), 20, 25),
}


@module.dcmd("zone", "?", "display kernel zone(s)",
             help="List the zones (or the zone_t at the address): address, id, status,\n"
                  "name and root path; with -r, the reference counts.",
             options=[Opt("r", bool, "print the zone's reference counts (REFS, CREFS)"),
                      Opt("v", bool, "with -r, also each subsystem's references")])
def zone(call: Call) -> int | None:
    dump = kdump(call)
    o = call.opts
    era = call.session.target.era
    if era == "opensolaris" and (o["r"] or o["v"] or call.args):
        return DCMD_USAGE          # 2008: "if (argc != 0) return (DCMD_USAGE)"
    if call.args or (o["v"] and not o["r"]):
        return DCMD_USAGE          # "-v can only be specified with -r"
    layout = ZONE_LAYOUT[era]
    zones = at_address_or_all(call, dump.zone_by_addr, dump.zones, "zone_t")
    if call.hdrspec:
        if o["r"]:
            call.printf("%<u>%?s %6s %10s %10s %-19s%</u>\n", "ADDR", "ID", "REFS", "CREFS", "NAME")
        else:
            call.printf(layout.header, *layout.columns)
    nprocs: dict[int, int] = {}
    for p in dump.procs:
        nprocs[p.zone.id] = nprocs.get(p.zone.id, 0) + 1
    for z in zones:
        rec = {"addr": z.addr, "id": z.id, "status": z.status, "name": z.name, "path": z.path,
               "brand": z.brand, "ip": z.ip, "capped_cpu": z.capped_cpu, "uuid": z.uuid,
               "nprocs": nprocs.get(z.id, 0), "refs": z.refs, "cred_refs": z.cred_refs}

        def render(c: Call, r: dict[str, Any]) -> None:
            name = readstr_trunc(r["name"], layout.namelen) if r["name"] else "??"
            if o["r"]:
                # the subsystem counts of -v: none is held in a dump, and
                # zoneprt skips the subsystems with no references
                c.printf("%0?p %6d %10u %10u %-19s\n", r["addr"], r["id"], r["refs"], r["cred_refs"], name)
                return
            path = readstr_trunc(r["path"], layout.pathlen) if r["path"] else "??"
            fields = {**r, "name": name, "path": path}
            c.printf(layout.row, *(fields[col.lower()] for col in layout.columns))

        call.emit("zone", rec, render)
    return None


