"""Parsers of mdb's output, one per dcmd layout (both eras where they
differ), each writing what it reads into :class:`~kdb.imports.facts.Facts`.
A parser is chosen by the last stage of the command line: ``::ps``,
``::status``, ``::msgbuf``, ``::findstack [-v]`` (also at the end of a
pipeline: ``::walk thread | ::findstack -v``), ``$C``. Lines a parser does
not recognise are reported, never fatal."""

from __future__ import annotations

import re
from typing import Callable

from kdb.imports.facts import Contradiction, Entity, Facts, set_frames

Parser = Callable[[Facts, list[str], int, list[tuple[int, str]], str], None]

DEBUGGING = re.compile(r"^debugging (?:crash dump (?P<file>\S+) \((?P<bits>\d+)-bit\) from (?P<node>\S+)"
                       r"|live kernel \((?P<lbits>\d+)-bit\) on (?P<lnode>\S+))$")
OS = re.compile(r"^operating system: (?P<release>\S+) (?P<version>\S+) \((?P<machine>[^)]+)\)$")
PS_ROW = re.compile(r"^(?P<s>[A-Z]) +(?P<pid>\d+) +(?P<ppid>\d+) +(?P<pgid>\d+) +(?P<sid>\d+) +(?P<uid>\d+) +"
                    r"0x(?P<flags>[0-9a-f]{1,16}) +(?P<addr>[0-9a-f]{1,16}) +(?P<name>.*)$")
SP_LINE = re.compile(r"^stack pointer for thread (?P<t>[0-9a-f]{1,16})(?P<free> \(TS_FREE\))?"
                     r"(?: \((?P<desc>.*)\))?: (?P<sp>[0-9a-f]{1,16})$")
RESUME = re.compile(r"^\[ (?P<sp>[0-9a-f]{1,16}) (?P<pc>\S+)\(\) \]$")
FRAME = re.compile(r"^(?P<fp>[0-9a-f]{1,16}) (?P<pc>[^\s(]+)\((?P<args>[0-9a-f, ]*)\)$")
TL_ROW = re.compile(r"^(?P<t>[0-9a-f]{1,16}) +(?P<proc>[0-9a-f]{1,16}) +(?P<lwp>[0-9a-f]{1,16}) +(?P<desc>\S.*)$")
TLV_ROW = re.compile(r"^(?P<t>[0-9a-f]{1,16}) +(?P<proc>[0-9a-f]{1,16}) +(?P<lwp>[0-9a-f]{1,16}) +(?P<cls>\d+) +"
                     r"(?P<pri>-?\d+) +(?P<wchan>[0-9a-f]{1,16})$")
TLV_PC = re.compile(r"^  PC: (?P<pc>\S+)    (?P<what>THREAD|CMD|TASKQ): (?P<rest>.*)$")
#: a frame line whose arguments were cut off (a wrapped line lost when pasted)
CUT_FRAME = re.compile(r"^(?P<fp>[0-9a-f]{1,16}) (?P<pc>[^\s(]+)\((?P<args>[0-9a-f, ]*[0-9a-f],)$")
BARE_FRAME = re.compile(r"^(?P<pc>[^\s(]+)\((?P<args>[0-9a-f, ]*)\)$")
PANICINFO = re.compile(r"^ *(?P<key>\S+) (?P<value>.*)$")
CPU_ROW = re.compile(r"^ *(?P<id>\d+) (?P<addr>[0-9a-f]{1,16}) +(?P<flags>[0-9a-f]{1,16}) +(?P<nrun>\d+) +(?P<bspl>\d+) +"
                     r"(?P<pri>-?\d+) +(?P<rnrn>yes|no) +(?P<krnrn>yes|no) +(?P<switch>t-\d+|-) +"
                     r"(?P<thread>[0-9a-f]{1,16}) (?P<proc>.*)$")
RUNQ_ROW = re.compile(r"^ +(?:[A-Z]+ +)?(?P<pri>-?\d+) (?P<thread>[0-9a-f]{8,16}) (?P<proc>.+)$")
STACKS_ROW = re.compile(r"^(?P<t>[0-9a-f]{8,16}) (?P<state>[A-Z]+) +(?P<sobj>\S+) +(?P<count>\d+)$")
MOD_ROW = re.compile(r"^ *(?P<id>\d+) +(?P<addr>[0-9a-f]{1,16}) +(?P<size>[0-9a-f]{1,16}) +(?P<rev>\d+) (?P<name>\S+) "
                     r"\((?P<desc>.*)\)$")
