"""From what a capture says (:class:`~kdb.imports.facts.Facts`) to a dump of
the version-1 format, marking each entity whose data the capture did not
show with an ``x_import`` note (docs/import.md)."""

from __future__ import annotations

import itertools
from typing import Any, Iterator

from kdb.imports.facts import Entity, Facts, set_frames
from kdb.target.dump.blocking import BLOCKS_ON, FIRST_ARG, TOP_FRAMES, function_of
from kdb.target.model import DEFAULT_RESUME

SCHED_ADDR = 0xFFFFFFFFFBC2EA80          # p0 where an amd64 kernel has it
#: where a panicking thread's stack starts
PANIC_FUNCTIONS = ("vpanic", "panic", "panicsys")
CPU_BASE = 0xFFFFFFFFFBC3D240


def _isa(system: Entity) -> str:
    machine, bits = system.get("machine", "i86pc"), system.get("bits", 64)
    if str(machine).startswith("sun4"):
        return "sparcv9"
    return "amd64" if bits == 64 else "i386"


def assemble(f: Facts) -> dict[str, Any]:
    s = f.system
    system: dict[str, Any] = {"nodename": s.get("nodename", "imported"), "isa": _isa(s)}
    for key in ("release", "version", "machine", "dump", "dump_file", "image_uuid", "content"):
        if key in s.fields:
            system[key] = s.fields[key]
    notes = [] if "nodename" in s.fields else ["nodename: the capture has no ::status"]
    if "message" not in f.panic.fields and ("thread" in f.panic.fields
                                            or any(g["state"] == "panic" for g in f.stack_groups)):
        notes.append("panic message: the capture shows a panicking thread but no message")
    era = f.era.get("era")
    if "version" not in s.fields and era == "illumos":
        system["version"] = "illumos"
        notes.append("version: the capture has no ::status; its layouts are illumos's")
    elif "version" in s.fields and era is not None:
        from kdb.target.model import SystemInfo
        told = SystemInfo(nodename="x", version=s.fields["version"], release=s.get("release", "5.11")).era
        if told != era:
            f.notes.append(f"the version {s.fields['version']} renders as the {told} mdb, but the layouts "
                           f"(line {f.era.lines['era']}) are the {era} mdb's: replay will differ")
    if notes:
        system["x_import"] = notes
    dump: dict[str, Any] = {"kdb_dump": 1, "system": system}
    if s.get("kmdb_cpu") is not None:            # kmdb's prompt [N]>: stopped on CPU N
        dump["kmdb"] = {"cpu": s.get("kmdb_cpu")}
        for key in ("pc", "instr"):
            if s.get(f"kmdb_{key}") is not None:
                dump["kmdb"][key] = s.get(f"kmdb_{key}")
        f.cpu(s.get("kmdb_cpu"))                  # the CPU exists
    _cpu_threads(f)
    _stack_groups(f)
    _current(f)
    if "message" not in f.panic.fields and "thread" in f.panic.fields:
        f.panic.fields["message"] = ""         # ::stacks shows a PANIC thread, nothing shows the message
    if "message" in f.panic.fields:
        dump["panic"] = {"message": f.panic.fields["message"]}
        for key in ("cpu",):
            if key in f.panic.fields:
                dump["panic"][key] = f.panic.fields[key]
        if "thread" in f.panic.fields:
            dump["panic"]["thread"] = f"0x{f.panic.fields['thread']:x}"
        if "registers" in f.panic.fields:
            dump["panic"]["registers"] = {k: f"0x{v:x}" for k, v in f.panic.fields["registers"].items()}
    procs = _procs(f)
    dump["procs"] = procs
    threads = {t["addr"]: t for p in procs for t in p["threads"]}
    onproc = [t for t in threads.values() if t.get("state") == "onproc"]
    if f.cpus:
        cpus = []
        for cid, c in sorted(f.cpus.items()):
            d: dict[str, Any] = {"id": cid}
            for key in ("flags", "nrun", "bspl", "pri", "runrun", "kprunrun", "switch_ticks"):
                if key in c.fields:
                    d[key] = c.fields[key]
            for key in ("addr", "thread", "idle_thread"):
                if c.fields.get(key):
                    d[key] = f"0x{c.fields[key]:x}"
            if c.get("registers"):
                d["registers"] = {k: f"0x{v:x}" for k, v in c.get("registers").items()}
            if "thread" in d and d["thread"] in threads:
                threads[d["thread"]]["cpu"] = cid
            for a in c.get("runq") or []:
                if f"0x{a:x}" in threads:
                    threads[f"0x{a:x}"]["cpu"] = cid
            if c.get("nrun") and len(c.get("runq") or []) < c.get("nrun"):
                f.notes.append(f"CPU {cid}: ::cpuinfo counts {c.get('nrun')} runnable threads but the capture "
                               "does not say which (::cpuinfo -v would)")
            cpus.append(d)
        dump["cpus"] = cpus
        for t in onproc:
            t.setdefault("cpu", 0)
    elif onproc:
        cpus = []
        for i, t in enumerate(onproc):
            t["cpu"] = i
            cpus.append({"id": i, "addr": f"0x{CPU_BASE + 0x1000 * i:x}", "thread": t["addr"],
                         "x_import": ["synthesized: a CPU for each thread the capture shows on one"]})
        dump["cpus"] = cpus
    if "panic" in dump and "thread" not in dump["panic"]:
        # the panic thread: the one on a CPU whose stack starts in panic
        # (vpanic, panic, panicsys); the capture's ::panicinfo would say
        for t in onproc:
            first = t["stack"][0] if t["stack"] else ""
            if function_of(first["pc"] if isinstance(first, dict) else first) in PANIC_FUNCTIONS:
                dump["panic"].update(thread=t["addr"], cpu=t["cpu"],
                                     x_import=["thread: the thread on a CPU whose stack starts in panic"])
                break
    zones = {zid for p in procs if isinstance(p.get("zone"), int) for zid in [p["zone"]]} | set(f.zones)
    if zones - {0} or f.zones:
        dump["zones"] = []
        for zid in sorted(zones):
            z = f.zones.get(zid)
            d = {"id": zid, "name": z.get("name") if z else ("global" if zid == 0 else f"zone{zid}")}
            if z is not None:
                for key in ("path", "status"):
                    if z.get(key) is not None:
                        d[key] = z.get(key)
                if z.get("addr") is not None:
                    d["addr"] = f"0x{z.get('addr'):x}"
            else:
                d["x_import"] = ["synthesized: ::ps -z names the zone id; its name and path are not shown"]
            dump["zones"].append(d)
    sobjs = []
    for a, w in f.wchans.items():
        if w.get("type") in ("mutex", "rwlock") or w.get("owner") is not None:
            d = {"addr": f"0x{a:x}", "type": w.get("type") or "mutex"}
            if w.get("kind"):
                d["kind"] = w.get("kind")
            if w.get("owner") is not None:
                d["owner"] = f"0x{w.get('owner'):x}"
            if d["type"] == "rwlock":
                d["writer"] = f"0x{w.get('writer'):x}" if w.get("writer") else None
                d["readers"] = w.get("readers") or 0
                d["write_wanted"] = bool(w.get("write_wanted"))
            sobjs.append(d)
    if sobjs:
        dump["sobjs"] = sobjs
    if f.modules:
        dump["modules"] = [{"id": mid, "name": m.get("name"), "desc": m.get("desc"),
                            "text": f"0x{m.get('text', 0):x}", "text_size": f"0x{m.get('text_size', 0):x}"}
                           for mid, m in sorted(f.modules.items())]
    if f.devices:
        dump["devinfo"] = _devinfo(f)
    _symbols(f, dump, procs)
    if f.messages is not None:
        dump["msgbuf"] = [{"text": text + "\n"} for text in f.messages]
    return dump


