"""Processes and threads of a dump: the field-by-field checks (the slow path,
which names the exact path and rule) and the checks of typed structs that
the fast path decoded (:class:`ProcessChecks`).
"""

from __future__ import annotations

from itertools import chain
from operator import attrgetter
from typing import Any

from kdb.target.model import (DEFAULT_RESUME, NO_STACK, PROC_STATES, SOBJ_TYPES, THREAD_STATES, Proc, RawFrame, Thread,
                              Zone)
from kdb.target.symbols import parse_location

from kdb.target.dump.checks import (DumpError, _THREAD_STATE_SET, _addr, _addresses, _fast_addr,
                                    _int, _jtype, _show, address, enum, integer, location, lst,
                                    obj, opt_text, text, timestamp)
from kdb.target.dump.schema import FRAME_KEYS, PROC_KEYS, SOBJ_REF_KEYS, THREAD_KEYS
from kdb.target.dump.stacks import StackScan, decode, decode_all

_PC = attrgetter("pc")
_FP = attrgetter("fp")
_ARGS = attrgetter("args")


def _zone_of(p: Proc, i: int, zone_by_id: dict[int, Zone], zone_by_name: dict[str, Zone]) -> Zone:
    """The zone process I names (by id or by name), or the error at its path."""
    zref = p.zone_raw
    zone = zone_by_id.get(zref) if isinstance(zref, int) else zone_by_name.get(zref)
    if zone is None:
        raise DumpError(f"$.procs[{i}].zone", f"{_show(zref)} is not a zone of this dump")
    return zone