PS_STATES = {"R": None, "S": None, "Z": "zomb", "T": "stop", "I": "idle", "O": None, "W": None}


def hexval(s: str) -> int:
    return int(s, 16)


def status(f: Facts, out: list[str], line: int, problems: list[tuple[int, str]], options: str) -> None:
    """kt_status_dcmd: the dump, the release, the panic message."""
    for k, text in enumerate(out):
        n = line + 1 + k
        m = DEBUGGING.match(text)
        o = OS.match(text)
        if m:
            crash = m.group("file") is not None
            f.system.put("nodename", m.group("node") or m.group("lnode"), n)
            f.system.put("dump", "crash" if crash else "live", n)
            if crash:
                f.system.put("dump_file", m.group("file"), n)
            bits = m.group("bits") or m.group("lbits")
            f.system.put("bits", int(bits), n)
        elif o:
            f.system.put("release", o.group("release"), n)
            f.system.put("version", o.group("version"), n)
            f.system.put("machine", o.group("machine"), n)
        elif text.startswith("image uuid: "):
            uuid = text[len("image uuid: "):]
            f.system.put("image_uuid", None if uuid == "(not set)" else uuid, n)
        elif text.startswith("panic message: "):
            f.panic.put("message", text[len("panic message: "):], n)
        elif text.startswith("dump content: "):
            f.system.put("content", text[len("dump content: "):], n)
        elif text.strip():
            problems.append((n, f"::status: a line kdb does not know: {text[:60]!r}"))


TS_STATES = {"TS_SLEEP": "sleep", "TS_RUN": "run", "TS_ONPROC": "onproc", "TS_ZOMB": "zomb",
             "TS_STOPPED": "stop", "TS_FREE": "free", "TS_WAIT": "wait"}
PS_T = re.compile(r"^ +T +(?:0x(?P<t>[0-9a-f]{1,16})|(?P<sym>\w+)) <(?P<state>TS_\w+)>$")
PS_L = re.compile(r"^ +L +0x(?P<lwp>[0-9a-f]{1,16}) ID: (?P<id>\d+)$")


def ps(f: Facts, out: list[str], line: int, problems: list[tuple[int, str]], options: str) -> None:
    """genunix.c ps, both eras' columns: -f puts the arguments in NAME, -z a
    ZONE column, -t a T line per thread (address and state), -l an L line
    per LWP (address and id)."""
    flags = "".join(w[1:] for w in options.split() if w.startswith("-"))
    zone_col = False
    p = None
    pid = 0
    thread = None
    for k, text in enumerate(out):
        n = line + 1 + k
        words = text.split()
        if words[:3] == ["S", "PID", "PPID"]:
            # left-aligned columns since illumos #11690 (2019), right before
            f.era.put("era", "illumos" if text.startswith("S PID") else "opensolaris", n)
            zone_col = "ZONE" in words
            continue
        t = PS_T.match(text)
        if t is not None and p is not None:
            if t.group("sym") is not None:      # p0's first thread prints as its symbol
                thread = None
                continue
            thread = f.thread(hexval(t.group("t")))
            thread.put("pid", pid, n)
            thread.put("ps_state", TS_STATES.get(t.group("state"), "sleep"), n)
            continue
        lw = PS_L.match(text)
        if lw is not None and p is not None:
            if thread is not None:
                thread.put("lwp", hexval(lw.group("lwp")), n)
                thread.put("tid", int(lw.group("id")), n)
            else:
                p.fields.setdefault("lwps", []).append((hexval(lw.group("lwp")), int(lw.group("id"))))
            continue
        row = text.strip()
        zone = None
        if zone_col:
            parts = row.split(None, 6)
            if len(parts) == 7 and parts[5].isdigit():
                zone = int(parts[5])
                row = " ".join(parts[:5]) + " " + parts[6]
        m = PS_ROW.match(row)
        if m is None:
            if text.strip():
                problems.append((n, f"::ps: not a process line: {text[:60]!r}"))
            continue
        pid = int(m.group("pid"))
        p = f.proc(pid)
        thread = None
        for key in ("ppid", "pgid", "sid", "uid"):
            p.put(key, int(m.group(key)), n)
        p.put("flags", hexval(m.group("flags")), n)
        p.put("addr", hexval(m.group("addr")), n)
        p.put("psargs" if "f" in flags else "comm", m.group("name"), n)
        p.put("ps_state", m.group("s"), n)
        if zone is not None:
            p.put("zone", zone, n)