INVENTED_THREADS = 0xFFFFFF0E00000000
INVENTED_SOBJS = 0xFFFFFF0E80000000


def _stack_groups(f: Facts) -> None:
    """::stacks's groups: the threads with a group's stack take its state
    and sync object type; a group counting more threads than the capture
    shows gets the rest synthesized (invented addresses, x_import notes)."""
    invented = 0
    for g in f.stack_groups:
        if g["state"] == "panic":               # ::stacks's name for the panicking thread
            g["state"] = "onproc"
            f.panic.fields.setdefault("thread", g["rep"])
            f.panic.lines.setdefault("thread", g["line"])
        oncpu = g["state"] == "onproc"
        same = [a for a, t in f.threads.items()
                if [fr["pc"] for fr in t.get("frames") or []] == g["pcs"] and "group_state" not in t.fields]
        # two groups with one stack (on a CPU, and runnable): a resume pc
        # tells which (a thread on a CPU has none, but for kmdb's stopped one)
        same.sort(key=lambda a: (a != g["rep"], (f.threads[a].get("resume") is None) != oncpu))
        members = same[:g["count"]]
        for i, a in enumerate(g.get("members") or [g["rep"]]):
            if f.thread(a).get("frames"):
                continue
            # a member ::stacks (-a) names that nothing else showed (or only
            # ::cpuinfo): its stack is the group's
            _group_thread(f.thread(a), g, INVENTED_THREADS - 0x1000 - 0x200 * len(f.threads))
            if a not in members:
                members.insert(i, a)
        for a in members:
            t = f.threads[a]
            t.fields.setdefault("group_state", g["state"])
            if g["sobj"]:
                t.fields.setdefault("sobj_type", g["sobj"])
        for _ in range(g["count"] - len(members)):
            a = INVENTED_THREADS + 0x1000 * invented
            invented += 1
            t = f.thread(a)
            _group_thread(t, g, a - 0x200)
            t.fields["group_state"] = g["state"]
            if g["sobj"]:
                t.fields["sobj_type"] = g["sobj"]


