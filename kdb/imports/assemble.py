"""From what a capture says (:class:`~kdb.imports.facts.Facts`) to a dump of
the version-1 format, marking each entity whose data the capture did not
show with an ``x_import`` note (docs/import.md)."""

from __future__ import annotations

from typing import Any

from kdb.imports.facts import Entity, Facts
from kdb.target.model import DEFAULT_RESUME

SCHED_ADDR = 0xFFFFFFFFFBC2EA80          # p0 where an amd64 kernel has it
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
    if notes:
        system["x_import"] = notes
    dump: dict[str, Any] = {"kdb_dump": 1, "system": system}
    if "message" in f.panic.fields:
        dump["panic"] = {"message": f.panic.fields["message"]}
    procs = _procs(f)
    dump["procs"] = procs
    onproc = [t for p in procs for t in p["threads"] if t.get("state") == "onproc"]
    if onproc:
        cpus = []
        for i, t in enumerate(onproc):
            t["cpu"] = i
            cpus.append({"id": i, "addr": f"0x{CPU_BASE + 0x1000 * i:x}", "thread": t["addr"],
                         "x_import": ["synthesized: a CPU for each thread the capture shows on one"]})
        dump["cpus"] = cpus
    if "panic" in dump:
        # the panic thread: the one on a CPU whose stack starts in panic
        # (vpanic, panic, panicsys); the capture's ::panicinfo would say
        for t in onproc:
            first = t["stack"][0]["pc"] if t["stack"] else ""
            if first.split("+", 1)[0].split("`")[-1] in ("vpanic", "panic", "panicsys"):
                dump["panic"].update(thread=t["addr"], cpu=t["cpu"],
                                     x_import=["thread: the thread on a CPU whose stack starts in panic"])
                break
    if f.messages is not None:
        dump["msgbuf"] = [{"text": text + "\n"} for text in f.messages]
    return dump


def _procs(f: Facts) -> list[dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    by_comm: dict[str, list[int]] = {}
    for pid, p in sorted(f.procs.items()):
        d: dict[str, Any] = {"addr": f"0x{p.get('addr', 0):x}", "pid": pid, "comm": p.get("comm", "?"),
                             "threads": []}
        for key in ("ppid", "pgid", "sid", "uid", "flags"):
            if key in p.fields:
                d[key] = p.fields[key]
        if p.get("ps_state") == "Z":
            d["state"] = "zomb"
        out[pid] = d
        by_comm.setdefault(d["comm"], []).append(pid)
    next_pid = max(out, default=0) + 100000
    for addr, t in f.threads.items():           # in the order the capture shows them (the thread walk)
        desc = t.get("desc") or ""
        td = _thread(addr, t, desc)
        owner: int | None = None
        if "/" in desc and not desc.endswith("()"):
            comm, _, tid = desc.rpartition("/")
            comm = comm.split(" [", 1)[0]
            pids = by_comm.get(comm, [])
            if tid.split(" ", 1)[0].isdigit():
                td["tid"] = int(tid.split(" ", 1)[0])
            if len(pids) == 1:
                owner = pids[0]
            else:
                f.notes.append(f"thread {addr:x}: {comm!r} names " + (
                    f"{len(pids)} processes of ::ps ({', '.join(map(str, pids))})" if pids else "no process of ::ps")
                    + ": placed in a process of its own (::ps -t or ::threadlist would place it)")
                owner = next_pid
                next_pid += 1
                out[owner] = {"addr": f"0x{0xFFFFFF0D00000000 + 0x1000 * (owner - 100000):x}", "pid": owner,
                              "comm": comm, "threads": [],
                              "x_import": [f"synthesized: the capture names {comm} in a thread's "
                                           "description but shows no ::ps line for it (pid invented)"]}
                by_comm.setdefault(comm, []).append(owner)
        if owner is None:
            if 0 not in out:
                out[0] = {"addr": f"0x{SCHED_ADDR:x}", "pid": 0, "comm": "sched", "threads": [],
                          "x_import": ["synthesized: the kernel's threads need p0"]}
            owner = 0
        out[owner]["threads"].append(td)
    return [out[pid] for pid in sorted(out)]


def _thread(addr: int, t: Entity, desc: str) -> dict[str, Any]:
    d: dict[str, Any] = {"addr": f"0x{addr:x}"}
    frames = t.get("frames") or []
    if t.get("free"):
        d["state"] = "free"
    elif t.get("resume") is None:
        d["state"] = "onproc"
    else:
        d["state"] = "sleep"
        if t.get("resume") != DEFAULT_RESUME:
            d["resume"] = t.get("resume")
    if "sp" in t.fields:
        d["sp"] = f"0x{t.fields['sp']:x}"
    d["stack"] = [{"pc": fr["pc"], "fp": f"0x{fr['fp']:x}", "args": [f"0x{a:x}" for a in fr["args"]]}
                  for fr in frames]
    if desc and "/" not in desc:
        if desc.endswith("()"):
            d["start"] = desc[:-2]
        else:
            d["name"] = desc
    d["x_import"] = ["from ::findstack: state, wait channel and priority not shown (sleep if a "
                     "resume pc was printed, else on CPU)"]
    return d