def msgbuf(f: Facts, out: list[str], line: int, problems: list[tuple[int, str]], options: str) -> None:
    """log.c msgbuf without options: a MESSAGE header (illumos), then the text."""
    lines = list(out)
    if lines and lines[0].rstrip() == "MESSAGE":
        lines = lines[1:]
    if f.messages is not None and f.messages != lines:
        problems.append((line, f"::msgbuf: differs from the one at line {f.messages_line}; kept that one"))
        return
    f.messages, f.messages_line = lines, line


def _stack(f: Facts, lines: list[tuple[int, str]], verbose: bool, with_fp: bool,
           problems: list[tuple[int, str]], who: str) -> None:
    """print_stack's lines (already unindented by the caller's indent): the
    stack pointer line, the resume pc, the frames indented 2."""
    t: Entity | None = None
    frames: list[dict] = []
    first = 0
    pattern = FRAME if with_fp else BARE_FRAME
    for n, text in lines + [(0, "")]:
        m = SP_LINE.match(text)
        if m or n == 0:
            if t is not None:
                set_frames(t, frames, verbose, first)
            if n == 0:
                break
            assert m is not None
            frames, first = [], n
            t = f.thread(hexval(m.group("t")))
            f.walk.setdefault(hexval(m.group("t")))
            t.put("sp", hexval(m.group("sp")), n)
            t.put("free", m.group("free") is not None, n)
            if m.group("desc") is not None:
                t.put("desc", m.group("desc"), n)
            f.era.put("era", "opensolaris" if m.group("desc") is None else "illumos", n)
            t.fields.setdefault("resume", None)
            continue
        if t is None:
            if text.strip():
                problems.append((n, f"{who}: a line before any stack pointer line: {text[:60]!r}"))
            continue
        r = RESUME.match(text)
        # frames are indented 2; pasted text often loses the indentation
        fr = pattern.match(text.strip())
        cut = CUT_FRAME.match(text.strip()) if fr is None and with_fp else None
        if cut is not None:
            problems.append((n, f"{who}: a frame's arguments are cut off: {text.strip()[:60]!r} "
                                "(kept those shown)"))
            fr = cut
        if r:
            t.fields["resume"] = r.group("pc")
        elif fr:
            args = [a.strip() for a in fr.group("args").split(",") if a.strip()]
            frames.append({"pc": fr.group("pc"), "fp": hexval(fr.group("fp")) if with_fp else None,
                           "args": [hexval(a) for a in args] if verbose else []})
        elif text.strip():
            problems.append((n, f"{who}: not a frame: {text[:60]!r}"))


def findstack(f: Facts, out: list[str], line: int, problems: list[tuple[int, str]], options: str) -> None:
    """findstack.c print_stack: the stack pointer line, the resume pc, the
    frames (``$C`` with -v; ``$C0`` without, whose empty parentheses say
    nothing about arguments)."""
    _stack(f, [(line + 1 + k, text) for k, text in enumerate(out)], "-v" in options.split(), True,
           problems, "::findstack")


def threadlist(f: Facts, out: list[str], line: int, problems: list[tuple[int, str]], options: str) -> None:
    """thread.c threadlist: each thread's process and LWP, and its
    description; with -v its class, priority and wait channel, what it runs
    (THREAD start(), CMD the process's arguments, TASKQ its queue) and its
    ::findstack, indented 2, without frame pointers."""
    verbose = "-v" in options.split()
    f.threadlist = True
    t: Entity | None = None
    stacks: list[tuple[int, str]] = []
    for k, text in enumerate(out):
        n = line + 1 + k
        if text.split()[:3] == ["ADDR", "PROC", "LWP"]:
            continue
        m = (TLV_ROW if verbose else TL_ROW).match(text)
        if m:
            t = f.thread(hexval(m.group("t")))
            f.walk.setdefault(hexval(m.group("t")))
            t.put("proc_addr", hexval(m.group("proc")), n)
            t.put("lwp", hexval(m.group("lwp")), n)
            if verbose:
                t.put("pri", int(m.group("pri")), n)
                if int(m.group("wchan"), 16):
                    t.put("wchan", hexval(m.group("wchan")), n)
            else:
                t.put("desc", m.group("desc"), n)
            continue
        if t is not None and verbose:
            pc = TLV_PC.match(text)
            if pc:
                what, rest = pc.group("what"), pc.group("rest")
                if what == "THREAD" and rest.endswith("()"):
                    t.put("start", rest[:-2], n)
                elif what == "TASKQ":
                    t.put("taskq", rest, n)
                else:
                    t.put("psargs", rest, n)
                continue
            if text.startswith("  "):
                stacks.append((n, text[2:]))
                continue
        if text.strip():
            problems.append((n, f"::threadlist: not a thread's line: {text[:60]!r}"))
    if stacks:
        _stack(f, stacks, False, False, problems, "::threadlist -v")