def _group_thread(t: Entity, g: dict[str, Any], sp: int) -> None:
    """A thread ::stacks counts or names but no listing showed: the group's
    stack (no frame pointers, no arguments); asleep unless the group is on
    a CPU; what it keeps (a resume pc, a stack pointer) another line said."""
    t.fields.update(frames=[{"pc": pc, "fp": None, "args": []} for pc in g["pcs"]], free=False)
    t.fields.setdefault("resume", None if g["state"] == "onproc" else "_resume_from_idle+0xf1")
    t.fields.setdefault("sp", sp)
    t.fields.setdefault("synthesized", g["line"])


def _current(f: Facts) -> None:
    """$C's frames: the thread it named, else the panic thread (made when
    nothing else shows it: on a CPU, its address invented)."""
    for addr, frames, line in f.current:
        if addr is None:
            addr = f.panic.get("thread")
        if addr is None:
            for a, t in f.threads.items():
                first = (t.get("frames") or [{"pc": ""}])[0]["pc"]
                if t.get("resume") is None and function_of(first) in PANIC_FUNCTIONS \
                        and [x["pc"] for x in t.get("frames") or []] == [x["pc"] for x in frames]:
                    addr = a
                    break
        if addr is None:
            addr = INVENTED_THREADS - 0x100000
            t = f.thread(addr)
            t.fields.update(resume=None, free=False, synthesized=line, sp=frames[0]["fp"] - 0x40
                            if frames[0]["fp"] else addr - 0x200)
            f.panic.fields.setdefault("thread", addr)
            f.panic.lines.setdefault("thread", line)
        set_frames(f.thread(addr), frames, True, line)


def _cpu_threads(f: Facts) -> None:
    """A thread ::cpuinfo names that no stack listing showed: on that CPU,
    its stack unknown."""
    for cid, c in f.cpus.items():
        for key in ("thread", "idle_thread"):
            a = c.get(key)
            if a and a not in f.threads:
                t = f.thread(a)
                t.fields.update(resume=None, free=False, frames=[])
                t.fields["x_import_cpu"] = cid