class ProcessChecks:
    """The state of one build (every claimed address, the code locations)
    and the checks of processes and threads."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.addrs: dict[int, Any] = {}           # every entity address -> where it was claimed
        self._threads: list[Thread] = []
        self._procs: list[Proc] = []
        self.thread_addrs: dict[int, Thread] = {}
        self.locations: dict[str, int] = {}       # code location string -> address (later)
        self.loc_wanted: set[str] = set()
        self.valid_locs: set[str] = set()

    def claim(self, addr: int, path: str) -> None:
        other = self.addrs.get(addr)
        if other is None:
            other = self.thread_addrs.get(addr)
        if other is not None:
            raise DumpError(path, f"duplicate address 0x{addr:x} (also {self._path_of(other)})")
        self.addrs[addr] = path

    def want(self, loc: int | str) -> None:
        if type(loc) is str:
            self.loc_wanted.add(loc)

    def check_procs(self, plist: list[Any], zone_by_id: dict[int, Zone],
                    zone_by_name: dict[str, Zone]) -> None:
        """Check every process and thread field by field (the slow path).

        Used when the typed decoder refused the dump, to name the path and
        the rule exactly; builds nothing.
        """
        pids: dict[int, str] = {}
        claim = self.claim
        for i, raw in enumerate(plist):
            p = f"$.procs[{i}]"
            d = obj(raw, p, PROC_KEYS, ("addr", "pid", "comm"))
            addr = address(d["addr"], f"{p}.addr")
            claim(addr, f"{p}.addr")
            pid = integer(d["pid"], f"{p}.pid", 0)
            if pid in pids:
                raise DumpError(f"{p}.pid", f"duplicate pid {pid} (also {pids[pid]})")
            pids[pid] = f"{p}.pid"
            zref = d.get("zone", 0)
            if type(zref) is int:
                zone = zone_by_id.get(zref)
            elif type(zref) is str:
                zone = zone_by_name.get(zref)
            else:
                raise DumpError(f"{p}.zone", f"expected a zone id or name, got {_jtype(zref)}")
            if zone is None:
                raise DumpError(f"{p}.zone", f"{_show(zref)} is not a zone of this dump")
            tlist = lst(d.get("threads", []), f"{p}.threads")
            text(d["comm"], f"{p}.comm")
            # null means "absent" for the optional fields, as in the typed path
            for key in ("ppid", "uid", "gid", "task", "project"):
                if key in d:
                    integer(d[key], f"{p}.{key}", 0)
            for key in ("pgid", "sid"):
                if d.get(key) is not None:
                    integer(d[key], f"{p}.{key}", 0)
            integer(d.get("flags", 0), f"{p}.flags", 0, 0xFFFFFFFF)
            if d.get("state") is not None:
                enum(d["state"], f"{p}.state", PROC_STATES)
            if d.get("psargs") is not None:
                text(d["psargs"], f"{p}.psargs")
            opt_text(d.get("service"), f"{p}.service")
            if d.get("start") is not None:
                timestamp(d["start"], f"{p}.start")
            for j, traw in enumerate(tlist):
                tp = f"{p}.threads[{j}]"
                claim(self.thread(traw, tp), f"{tp}.addr")

    def procs_typed(self, procs: list[Proc], zone_by_id: dict[int, Zone],
                    zone_by_name: dict[str, Zone]) -> tuple[list[Thread], dict[int, Thread]]:
        """The hot path: finish typed processes and threads, checking the rules
        the decoder cannot (address syntax, uniqueness, zones, locations).

        Per-process work is a plain loop; per-thread work is done a column at
        a time (comprehensions, map, zip, one regex scan over all address
        strings), so a million threads cost seconds, not minutes. Anything
        wrong is then located by a slow scan that names the JSON path.
        """
        addrs = self.addrs
        pids: dict[int, int] = {}
        for i, p in enumerate(procs):
            a = _fast_addr(p.addr_raw)
            if a < 0:
                address(p.addr_raw, f"$.procs[{i}].addr")
            if a in addrs:
                raise DumpError(f"$.procs[{i}].addr",
                                f"duplicate address 0x{a:x} (also {self._path_of(addrs[a])})")
            addrs[a] = ("p", i)
            p.addr = a
            pid = p.pid
            if pid in pids:
                raise DumpError(f"$.procs[{i}].pid", f"duplicate pid {pid} (also $.procs[{pids[pid]}].pid)")
            pids[pid] = i
            p.zone = _zone_of(p, i, zone_by_id, zone_by_name)
            p.pgid = pid if p.pgid_raw is None else p.pgid_raw
            p.sid = pid if p.sid_raw is None else p.sid_raw
            p.psargs = p.comm if p.psargs_raw is None else p.psargs_raw
            tl = p.threads
            p.state = p.state_raw or ("run" if tl else "zomb")
            if p.start is not None:
                timestamp(p.start, f"$.procs[{i}].start")
            for t in tl:
                t.proc = p
        threads = [t for p in procs for t in p.threads]
        self._threads = threads
        self._procs = procs

        # thread addresses: checked in one scan, converted in C, unique
        raws = [t.addr_raw for t in threads]
        ints = _addresses(raws)
        if ints is None:
            self._find_bad_address(procs, thread_addr=True)
        by_addr = dict(zip(ints, threads))  # type: ignore[arg-type]
        if len(by_addr) != len(threads) or not by_addr.keys().isdisjoint(addrs):
            self._find_duplicate(threads, ints)  # type: ignore[arg-type]
        for t, a in zip(threads, ints):  # type: ignore[arg-type]
            t.addr = a
        self.thread_addrs = by_addr

        # every other address field, in bulk (the stacks': check_stacks)
        loose = [v for t in threads for v in (t.sp_raw, t.wchan_raw, t.lwp_raw) if v is not None]
        loose += [t.sobj.addr for t in threads if t.sobj is not None]
        starts = {t.start_raw for t in threads}
        resumes = {t.resume_raw for t in threads}
        loose_ints = [v for v in starts | resumes if v.__class__ is int]
        if _addresses(loose, convert=False) is None or _addresses(loose_ints) is None:
            self._find_bad_address(procs)
        self.loc_wanted.update(v for v in starts | resumes if v.__class__ is str)
        return threads, by_addr

    def restore_procs(self, procs: list[Proc], zone_by_id: dict[int, Zone],
                      zone_by_name: dict[str, Zone]) -> tuple[list[Thread], dict[int, Thread]]:
        """Processes and threads from the cache (kdb.target.dump.cache), with
        the values the checks derived when the dump was first loaded: only
        the links between them are made again."""
        addrs = self.addrs
        for i, p in enumerate(procs):
            p.zone = _zone_of(p, i, zone_by_id, zone_by_name)
            addrs[p.addr] = ("p", i)
            for t in p.threads:
                t.proc = p
        threads = [t for p in procs for t in p.threads]
        self._threads, self._procs = threads, procs
        self.thread_addrs = {t.addr: t for t in threads}
        return threads, self.thread_addrs

    def check_stacks(self, threads: list[Thread], scan: StackScan) -> None:
        """Check every stack: vouched for by one scan of their text (SCAN,
        started when the threads were decoded), or decoded and checked a
        column at a time (kdb.target.dump.stacks); then every code location."""
        procs = self._procs
        symbolic = scan.result([t.stack_json for t in threads])
        if symbolic is not None:
            for t in threads:
                r = t.stack_json
                t.has_stack = len(r) > 2 and r != NO_STACK
            decoded: list[Any] = []
        else:
            decoded = decode_all(threads)
            for t, d in zip(threads, decoded):
                t.has_stack = bool(d)

        # a stack needs a saved stack pointer
        if any(t.sp_raw is None and t.has_stack for t in threads):
            for i, p in enumerate(procs):
                for j, t in enumerate(p.threads):
                    if t.has_stack and t.sp_raw is None:
                        raise DumpError(f"$.procs[{i}].threads[{j}].sp",
                                        "required key is missing (a thread with a stack needs sp)")

        want = self.loc_wanted
        frames: set[Any] = symbolic or set()
        if decoded:
            # frames: compact strings and objects apart, each column gathered in
            # C (a set of frame objects would hash a million objects by identity)
            loose: list[Any] = []
            every = list(chain.from_iterable(d for d in decoded if d))
            frames = {f for f in every if f.__class__ is str}
            objs = [f for f in every if f.__class__ is not str]
            if objs:
                pcs = set(map(_PC, objs))
                numeric = [pc for pc in pcs if pc.__class__ is not str]
                if numeric:
                    pcs.difference_update(numeric)
                    loose += numeric
                frames |= pcs
                loose += [fp for fp in map(_FP, objs) if fp is not None]
                loose += chain.from_iterable(map(_ARGS, objs))
            if _addresses(loose, convert=False) is None:
                self._find_bad_address(procs)
        want.update(f for f in frames if isinstance(f, str))
        if any(t.resume_raw is None and t.state != "onproc" and (t.has_stack or t.sp_raw is not None)
               for t in threads):
            want.add(DEFAULT_RESUME)

        # code locations: check each distinct string once
        for loc in list(want):
            if loc in self.valid_locs:
                continue
            if loc[:2] in ("0x", "0X"):
                want.discard(loc)
                if _fast_addr(loc) < 0:
                    self._find_bad_location(procs, loc)
            elif parse_location(loc) is None:
                self._find_bad_location(procs, loc)
            self.valid_locs.add(loc)

    def _find_duplicate(self, threads: list[Thread], ints: list[int]) -> None:
        """Name the first thread address seen twice. One walk over the
        processes in order (THREADS and INTS are in that order), paths built
        only for the pair reported: a duplicate at the end of 80,000
        processes took 39 s when each thread's path searched the list."""
        seen: dict[int, tuple[int, int]] = {}
        n = 0
        for i, p in enumerate(self._procs):
            for j in range(len(p.threads)):
                a = ints[n]
                n += 1
                if a in seen:
                    pi, pj = seen[a]
                    other = f"$.procs[{pi}].threads[{pj}].addr"
                elif a in self.addrs:
                    other = self._path_of(self.addrs[a])
                else:
                    seen[a] = (i, j)
                    continue
                raise DumpError(f"$.procs[{i}].threads[{j}].addr",
                                f"duplicate address 0x{a:x} (also {other})")
        raise DumpError("$.procs", "duplicate thread address")  # pragma: no cover

    def _path_of(self, marker: Any) -> str:
        """The JSON path of an address claim (claims store cheap markers)."""
        if isinstance(marker, str):
            return marker
        if isinstance(marker, tuple):
            return f"$.procs[{marker[1]}].addr"
        t = marker
        i = next(k for k, p in enumerate(self._procs) if p is t.proc)
        j = next(k for k, x in enumerate(t.proc.threads) if x is t)
        return f"$.procs[{i}].threads[{j}].addr"

    def _find_bad_address(self, procs: list[Proc], thread_addr: bool = False) -> None:
        """A bulk check failed: find the offending value and report its path."""
        for i, p in enumerate(procs):
            for j, t in enumerate(p.threads):
                tp = f"$.procs[{i}].threads[{j}]"
                if thread_addr:
                    address(t.addr_raw, f"{tp}.addr")
                    continue
                for key, v in (("sp", t.sp_raw), ("wchan", t.wchan_raw), ("lwp", t.lwp_raw),
                               ("resume", t.resume_raw), ("start", t.start_raw)):
                    if v is not None and (v.__class__ is int or key in ("sp", "wchan", "lwp")):
                        address(v, f"{tp}.{key}")
                if t.sobj is not None:
                    address(t.sobj.addr, f"{tp}.sobj.addr")
                for k, f in enumerate(decode(t.stack_json) or ()):
                    if not isinstance(f, str):
                        if f.pc.__class__ is int:
                            address(f.pc, f"{tp}.stack[{k}].pc")
                        if f.fp is not None:
                            address(f.fp, f"{tp}.stack[{k}].fp")
                        for m, a in enumerate(f.args):
                            address(a, f"{tp}.stack[{k}].args[{m}]")
        raise DumpError("$.procs", "an address is malformed")  # pragma: no cover

    def _find_bad_location(self, procs: list[Proc], loc: str) -> None:
        for i, p in enumerate(procs):
            for j, t in enumerate(p.threads):
                tp = f"$.procs[{i}].threads[{j}]"
                if t.start_raw == loc:
                    location(loc, f"{tp}.start")
                if t.resume_raw == loc:
                    location(loc, f"{tp}.resume")
                for k, f in enumerate(decode(t.stack_json) or ()):
                    if f == loc:
                        location(loc, f"{tp}.stack[{k}]")
                    elif not isinstance(f, str) and f.pc == loc:
                        location(loc, f"{tp}.stack[{k}].pc")
        location(loc, "$.procs")

    def frame(self, f: Any, path: str) -> int | str:
        d = obj(f, path, FRAME_KEYS, ("pc",))
        if d.get("fp") is not None:      # null: no frame pointer, as the typed path reads it
            address(d["fp"], f"{path}.fp")
        for k, a in enumerate(lst(d.get("args", []), f"{path}.args")):
            address(a, f"{path}.args[{k}]")
        loc = location(d["pc"], f"{path}.pc")
        return loc

    def thread(self, v: Any, tp: str) -> int:
        """Check one thread field by field; return its address."""
        if type(v) is not dict or not v.keys() <= THREAD_KEYS:
            obj(v, tp, THREAD_KEYS)
        d = v
        if "addr" not in d or "state" not in d:
            obj(v, tp, THREAD_KEYS, ("addr", "state"))
        state = d["state"]
        if type(state) is not str or state not in _THREAD_STATE_SET:
            enum(state, f"{tp}.state", THREAD_STATES)
        stack = d.get("stack")
        if stack is not None:
            if type(stack) is not list:
                lst(stack, f"{tp}.stack")
            valid = self.valid_locs
            want = self.loc_wanted
            for k, f in enumerate(stack):
                if type(f) is str:
                    if f in valid:
                        continue
                    if f[:2] in ("0x", "0X"):
                        address(f, f"{tp}.stack[{k}]")
                    elif parse_location(f) is None:
                        raise DumpError(f"{tp}.stack[{k}]",
                                        f"{_show(f)} is not a code location (sym, sym+0x1f or mod`sym+0x1f)")
                    else:
                        want.add(f)
                    valid.add(f)
                elif type(f) is dict:
                    self.want(self.frame(f, f"{tp}.stack[{k}]"))
                else:
                    raise DumpError(f"{tp}.stack[{k}]",
                                    f"expected a frame (a code location or an object), got {_jtype(f)}")
            if stack and "sp" not in d:
                raise DumpError(f"{tp}.sp", "required key is missing (a thread with a stack needs sp)")
        sobj = d.get("sobj")
        if sobj is not None:
            sd = obj(sobj, f"{tp}.sobj", SOBJ_REF_KEYS, ("type", "addr"))
            enum(sd["type"], f"{tp}.sobj.type", SOBJ_TYPES)
            _addr(sd["addr"], tp, "sobj.addr")
        start = d.get("start")
        if start is not None:
            start = location(start, f"{tp}.start")
            self.want(start)
        resume = d.get("resume")
        if resume is None and state != "onproc" and (stack or d.get("sp") is not None):
            resume = DEFAULT_RESUME
        if resume is not None:
            if type(resume) is not str or resume not in self.valid_locs:
                resume = location(resume, f"{tp}.resume")
            self.want(resume)
        cpu = d.get("cpu")
        if cpu is not None and (type(cpu) is not int or cpu < 0):
            integer(cpu, f"{tp}.cpu", 0)
        lwp = d.get("lwp")
        wchan = d.get("wchan")
        sp = d.get("sp")
        name = d.get("name")
        if name is not None and type(name) is not str:
            text(name, f"{tp}.name")
        err = d.get("stack_error")
        if err is not None and type(err) is not str:
            text(err, f"{tp}.stack_error")
        if lwp is not None:
            _addr(lwp, tp, "lwp")
        if wchan is not None:
            _addr(wchan, tp, "wchan")
        if sp is not None:
            _addr(sp, tp, "sp")
        for key, lo, hi in (("tid", 0, 1 << 31), ("flags", 0, 0xFFFF), ("pflags", 0, 0xFFFF),
                            ("sflags", 0, 0xFFFF), ("pri", -1, 255), ("epri", -1, 255), ("pil", 0, 15)):
            _int(d, key, 0, lo, hi, tp)
        return _addr(d["addr"], tp, "addr")

    def _thread_path(self, t: Thread) -> str:
        return self._path_of(t).rsplit(".addr", 1)[0]