def panicinfo(f: Facts, out: list[str], line: int, problems: list[tuple[int, str]], options: str) -> None:
    """genunix.c panicinfo: the CPU, the thread, the message, the registers."""
    regs: dict[str, int] = {}
    for k, text in enumerate(out):
        n = line + 1 + k
        m = PANICINFO.match(text)
        if m is None:
            if text.strip():
                problems.append((n, f"::panicinfo: not a line of it: {text[:60]!r}"))
            continue
        key, value = m.group("key"), m.group("value").strip()
        if key == "cpu":
            f.panic.put("cpu", int(value), n)
        elif key == "thread":
            f.panic.put("thread", hexval(value), n)
        elif key == "message":
            f.panic.put("message", m.group("value"), n)
        elif re.fullmatch(r"[0-9a-f]{1,16}", value):
            regs[key] = hexval(value)
        else:
            problems.append((n, f"::panicinfo: not a register value: {text[:60]!r}"))
    if regs:
        _merge_registers(f, regs, line, ordered=True)


def cpuinfo(f: Facts, out: list[str], line: int, problems: list[tuple[int, str]], options: str) -> None:
    """cpuinfo.c cpuinfo_walk_cpu, without -v: each CPU's address, flags,
    run queue, priority, preemption flags, ticks since it switched and its
    thread ("(idle)" when that is its idle thread)."""
    c: Entity | None = None
    cid = 0
    for k, text in enumerate(out):
        n = line + 1 + k
        if text.split()[:3] == ["ID", "ADDR", "FLG"]:
            continue
        m = CPU_ROW.match(text)
        if m is None:
            # -v: the flags drawn under FLG, and the run queue: PRI THREAD PROC
            q = RUNQ_ROW.match(text) if c is not None else None
            if q is not None and c is not None:
                t = f.thread(hexval(q.group("thread")))
                t.put("state", "run", n)
                t.put("cpu", cid, n)
                t.put("pri", int(q.group("pri")), n)
                c.fields.setdefault("runq", []).append(hexval(q.group("thread")))
            elif text.strip() and not re.fullmatch(r"[ |+<>A-Z-]*", text.replace("RUNNING", "")
                                                                    .replace("PRI THREAD", "").replace("PROC", "")):
                problems.append((n, f"::cpuinfo: not a CPU line: {text[:60]!r}"))
            continue
        cid = int(m.group("id"))
        c = f.cpu(cid)
        c.put("addr", hexval(m.group("addr")), n)
        c.put("flags", hexval(m.group("flags")), n)
        c.put("nrun", int(m.group("nrun")), n)
        c.put("bspl", int(m.group("bspl")), n)
        c.put("pri", int(m.group("pri")), n)
        c.put("runrun", m.group("rnrn") == "yes", n)
        c.put("kprunrun", m.group("krnrn") == "yes", n)
        if m.group("switch") != "-":
            c.put("switch_ticks", int(m.group("switch")[2:]), n)
        c.put("thread", hexval(m.group("thread")), n)
        if m.group("proc").strip() == "(idle)":
            c.put("idle_thread", hexval(m.group("thread")), n)
        elif m.group("proc").strip() not in ("sched", "", "-") and hexval(m.group("thread")):
            # the process of the thread on the CPU (cpuinfo: p_user.u_comm)
            f.thread(hexval(m.group("thread"))).put("comm_hint", m.group("proc").strip(), n)