def _procs(f: Facts) -> list[dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    by_comm: dict[str, list[int]] = {}
    by_addr: dict[int, int] = {}
    listed = list(f.procs)                   # the order ::ps printed them
    for pid, p in sorted(f.procs.items()):
        d: dict[str, Any] = {"addr": f"0x{p.get('addr', 0):x}", "pid": pid, "comm": p.get("comm", "?"),
                             "threads": []}
        # ::ps walks the process tree with each parent's children newest
        # first: start times that keep the captured order (none is shown)
        d["start"] = _start(len(listed) - listed.index(pid))
        d["x_import"] = ["start: synthesized to keep ::ps's order (the capture shows no start time)"]
        for key in ("ppid", "pgid", "sid", "uid", "flags"):
            if key in p.fields:
                d[key] = p.fields[key]
        if p.get("psargs") is not None:
            d["psargs"] = p.get("psargs")
            if "comm" not in p.fields:      # ::ps -f alone: the command's base name, as exec sets u_comm
                d["comm"] = p.get("psargs").split(" ", 1)[0].rsplit("/", 1)[-1][:16] or "?"
        if p.get("zone") is not None:
            d["zone"] = p.get("zone")
        if p.get("ps_state") == "Z":
            d["state"] = "zomb"
        out[pid] = d
        by_comm.setdefault(d["comm"], []).append(pid)
        if "addr" in p.fields:
            by_addr[p.fields["addr"]] = pid
    invented = max(out, default=0) + 100000

    def new_proc(comm: str, addr: int | None, why: str) -> int:
        nonlocal invented
        pid, invented = invented, invented + 1
        a = addr if addr is not None else 0xFFFFFF0D00000000 + 0x1000 * (pid - 100000)
        out[pid] = {"addr": f"0x{a:x}", "pid": pid, "comm": comm, "threads": [],
                    "x_import": [f"synthesized: {why} (pid invented)"]}
        by_comm.setdefault(comm, []).append(pid)
        by_addr[a] = pid
        return pid
    seen: list[int] = []
    sobj_counter = itertools.count()
    # the thread walk's order where the capture shows one, then the rest as met
    rest = [a for a in f.threads if a not in f.walk]
    # the partial orders listings imply (::rwlock's waiters, ::stacks -a's
    # members) for the threads no walk placed: each within its own slots
    for implied in f.orders:
        wo = [a for a in implied if a in rest]
        for slot, a in zip(sorted(rest.index(a) for a in wo), wo):
            rest[slot] = a
    order = list(f.walk) + rest
    for addr in order:
        t = f.threads[addr]
        desc = t.get("desc") or ""
        if f.threadlist and t.get("proc_addr") is None and t.get("free") is False:
            t.fields["free"] = True         # ::threadlist lists every thread but the free ones
        td = _thread(addr, t, desc, sobj_counter)
        comm, _, tid = desc.rpartition("/") if "/" in desc and not desc.endswith("()") else ("", "", "")
        comm = comm.split(" [", 1)[0] or t.get("comm_hint") or ""
        if tid.split(" ", 1)[0].isdigit():
            td["tid"] = int(tid.split(" ", 1)[0])
        owner: int | None = None
        paddr = t.get("proc_addr")
        if t.get("pid") is not None and paddr is None and t.get("pid") in out:
            owner = t.get("pid")
        elif t.get("pid") is not None and paddr is None:
            owner = t.get("pid")
            if owner not in out:
                out[owner] = {"addr": f"0x{0xFFFFFF0D00000000 + 0x1000 * (owner % 0x10000):x}", "pid": owner,
                              "comm": comm or "?", "threads": [],
                              "x_import": [f"synthesized: the pipeline 0t{owner}::pid2proc names the process; "
                                           "its address and name are not shown"]}
                by_comm.setdefault(comm or "?", []).append(owner)
        elif paddr is not None:
            owner = by_addr.get(paddr)
            kernel = t.get("start") is not None or t.get("taskq") is not None or (desc and "/" not in desc)
            if owner is None and kernel and 0 not in out:
                # a kernel thread's process: p0, at the address ::threadlist gives
                out[0] = {"addr": f"0x{paddr:x}", "pid": 0, "comm": "sched", "threads": [],
                          "x_import": ["synthesized: the kernel's threads' process, p0"]}
                by_addr[paddr] = owner = 0
            if owner is None:
                owner = new_proc(comm or "?", paddr, "::threadlist names its address, ::ps does not list it")
        elif comm:
            pids = by_comm.get(comm, [])
            if len(pids) == 1:
                owner = pids[0]
            else:
                f.notes.append(f"thread {addr:x}: {comm!r} names " + (
                    f"{len(pids)} processes of ::ps ({', '.join(map(str, pids))})" if pids else "no process of ::ps")
                    + ": placed in a process of its own (::threadlist would place it)")
                owner = new_proc(comm, None, f"the capture names {comm} in a thread's description only")
        if owner is None:
            if 0 not in out:
                out[0] = {"addr": f"0x{SCHED_ADDR:x}", "pid": 0, "comm": "sched", "threads": [],
                          "x_import": ["synthesized: the kernel's threads need p0"]}
                by_addr[SCHED_ADDR] = 0
            owner = 0
        if t.get("psargs") is not None:
            out[owner].setdefault("psargs", t.get("psargs"))
            if "tid" not in td:             # not a kernel thread (CMD:, not THREAD:): some LWP
                td["tid"] = 1
                td["x_import"].append("tid: 1 (::threadlist -v shows a process's thread; its LWP id unseen)")
        out[owner]["threads"].append(td)
        if owner not in seen:
            seen.append(owner)
    # kdb walks threads process by process in the dump's order: the order
    # the capture's thread walk met them, then the processes without threads
    return [out[pid] for pid in seen] + [out[pid] for pid in sorted(out) if pid not in seen]


def _symbols(f: Facts, dump: dict[str, Any], procs: list[dict[str, Any]]) -> None:
    """Symbols a capture places (``%rip = ADDR sym+off``): in the module whose
    text holds the address (else unix), sized to cover every offset the
    capture shows of them."""
    if not f.symbols:
        return
    offsets: dict[str, int] = {}
    for p in procs:
        for t in p["threads"]:
            for fr in t["stack"]:
                pc = fr["pc"] if isinstance(fr, dict) else fr
                name, _, off = pc.partition("+")
                offsets[name] = max(offsets.get(name, 0), int(off, 16) if off.startswith("0x") else
                                    int(off or "0"))
    mods = dump.setdefault("modules", [])
    for name, sym in f.symbols.items():
        mod_name, _, bare = name.rpartition("`")
        addr = sym.get("addr")
        home = next((m for m in mods if m.get("text") and int(m["text"], 16) <= addr
                     < int(m["text"], 16) + int(m.get("text_size", "0x0"), 16)), None)
        if home is None:
            home = next((m for m in mods if m["name"] == (mod_name or "unix")), None)
        if home is None:
            home = {"id": max([m["id"] for m in mods], default=-1) + 1, "name": mod_name or "unix",
                    "x_import": ["synthesized: a module for the symbols the capture places"]}
            mods.append(home)
        home.setdefault("symbols", []).append(
            {"name": bare, "addr": f"0x{addr:x}", "size": f"0x{max(offsets.get(bare, 0), sym.get('reach', 0)) + 1:x}",
             "kind": "func",
             "x_import": ["placed by the capture's %rip = ADDR sym+off; sized to the offsets it shows"]})


def _devinfo(f: Facts) -> list[dict[str, Any]]:
    """The device tree ::prtconf showed: a node with a driver name is
    attached; one whose driver is not attached is left initialized (an
    instance) or bound; majors and properties the listing does not show."""
    nodes: dict[int, dict[str, Any]] = {}
    roots: list[dict[str, Any]] = []
    for addr, e in f.devices.items():
        d: dict[str, Any] = {"addr": f"0x{addr:x}", "name": e.get("name"), "instance": e.get("instance")}
        if e.get("attached"):
            d["state"] = "attached"
        elif e.get("instance") >= 0:
            d["state"] = "initialized"
        if e.get("driver"):
            d["driver"] = e.get("driver")
        d["children"] = []
        d["x_import"] = ["state from ::prtconf's driver column; major, properties and unit address not shown"]
        nodes[addr] = d
        parent = e.get("parent")
        (roots if parent is None else nodes[parent]["children"]).append(d)
    # siblings in the order of the listing that shows most of them (an
    # ADDR::prtconf shows one path of the tree: a whole listing orders it)
    wheres = [{a: i for i, a in enumerate(listing)} for listing in f.device_listings]
    for kids in [roots] + [d["children"] for d in nodes.values()]:
        if len(kids) < 2:
            continue
        have = [int(k["addr"], 16) for k in kids]
        where = max(wheres, key=lambda w: sum(a in w for a in have))
        kids.sort(key=lambda k: where.get(int(k["addr"], 16), len(where)))
    return roots


def _blocked_on(frames: list[dict[str, Any]]) -> int | None:
    """The sync object a blocking frame near the top was called with
    (``mutex_vector_enter(lock)``, ``cv_wait(cv, ...)``): its first argument."""
    for fr in frames[:TOP_FRAMES]:
        name = function_of(fr["pc"])
        if name in FIRST_ARG and fr["args"]:
            return int(fr["args"][0])
    return None


def _start(n: int) -> str:
    """The Nth second of 2000, as ISO 8601."""
    import datetime
    t = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(seconds=n)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _thread(addr: int, t: Entity, desc: str, invented: Iterator[int]) -> dict[str, Any]:
    d: dict[str, Any] = {"addr": f"0x{addr:x}"}
    notes: list[str] = []
    frames = t.get("frames") or []
    if t.get("free"):
        d["state"] = "free"
    elif t.get("resume") is None and (frames or not t.get("wchan")):
        d["state"] = "onproc"
    else:
        d["state"] = "sleep"
        if t.get("resume") not in (DEFAULT_RESUME, None):
            d["resume"] = t.get("resume")
    gs = t.get("group_state")
    if gs in ("run", "stopped", "wait", "zomb", "free") and d["state"] != "onproc":
        d["state"] = "stop" if gs == "stopped" else gs
    if gs == "onproc" and d["state"] == "sleep":
        # on a CPU with a resume pc: kmdb's stopped CPUs save one
        d["state"] = "onproc"
        d["resume"] = t.get("resume")
    ps_state = t.get("ps_state")           # ::ps -t's TS_ state
    if ps_state and ps_state != "onproc" and (d["state"] == "sleep" or not t.get("frames")):
        d["state"] = ps_state
    elif ps_state == "onproc" and d["state"] == "sleep":
        d["state"], d["resume"] = "onproc", t.get("resume")     # kmdb's stopped CPU saved a resume pc
    if t.get("state") == "run":            # on a run queue (::cpuinfo -v)
        d["state"] = "run"
    kind = t.get("sobj_type")
    if kind is None and gs is None and d["state"] == "sleep":
        # no ::stacks or ::wchaninfo says: the blocking function's sync object type
        kind = next((BLOCKS_ON[n] for fr in frames[:TOP_FRAMES]
                     for n in [function_of(fr["pc"]) or ""] if n in BLOCKS_ON), None)
        if kind is not None:
            notes.append(f"sobj: a {kind} (its blocking frame's); the capture shows no ::stacks SOBJ")
    if kind and d["state"] == "sleep":
        w = t.get("wchan") or _blocked_on(frames)
        if w is None:
            # one object per thread: sharing one would invent contention
            w = INVENTED_SOBJS + 0x40 * next(invented)
            notes.append("sobj address invented (the capture shows neither its wchan nor the blocking "
                         "frame's arguments)")
        d["sobj"] = {"type": kind, "addr": f"0x{w:x}"}
    if "sp" in t.fields:
        d["sp"] = f"0x{t.fields['sp']:x}"
    for key in ("lwp", "wchan"):
        if t.get(key):
            d[key] = f"0x{t.get(key):x}"
    if t.get("tid") is not None:
        d["tid"] = t.get("tid")
    for key in ("flags", "pflags", "sflags", "epri", "pil"):
        if t.get(key):
            d[key] = t.get(key)
    if t.get("state") in ("sleep", "run", "onproc", "free", "zomb", "stop", "wait"):
        d["state"] = t.get("state")            # ::thread said it
    if t.get("pri") is not None:
        d["pri"] = t.get("pri")
    if any(fr["fp"] is None for fr in frames):
        d["stack"] = [fr["pc"] for fr in frames]
    else:
        d["stack"] = [{"pc": fr["pc"], "fp": f"0x{fr['fp']:x}", "args": [f"0x{a:x}" for a in fr["args"]]}
                      for fr in frames]
    if t.get("start"):
        d["start"] = t.get("start")
    if t.get("taskq"):
        d["name"] = f"tq:{t.get('taskq')}"
    if desc and "/" not in desc:
        if desc.endswith("()"):
            d.setdefault("start", desc[:-2])
        elif not desc.startswith("tq:") or "name" not in d:
            d["name"] = desc
    if t.get("synthesized"):
        d["x_import"] = [f"synthesized: one of the threads ::stacks counts at line {t.get('synthesized')}; "
                         "address invented"]
    else:
        d["x_import"] = ["state from the stack listings (asleep if a resume pc was printed, else on a CPU); "
                         "what the capture did not show is unset"]
    d["x_import"] += notes
    return d