def modinfo(f: Facts, out: list[str], line: int, problems: list[tuple[int, str]], options: str) -> None:
    """krtld.c modinfo: id, text address and size, name and description."""
    for k, text in enumerate(out):
        n = line + 1 + k
        if text.split()[:3] == ["ID", "LOADADDR", "SIZE"]:
            continue
        m = MOD_ROW.match(text)
        if m is None:
            if text.strip():
                problems.append((n, f"::modinfo: not a module line: {text[:60]!r}"))
            continue
        mod = f.module(int(m.group("id")))
        mod.put("name", m.group("name"), n)
        mod.put("text", hexval(m.group("addr")), n)
        mod.put("text_size", hexval(m.group("size")), n)
        mod.put("desc", None if m.group("desc") == "?" else m.group("desc"), n)


#: ::stacks's options kdb reads: flags, and those that take a value
STACKS_FLAGS, STACKS_VALUES = set("afiv"), set("cCmMsStT")
STACKS_MEMBER = re.compile(r"^(?P<t>[0-9a-f]{8,16}) (?P<state>[A-Z]+) +(?P<sobj>\S+) +-$")


def _stacks_options(options: str) -> tuple[set[str], str | None]:
    """The flags of a ::stacks line, and the option kdb does not read (None
    when it reads them all: -a lists every thread; the filters select
    groups, whose counts stay whole)."""
    words, flags = options.split(), set[str]()
    i = 0
    while i < len(words):
        w = words[i]
        if not w.startswith("-") or len(w) < 2:
            return flags, w
        for j, c in enumerate(w[1:], 1):
            if c in STACKS_VALUES:
                if j == len(w) - 1:
                    i += 1          # the value is the next word
                break
            if c not in STACKS_FLAGS:
                return flags, f"-{c}"
            flags.add(c)
        i += 1
    return flags, None


def stacks(f: Facts, out: list[str], line: int, problems: list[tuple[int, str]], options: str) -> None:
    """findstack.c stacks: each group's first thread, its state, sync object
    type and count, then the frames' pcs; with -a every thread of the group
    (COUNT ``-``). A group met again (``::stacks`` and ``::stacks -c f``)
    must say the same."""
    flags, bad = _stacks_options(options)
    if bad is not None:
        problems.append((line, f"::stacks{options}: kdb does not read the option {bad}"))
        return
    group: dict | None = None
    seen = {g["rep"]: g for g in f.stack_groups}

    def close() -> None:
        if group is None:
            return
        old = seen.get(group["rep"])
        if old is None:
            seen[group["rep"]] = group
            f.stack_groups.append(group)
        elif (old["count"], old["pcs"], old["state"]) != (group["count"], group["pcs"], group["state"]):
            raise Contradiction(f"the ::stacks group of thread {group['rep']:x}",
                                (old["line"], f"{old['count']} {old['state']} {' '.join(old['pcs'][:3])}"),
                                (group["line"], f"{group['count']} {group['state']} {' '.join(group['pcs'][:3])}"))
        else:
            old["members"] = old.get("members") or group.get("members")
        if group.get("members"):
            rep, *others = group["members"]
            f.orders.append([rep, *reversed(others)])   # the group lists the others last found first

    for k, text in enumerate(out):
        n = line + 1 + k
        if text.split() == ["THREAD", "STATE", "SOBJ", "COUNT"]:
            continue
        m = STACKS_ROW.match(text)
        member = STACKS_MEMBER.match(text) if m is None else None
        if m:
            close()
            group = {"rep": hexval(m.group("t")), "state": m.group("state").lower(),
                     "sobj": None if m.group("sobj") == "<NONE>" else m.group("sobj").lower(),
                     "count": int(m.group("count")), "pcs": [], "line": n}
            if "a" in flags:
                group["members"] = [group["rep"]]
        elif member is not None and group is not None and not group["pcs"]:
            group.setdefault("members", [group["rep"]]).append(hexval(member.group("t")))
        elif group is not None and text.startswith(" " * 17) and text.strip():
            group["pcs"].append(text.strip())
        elif text.strip():
            problems.append((n, f"::stacks: not a line of a group: {text[:60]!r}"))
    close()


def current_stack(f: Facts, out: list[str], line: int, problems: list[tuple[int, str]], options: str) -> None:
    """``$C`` (frame pointers and arguments), ``$c`` and ``::stack`` (the
    frames): the stack of the thread OPTIONS names (``ADDR$C``), else of the
    current thread, the panic thread of a crash dump."""
    with_fp = options.startswith("C")
    addr = options.split(":", 1)[1] if ":" in options else ""
    frames = []
    for k, text in enumerate(out):
        n = line + 1 + k
        m = (FRAME if with_fp else BARE_FRAME).match(text.strip())
        if m is None:
            if text.strip():
                problems.append((n, f"$C: not a frame: {text[:60]!r}"))
            continue
        args = [a.strip() for a in m.group("args").split(",") if a.strip()]
        frames.append({"pc": m.group("pc"), "fp": hexval(m.group("fp")) if with_fp else None,
                       "args": [hexval(a) for a in args]})
    if frames:
        f.current.append((int(addr, 16) if addr else None, frames, line))


ZONE_ROW = re.compile(r"^(?P<addr>[0-9a-f]{1,16}) +(?P<id>\d+) +(?:(?P<status>[a-z_]+) +)?(?P<name>\S+) +(?P<path>\S+)$")


def zone(f: Facts, out: list[str], line: int, problems: list[tuple[int, str]], options: str) -> None:
    """zone.c zoneprt: address, id, (illumos) status, name and root path."""
    for k, text in enumerate(out):
        n = line + 1 + k
        words = text.split()
        if words[:2] == ["ADDR", "ID"]:
            f.era.put("era", "illumos" if "STATUS" in words else "opensolaris", n)
            continue
        m = ZONE_ROW.match(text.strip())
        if m is None:
            if text.strip():
                problems.append((n, f"::zone: not a zone line: {text[:60]!r}"))
            continue
        z = f.zone(int(m.group("id")))
        z.put("addr", hexval(m.group("addr")), n)
        z.put("name", m.group("name"), n)
        z.put("path", m.group("path"), n)
        if m.group("status"):
            z.put("status", m.group("status"), n)


REG = re.compile(r"(?:%(?P<pct>\w+)|(?P<base>fsbase|gsbase)) *= 0x(?P<v>[0-9a-f]{1,16})(?: (?P<sym>[\w`.]+)\+0x(?P<off>[0-9a-f]+)\b)?")
THREAD_STATES = {"sleep": "sleep", "run": "run", "onproc": "onproc", "free": "free", "zomb": "zomb",
                 "stopped": "stop", "stop": "stop", "wait": "wait"}
def regs(f: Facts, out: list[str], line: int, problems: list[tuple[int, str]], options: str) -> None:
    """``$r`` of a crash dump: the registers panic saved (kvm's
    kt_regs; under kmdb they are the stopped CPU's, not read here)."""
    found: dict[str, int] = {}
    for k, text in enumerate(out):
        for m in REG.finditer(text):
            found[m.group("pct") or m.group("base")] = hexval(m.group("v"))
            if m.group("sym"):              # %rip = ADDR sym+off: where sym is, and how far it reaches
                sym = f.symbol(m.group("sym"))
                sym.put("addr", hexval(m.group("v")) - hexval(m.group("off")), line + 1 + k)
                sym.fields["reach"] = max(sym.fields.get("reach", 0), hexval(m.group("off")))
    if not found:
        problems.append((line, "$r: no registers in its output"))
        return
    if options.startswith("kmdb:"):             # under kmdb: what the stopped CPU saved
        c = f.cpu(int(options[5:]))
        old = c.fields.setdefault("registers", {})
        for key, v in found.items():
            if key in old and old[key] != v:
                raise Contradiction(f"CPU {options[5:]} register {key}", (c.lines.get("registers", line), old[key]),
                                    (line, v))
            old[key] = v
        c.lines.setdefault("registers", line)
        rip = [m for text in out for m in REG.finditer(text) if m.group("pct") == "rip" and m.group("sym")]
        if rip:
            f.system.put("kmdb_pc", f"{rip[0].group('sym')}+0x{rip[0].group('off')}", line)
        return
    _merge_registers(f, found, line)


def _merge_registers(f: Facts, found: dict[str, int], line: int, ordered: bool = False) -> None:
    """Registers from one more listing ($r, ::panicinfo): each must agree.
    ::panicinfo (ORDERED) prints them in the dump's order: its order wins."""
    old = f.panic.fields.setdefault("registers", {})
    for key, v in found.items():
        if key in old and old[key] != v:
            raise Contradiction(f"the panic register {key}", (f.panic.lines.get("registers", line), old[key]),
                                (line, v))
        old[key] = v
    if ordered:
        f.panic.fields["registers"] = {**found, **{k: v for k, v in old.items() if k not in found}}
    f.panic.lines.setdefault("registers", line)
