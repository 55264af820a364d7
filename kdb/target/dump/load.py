"""Loading and validating dump files (``../shared/dump-format.md``, version 1).

:func:`load_dump` parses a dump, checks every rule of the format and builds
the :class:`~kdb.target.model.Dump` with its indices. A dump that breaks a rule is
refused as a whole with a :class:`DumpError` naming the JSON path and the
rule (``$.procs[3].threads[0].state: 'slept' is not one of sleep, ...``);
nothing half-loaded is ever returned.

Performance: JSON is parsed with the garbage collector off and the result
frozen (``gc.freeze``), as measured in python-notes.md; stacks are kept raw
and only their distinct code locations are resolved at load.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime
import gc
import json
import operator
import os
import re
from itertools import chain, repeat
from typing import Any, Callable, Iterator

import attrs
import msgspec

from kdb.errors import KdbError
from kdb.limits import Limits, long_string_possible
from kdb.output.printf import safe_text
from kdb.target.model import (DEFAULT_RESUME, PROC_STATES, SOBJ_TYPES, THREAD_STATES, ZONE_STATUSES, Cpu, DevNode,
                       Dump, KModule, KmdbStop, Major, Message, Panic, Proc, Prop, Sobj, Symbol,
                       SystemInfo, Thread, Zone)
from kdb.target.symbols import SymbolTable, parse_location

MAX_SAFE = (1 << 53) - 1
MODCTL_BASE = 0xFFFFFF0901F00000
PROP_REGION = 0xFFFFFF0950000000
DEVNAMES_BASE = 0xFFFFFFFFFBC5A000
_THREAD_STATE_SET = frozenset(THREAD_STATES)


class DumpError(KdbError):
    """A dump that breaks the format: ``path`` is the JSON path, ``rule`` what failed."""

    def __init__(self, path: str, rule: str, file: str | None = None) -> None:
        self.path = path
        self.rule = rule
        self.file = file
        super().__init__(str(self))

    def __str__(self) -> str:
        prefix = f"{self.file}: " if self.file else ""
        return safe_text(f"{prefix}{self.path}: {self.rule}")   # paths hold the dump's keys


# ---------------------------------------------------------------------------
# scalar checks
# ---------------------------------------------------------------------------
def _jtype(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, int):
        return "an integer"
    if isinstance(v, float):
        return "a number"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, list):
        return "an array"
    return "an object"


def _show(v: Any) -> str:
    """A value quoted for a message: strings in single quotes, escaped."""
    if type(v) is str:
        inner = json.dumps(v, ensure_ascii=True)[1:-1].replace("'", "\\'")
        text = f"'{inner}'"
    else:
        text = json.dumps(v, ensure_ascii=True)
    return text if len(text) <= 60 else text[:57] + "..."


def obj(v: Any, path: str, allowed: frozenset[str], required: tuple[str, ...] = ()) -> dict:
    if type(v) is not dict:
        raise DumpError(path, f"expected an object, got {_jtype(v)}")
    extra = v.keys() - allowed
    for k in sorted(extra):
        if not k.startswith("x_"):
            raise DumpError(f"{path}.{k}", "unknown key (not in the format; use an x_ prefix for notes)")
    for k in required:
        if k not in v:
            raise DumpError(f"{path}.{k}", "required key is missing")
    return v


def lst(v: Any, path: str) -> list:
    if type(v) is not list:
        raise DumpError(path, f"expected an array, got {_jtype(v)}")
    return v


def integer(v: Any, path: str, lo: int | None = None, hi: int | None = None) -> int:
    if type(v) is not int:
        raise DumpError(path, f"expected an integer, got {_jtype(v)}")
    if lo is not None and v < lo:
        raise DumpError(path, f"{v} is less than {lo}")
    if hi is not None and v > hi:
        raise DumpError(path, f"{v} is greater than {hi}")
    return v


def text(v: Any, path: str) -> str:
    if type(v) is not str:
        raise DumpError(path, f"expected a string, got {_jtype(v)}")
    return v


def opt_text(v: Any, path: str) -> str | None:
    return None if v is None else text(v, path)


def boolean(v: Any, path: str) -> bool:
    if type(v) is not bool:
        raise DumpError(path, f"expected true or false, got {_jtype(v)}")
    return v


def enum(v: Any, path: str, choices: tuple[str, ...]) -> str:
    if type(v) is not str or v not in choices:
        raise DumpError(path, f"{_show(v)} is not one of {', '.join(choices)}")
    return v


def address(v: Any, path: str) -> int:
    """An address or 64-bit value: ``"0x..."`` (1 to 16 hex digits) or 0..2^53-1."""
    t = type(v)
    if t is str:
        if len(v) > 2 and len(v) <= 18 and v[0] == "0" and v[1] in "xX":
            try:
                return int(v[2:], 16)
            except ValueError:
                pass
        raise DumpError(path, f"{_show(v)} is not an address (\"0x\" and 1 to 16 hex digits)")
    if t is int:
        if 0 <= v <= MAX_SAFE:
            return v
        raise DumpError(path, f"{v} is out of range (integers must be 0 to 2^53-1; "
                              "write larger values as \"0x...\" strings)")
    raise DumpError(path, f"expected an address, got {_jtype(v)}")


def _addr(v: Any, base: str, key: str) -> int:
    """address() with the JSON path built only on failure."""
    if type(v) is str and 2 < len(v) <= 18 and v[0] == "0" and v[1] in "xX":
        try:
            return int(v[2:], 16)
        except ValueError:
            pass
    elif type(v) is int and 0 <= v <= MAX_SAFE:
        return v
    return address(v, f"{base}.{key}")


_HEXDIGITS = frozenset("0123456789abcdefABCDEF")


def _fast_addr(v: Any) -> int:
    """An address value as an int, or -1 if it breaks the address rule."""
    if v.__class__ is int:
        return v if 0 <= v <= MAX_SAFE else -1
    if v.__class__ is not str or not 2 < len(v) <= 18 or v[0] != "0" or v[1] not in "xX" \
            or "_" in v or v[-1] not in _HEXDIGITS:
        return -1
    try:
        return int(v, 16)
    except ValueError:
        return -1


_PREFIX_SET = {"0x", "0X"}
_HEX_DELETE = str.maketrans("", "", "0123456789abcdefABCDEFxX")


_PREFIX_OF = operator.itemgetter(slice(0, 2))


def _addresses(values: list[Any], convert: bool = True) -> list[int] | None:
    """Check (and convert) a column of address values; None if any is malformed.

    The decoder has already bounded integers; here every step runs in C over
    the whole column: the ``0x`` prefixes, one ``x`` per value, nothing but
    hex digits, and 1 to 16 of them.
    """
    n = len(values)
    if not n:
        return []
    try:
        joined = "".join(values)
    except TypeError:   # integers in the column: the per-value path
        out = []
        for v in values:
            a = _fast_addr(v)
            if a < 0:
                return None
            out.append(a)
        return out
    if not set(map(_PREFIX_OF, values)) <= _PREFIX_SET \
            or joined.count("x") + joined.count("X") != n or joined.translate(_HEX_DELETE):
        return None
    lengths = set(map(len, values))
    if min(lengths) < 3 or max(lengths) > 18:
        return None
    return list(map(int, values, repeat(16))) if convert else []


def _int(d: dict, key: str, default: int, lo: int, hi: int, base: str) -> int:
    """integer() of ``d[key]`` with a default, the path built only on failure."""
    v = d.get(key, default)
    if type(v) is int and lo <= v <= hi:
        return v
    return integer(v, f"{base}.{key}", lo, hi)


def opt_address(v: Any, path: str) -> int | None:
    return None if v is None else address(v, path)


def location(v: Any, path: str) -> int | str:
    """A code location: an address, or ``sym``, ``sym+0x1f``, ``mod`sym+0x1f``."""
    if type(v) is str:
        if v[:2] in ("0x", "0X"):
            return address(v, path)
        if parse_location(v) is None:
            raise DumpError(path, f"{_show(v)} is not a code location (sym, sym+0x1f or mod`sym+0x1f)")
        return v
    return address(v, path)


def timestamp(v: Any, path: str) -> str:
    s = text(v, path)
    try:
        t = datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        raise DumpError(path, f"{_show(v)} is not an ISO 8601 time") from None
    if t.tzinfo is None:
        raise DumpError(path, f"{_show(v)} has no time zone (write e.g. 2008-05-12T17:39:00Z)")
    return s


def check_shape(v: Any, limits: Limits, root: str = "$") -> None:
    """Refuse nesting deeper than ``limits.max_depth`` and strings (values or
    keys) longer than ``limits.max_string``, naming the JSON path of the first
    offender. Iterative, so no document can exhaust the Python stack here."""
    max_depth, max_string = limits.max_depth, limits.max_string
    # (node, depth, trail); a trail is (key, parent trail), built into a path only on error
    stack: list[tuple[Any, int, Any]] = [(v, 1, None)]
    pop, push = stack.pop, stack.append
    while stack:
        node, depth, trail = pop()
        t = type(node)
        if t is str:
            if len(node) > max_string:
                raise DumpError(_trail_path(root, trail), _too_long(len(node), limits))
            continue
        if t is not dict and t is not list:
            continue
        if depth > max_depth:
            raise DumpError(_trail_path(root, trail),
                            f"nesting deeper than {max_depth} levels ({Limits.hint('max_depth')})")
        items = node.items() if t is dict else enumerate(node)
        for k, c in items:
            tc = type(c)
            if t is dict and len(k) > max_string:
                raise DumpError(_trail_path(root, trail), _too_long(len(k), limits, "a key"))
            if tc is str or tc is dict or tc is list:
                push((c, depth + 1, (k, trail)))


def _too_long(n: int, limits: Limits, what: str = "a string") -> str:
    return (f"{what} of {n} characters is longer than the limit of {limits.max_string} "
            f"({Limits.hint('max_string')})")


def _trail_path(root: str, trail: Any) -> str:
    keys = []
    while trail is not None:
        keys.append(trail[0])
        trail = trail[1]
    parts = [f"[{k}]" if type(k) is int else f".{k}" if _PLAIN_KEY.fullmatch(k) else f"[{_show(k)}]"
             for k in reversed(keys)]
    path = root + "".join(parts)
    return path if len(path) <= 100 else path[:60] + " ... " + path[-30:]


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


# ---------------------------------------------------------------------------
# sections
# ---------------------------------------------------------------------------
TOP_KEYS = frozenset({"kdb_dump", "system", "panic", "kmdb", "modules", "cpus", "zones", "procs",
                      "sobjs", "majors", "devinfo", "msgbuf", "types", "objects", "memory"})
SYSTEM_KEYS = frozenset({"nodename", "sysname", "release", "version", "machine", "isa", "dump",
                         "dump_file", "image_uuid", "time", "boot_time", "hz", "content"})
PROC_KEYS = frozenset({"addr", "pid", "ppid", "pgid", "sid", "uid", "gid", "flags", "state", "comm",
                       "psargs", "zone", "task", "project", "service", "start", "threads"})
THREAD_KEYS = frozenset({"addr", "tid", "lwp", "name", "start", "state", "flags", "pflags", "sflags",
                         "pri", "epri", "pil", "cpu", "wchan", "sobj", "sp", "resume", "stack",
                         "stack_error"})
FRAME_KEYS = frozenset({"pc", "fp", "args"})
CPU_KEYS = frozenset({"id", "addr", "flags", "thread", "idle_thread", "pri", "nrun", "bspl", "runrun",
                      "kprunrun", "switch_ticks", "state"})
ZONE_KEYS = frozenset({"id", "name", "addr", "status", "path", "brand", "ip", "uuid", "capped_cpu"})
MODULE_KEYS = frozenset({"id", "name", "text", "text_size", "data_size", "rev", "desc", "symbols"})
SYMBOL_KEYS = frozenset({"name", "addr", "size", "kind"})
SOBJ_KEYS = frozenset({"addr", "type", "name", "kind", "owner", "minspl", "oldspl", "writer",
                       "readers", "write_wanted", "count"})
MAJOR_KEYS = frozenset({"major", "name", "props"})
PROP_KEYS = frozenset({"name", "value", "repeat"})
DEV_KEYS = frozenset({"addr", "name", "driver", "instance", "major", "state", "props", "children"})
PANIC_KEYS = frozenset({"message", "cpu", "thread", "time", "registers"})
KMDB_KEYS = frozenset({"cpu", "pc", "instr"})
MSG_KEYS = frozenset({"time", "text"})
OBJECT_KEYS = frozenset({"addr", "type", "value"})
MEMORY_KEYS = frozenset({"addr", "hex", "base64"})


class _Builder:
    """Builds a Dump from parsed JSON, checking every rule on the way."""

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

    # -----------------------------------------------------------------
    def build(self, data: Any, procs_in: list[Proc]) -> Dump:
        """Build the dump from sections (plain JSON) and typed processes."""
        top = obj(data, "$", TOP_KEYS, ("kdb_dump", "system", "procs"))
        if top["kdb_dump"] != 1 or type(top["kdb_dump"]) is not int:
            raise DumpError("$.kdb_dump", f"{_show(top['kdb_dump'])} is not a supported format version (1)")
        system = self.system(top["system"])
        panic_raw = top.get("panic")
        zones = self.zones(top.get("zones"))
        zone_by_id = {z.id: z for z in zones}
        zone_by_name = {z.name: z for z in zones}
        modules = self.modules(top.get("modules"))
        procs = procs_in
        threads, thread_by_addr = self.procs_typed(procs, zone_by_id, zone_by_name)
        cpus = self.cpus(top.get("cpus"), thread_by_addr)
        cpu_ids = {c.id for c in cpus}
        if not {t.cpu for t in threads} <= cpu_ids | {None}:
            for t in threads:
                if t.cpu is not None and t.cpu not in cpu_ids:
                    p = self._thread_path(t)
                    raise DumpError(f"{p}.cpu", f"CPU {t.cpu} is not a CPU of this dump")
        sobjs = self.sobjs(top.get("sobjs"), thread_by_addr)
        majors = self.majors(top.get("majors"))
        devinfo, devnodes = self.devinfo(top.get("devinfo"), {m.major for m in majors})
        msgbuf = self.msgbuf(top.get("msgbuf"))
        panic = self.panic(panic_raw, thread_by_addr, cpu_ids)
        kmdb = self.kmdb(top.get("kmdb"), cpu_ids)
        if "dump" not in top["system"]:
            system.dump = "crash" if panic is not None else "live"
        types = [text(t, f"$.types[{i}]") for i, t in enumerate(lst(top.get("types", []), "$.types"))]
        objects = self.objects(top.get("objects"))
        memory = self.memory(top.get("memory"))

        # symbols: declared, then synthesized for the locations no table declares
        table = SymbolTable(modules)
        mods_by_name = {m.name: m for m in modules}
        wanted: dict[tuple[str, str], int] = {}
        parsed: dict[str, tuple[str | None, str, int]] = {}
        for loc in self.loc_wanted:
            mod, name, off = parse_location(loc)  # type: ignore[misc]
            parsed[loc] = (mod, name, off)
            qual = f"{mod}`{name}" if mod else name
            if table.lookup(qual) is None:
                key = (mod or "unix", name)
                wanted[key] = max(wanted.get(key, 0), off)
        if wanted:
            for mod in sorted({k[0] for k in wanted}):
                if mod not in mods_by_name:
                    km = KModule(len(modules), mod, 0, 0, 0, 1, None, MODCTL_BASE + 0x100 * len(modules))
                    modules.append(km)
                    mods_by_name[mod] = km
            table.synthesize(wanted, mods_by_name)
            for km in modules:
                syms = [s for s in km.symbols]
                if syms and km.text == 0:
                    km.text = min(s.addr for s in syms)
                    km.text_size = max(s.addr + s.size for s in syms) - km.text
        resolved: dict[str, int] = {}
        for loc, (mod, name, off) in parsed.items():
            sym = table.lookup(f"{mod}`{name}" if mod else name)
            if sym is None:
                sym = table.lookup(f"{mod or 'unix'}`{name}")
            assert sym is not None
            resolved[loc] = (sym.addr + off) & ((1 << 64) - 1)

        def resolve(loc: Any) -> int:
            if type(loc) is str:
                r = resolved.get(loc)
                if r is not None:
                    return r
                return address(loc, "$")
            return loc

        for p in procs:
            p.resolver = resolve
        if kmdb is not None and type(kmdb.pc) is str:
            kmdb.pc = resolve(kmdb.pc)

        dump = Dump(self.path, system, panic, kmdb, modules, cpus, zones, procs, sobjs, majors,
                    devinfo, msgbuf, types, objects, memory)
        dump.threads = threads
        dump.thread_by_addr = thread_by_addr
        dump.proc_by_addr = {p.addr: p for p in procs}
        dump.proc_by_pid = {p.pid: p for p in procs}
        dump.cpu_by_id = {c.id: c for c in cpus}
        dump.cpu_by_addr = {c.addr: c for c in cpus}
        dump.zone_by_id = zone_by_id
        dump.zone_by_addr = {z.addr: z for z in zones}
        dump.sobj_by_addr = {s.addr: s for s in sobjs}
        dump.major_by_num = {m.major: m for m in majors}
        dump.major_by_name = {m.name: m for m in majors}
        dump.devnode_by_addr = devnodes
        dump.symbols = table
        return dump

    # -----------------------------------------------------------------
    def system(self, v: Any) -> SystemInfo:
        d = obj(v, "$.system", SYSTEM_KEYS, ("nodename",))
        s = SystemInfo(text(d["nodename"], "$.system.nodename"))
        for key in ("sysname", "release", "version", "machine", "isa", "dump_file", "content"):
            if key in d:
                setattr(s, key, text(d[key], f"$.system.{key}"))
        if "dump" in d:
            s.dump = enum(d["dump"], "$.system.dump", ("crash", "live"))
        if "image_uuid" in d:
            s.image_uuid = opt_text(d["image_uuid"], "$.system.image_uuid")
        for key in ("time", "boot_time"):
            if d.get(key) is not None:
                setattr(s, key, timestamp(d[key], f"$.system.{key}"))
        if "hz" in d:
            s.hz = integer(d["hz"], "$.system.hz", 1)
        if s.isa not in ("amd64", "sparcv9", "i386"):
            raise DumpError("$.system.isa", f"{_show(s.isa)} is not one of amd64, sparcv9, i386")
        return s

    def zones(self, v: Any) -> list[Zone]:
        zones: list[Zone] = []
        seen_ids: dict[int, str] = {}
        seen_names: dict[str, str] = {}
        for i, z in enumerate(lst(v if v is not None else [], "$.zones")):
            p = f"$.zones[{i}]"
            d = obj(z, p, ZONE_KEYS, ("id", "name"))
            zid = integer(d["id"], f"{p}.id", 0)
            name = text(d["name"], f"{p}.name")
            if zid in seen_ids:
                raise DumpError(f"{p}.id", f"duplicate zone id {zid} (also {seen_ids[zid]})")
            if name in seen_names:
                raise DumpError(f"{p}.name", f"duplicate zone name {name!r} (also {seen_names[name]})")
            seen_ids[zid] = p + ".id"
            seen_names[name] = p + ".name"
            addr = address(d["addr"], f"{p}.addr") if "addr" in d else 0xFFFFFFFFFBC2B480 + 0x1000 * zid
            self.claim(addr, f"{p}.addr")
            cap = d.get("capped_cpu")
            if cap is not None and (type(cap) not in (int, float) or cap <= 0):
                raise DumpError(f"{p}.capped_cpu", f"{_show(cap)} is not a positive number of CPUs")
            zones.append(Zone(
                zid, name, addr,
                enum(d.get("status", "running"), f"{p}.status", ZONE_STATUSES),
                text(d.get("path", "/" if zid == 0 else f"/zones/{name}"), f"{p}.path"),
                text(d.get("brand", "native"), f"{p}.brand"),
                enum(d.get("ip", "shared"), f"{p}.ip", ("shared", "excl")),
                opt_text(d.get("uuid"), f"{p}.uuid"),
                float(cap) if cap is not None else None))
        if 0 not in seen_ids:
            if "global" in seen_names:
                raise DumpError(seen_names["global"], "the zone named global must have id 0")
            gaddr = 0xFFFFFFFFFBC2B480
            self.claim(gaddr, "$.zones (implicit global zone)")
            zones.insert(0, Zone(0, "global", gaddr, "running", "/", "native", "shared", None, None))
        return zones

    def modules(self, v: Any) -> list[KModule]:
        mods: list[KModule] = []
        names: dict[str, str] = {}
        for i, m in enumerate(lst(v if v is not None else [], "$.modules")):
            p = f"$.modules[{i}]"
            d = obj(m, p, MODULE_KEYS, ("name",))
            name = text(d["name"], f"{p}.name")
            if name in names:
                raise DumpError(f"{p}.name", f"duplicate module {name!r} (also {names[name]})")
            names[name] = p
            km = KModule(
                integer(d.get("id", i), f"{p}.id", 0), name,
                address(d.get("text", 0), f"{p}.text"),
                integer(d.get("text_size", 0), f"{p}.text_size", 0),
                integer(d.get("data_size", 0), f"{p}.data_size", 0),
                integer(d.get("rev", 1), f"{p}.rev", 0),
                opt_text(d.get("desc"), f"{p}.desc"),
                MODCTL_BASE + 0x100 * i)
            seen: set[str] = set()
            for j, s in enumerate(lst(d.get("symbols", []), f"{p}.symbols")):
                sp = f"{p}.symbols[{j}]"
                sd = obj(s, sp, SYMBOL_KEYS, ("name", "addr"))
                sname = text(sd["name"], f"{sp}.name")
                if sname in seen:
                    raise DumpError(f"{sp}.name", f"duplicate symbol {sname!r} in module {name}")
                seen.add(sname)
                km.symbols.append(Symbol(
                    sname, address(sd["addr"], f"{sp}.addr"),
                    integer(sd.get("size", 0), f"{sp}.size", 0),
                    enum(sd.get("kind", "func"), f"{sp}.kind", ("func", "object")), name))
            mods.append(km)
        return mods

    def check_procs(self, plist: list, zone_by_id: dict[int, Zone],
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
            comm = text(d["comm"], f"{p}.comm")
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
            zref = p.zone_raw
            zone = zone_by_id.get(zref) if zref.__class__ is int else zone_by_name.get(zref)
            if zone is None:
                raise DumpError(f"$.procs[{i}].zone", f"{_show(zref)} is not a zone of this dump")
            p.zone = zone
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

        # a stack needs a saved stack pointer
        if any(t.sp_raw is None and t.raw_stack for t in threads):
            for i, p in enumerate(procs):
                for j, t in enumerate(p.threads):
                    if t.raw_stack and t.sp_raw is None:
                        raise DumpError(f"$.procs[{i}].threads[{j}].sp",
                                        "required key is missing (a thread with a stack needs sp)")

        # every other address field, in bulk
        loose = [v for t in threads for v in (t.sp_raw, t.wchan_raw, t.lwp_raw) if v is not None]
        loose += [t.sobj.addr for t in threads if t.sobj is not None]
        starts = {t.start_raw for t in threads}
        resumes = {t.resume_raw for t in threads}
        loose_ints = [v for v in starts | resumes if v.__class__ is int]
        want = self.loc_wanted
        frames = set(chain.from_iterable(t.raw_stack for t in threads if t.raw_stack))
        objs = [f for f in frames if f.__class__ is not str]
        if objs:
            frames.difference_update(objs)
            for f in objs:
                if f.pc.__class__ is str:
                    frames.add(f.pc)
                else:
                    loose.append(f.pc)
                if f.fp is not None:
                    loose.append(f.fp)
                loose.extend(f.args)
        if _addresses(loose, convert=False) is None or _addresses(loose_ints) is None:
            self._find_bad_address(procs)
        want.update(frames)
        want.update(v for v in starts | resumes if v.__class__ is str)
        if any(t.resume_raw is None and t.state != "onproc" and (t.raw_stack or t.sp_raw is not None)
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
        return threads, by_addr

    def _find_duplicate(self, threads: list[Thread], ints: list[int]) -> None:
        seen: dict[int, Any] = {}
        for n, a in enumerate(ints):
            t = threads[n]
            p = next(k for k, q in enumerate(self._procs) if q is t.proc)
            j = next(k for k, x in enumerate(t.proc.threads) if x is t)
            path = f"$.procs[{p}].threads[{j}].addr"
            other = seen.get(a)
            if other is None and a in self.addrs:
                other = self._path_of(self.addrs[a])
            if other is not None:
                raise DumpError(path, f"duplicate address 0x{a:x} (also {other})")
            seen[a] = path
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
                for k, f in enumerate(t.raw_stack or ()):
                    if f.__class__ is not str:
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
                for k, f in enumerate(t.raw_stack or ()):
                    if f == loc:
                        location(loc, f"{tp}.stack[{k}]")
                    elif f.__class__ is not str and f.pc == loc:
                        location(loc, f"{tp}.stack[{k}].pc")
        location(loc, "$.procs")

    def frame(self, f: Any, path: str) -> int | str:
        d = obj(f, path, FRAME_KEYS, ("pc",))
        if "fp" in d:
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
        sobj_type = sobj_addr = None
        if sobj is not None:
            sd = obj(sobj, f"{tp}.sobj", frozenset({"type", "addr"}), ("type", "addr"))
            sobj_type = enum(sd["type"], f"{tp}.sobj.type", SOBJ_TYPES)
            sobj_addr = _addr(sd["addr"], tp, "sobj.addr")
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

    def cpus(self, v: Any, threads: dict[int, Thread]) -> list[Cpu]:
        if v is None:
            self.claim(0xFFFFFFFFFBC4F0C0, "$.cpus (implicit CPU 0)")
            return [Cpu(0, 0xFFFFFFFFFBC4F0C0, 0x1B, None, None, None, 0, 0, False, False, None,
                        ("running", "ready", "exists", "enable"))]
        cpus: list[Cpu] = []
        ids: dict[int, str] = {}
        for i, c in enumerate(lst(v, "$.cpus")):
            p = f"$.cpus[{i}]"
            d = obj(c, p, CPU_KEYS, ("id",))
            cid = integer(d["id"], f"{p}.id", 0)
            if cid in ids:
                raise DumpError(f"{p}.id", f"duplicate CPU id {cid} (also {ids[cid]})")
            ids[cid] = f"{p}.id"
            addr = address(d["addr"], f"{p}.addr") if "addr" in d else 0xFFFFFFFFFBC4F0C0 + 0x1000 * cid
            self.claim(addr, f"{p}.addr")
            refs = {}
            for key in ("thread", "idle_thread"):
                a = opt_address(d.get(key), f"{p}.{key}")
                if a is not None and a not in threads:
                    raise DumpError(f"{p}.{key}", f"0x{a:x} is not a thread of this dump")
                refs[key] = a
            state = tuple(text(s, f"{p}.state[{k}]") for k, s in enumerate(lst(d.get("state", ["running", "ready", "exists", "enable"]), f"{p}.state")))
            pri = d.get("pri")
            sw = d.get("switch_ticks")
            cpus.append(Cpu(
                cid, addr, integer(d.get("flags", 0x1B), f"{p}.flags", 0),
                refs["thread"], refs["idle_thread"],
                integer(pri, f"{p}.pri", -1, 255) if pri is not None else None,
                integer(d.get("nrun", 0), f"{p}.nrun", 0),
                integer(d.get("bspl", 0), f"{p}.bspl", 0, 15),
                boolean(d.get("runrun", False), f"{p}.runrun"),
                boolean(d.get("kprunrun", False), f"{p}.kprunrun"),
                integer(sw, f"{p}.switch_ticks", 0) if sw is not None else None,
                state))
        return cpus

    def sobjs(self, v: Any, threads: dict[int, Thread]) -> list[Sobj]:
        out: list[Sobj] = []
        for i, s in enumerate(lst(v if v is not None else [], "$.sobjs")):
            p = f"$.sobjs[{i}]"
            d = obj(s, p, SOBJ_KEYS, ("addr", "type"))
            typ = enum(d["type"], f"{p}.type", ("mutex", "rwlock", "sema", "cv"))
            allowed = {"mutex": {"kind", "owner", "minspl", "oldspl"},
                       "rwlock": {"writer", "readers", "write_wanted"},
                       "sema": {"count"}, "cv": set()}[typ] | {"addr", "type", "name"}
            for k in d:
                if k not in allowed and not k.startswith("x_"):
                    raise DumpError(f"{p}.{k}", f"not a field of a {typ}")
            addr = address(d["addr"], f"{p}.addr")
            self.claim(addr, f"{p}.addr")
            so = Sobj(addr, typ, opt_text(d.get("name"), f"{p}.name"))
            for key in ("owner", "writer"):
                a = opt_address(d.get(key), f"{p}.{key}")
                if a is not None and a not in threads:
                    raise DumpError(f"{p}.{key}", f"0x{a:x} is not a thread of this dump")
                setattr(so, key, a)
            if typ == "mutex":
                so.kind = enum(d.get("kind", "adaptive"), f"{p}.kind", ("adaptive", "spin"))
                so.minspl = integer(d.get("minspl", 0), f"{p}.minspl", 0, 15)
                so.oldspl = integer(d.get("oldspl", 0), f"{p}.oldspl", 0, 15)
            so.readers = integer(d.get("readers", 0), f"{p}.readers", 0)
            so.write_wanted = boolean(d.get("write_wanted", False), f"{p}.write_wanted")
            so.count = integer(d.get("count", 0), f"{p}.count", 0)
            out.append(so)
        return out

    def majors(self, v: Any) -> list[Major]:
        out: list[Major] = []
        nums: dict[int, str] = {}
        names: dict[str, str] = {}
        for i, m in enumerate(lst(v if v is not None else [], "$.majors")):
            p = f"$.majors[{i}]"
            d = obj(m, p, MAJOR_KEYS, ("major", "name"))
            num = integer(d["major"], f"{p}.major", 0, 0x3FFF)
            name = text(d["name"], f"{p}.name")
            if num in nums:
                raise DumpError(f"{p}.major", f"duplicate major {num} (also {nums[num]})")
            if name in names:
                raise DumpError(f"{p}.name", f"duplicate driver name {name!r} (also {names[name]})")
            nums[num] = p
            names[name] = p
            props = []
            total = 0
            for j, pr in enumerate(lst(d.get("props", []), f"{p}.props")):
                pp = f"{p}.props[{j}]"
                pd = obj(pr, pp, PROP_KEYS, ("name",))
                rep = integer(pd.get("repeat", 1), f"{pp}.repeat", 1, 1 << 24)
                total += rep
                value = pd.get("value")
                if type(value) is dict or (type(value) is list and any(
                        type(x) in (dict, list) for x in value)):
                    raise DumpError(f"{pp}.value", "expected an integer, a string, a flat array or null")
                props.append(Prop(text(pd["name"], f"{pp}.name"), value, rep))
            if total > (1 << 24):
                raise DumpError(f"{p}.props", f"{total} entries is more than 2^24")
            out.append(Major(num, name, props, PROP_REGION + (num << 28), DEVNAMES_BASE + 0x40 * num))
        return out

    def devinfo(self, v: Any, majors: set[int]) -> tuple[list[DevNode], dict[int, DevNode]]:
        index: dict[int, DevNode] = {}
        if v is None:
            return [], index
        if type(v) is dict:
            v = [v]

        def node(raw: Any, path: str, parent: DevNode | None, depth: int) -> DevNode:
            d = obj(raw, path, DEV_KEYS, ("addr", "name"))
            addr = address(d["addr"], f"{path}.addr")
            self.claim(addr, f"{path}.addr")
            major = d.get("major")
            if major is not None:
                integer(major, f"{path}.major", 0)
                if major not in majors:
                    raise DumpError(f"{path}.major", f"{major} is not a major of this dump")
            props = obj(d.get("props", {}), f"{path}.props", frozenset(d.get("props", {}) if type(d.get("props", {})) is dict else ()))
            n = DevNode(addr, text(d["name"], f"{path}.name"), opt_text(d.get("driver"), f"{path}.driver"),
                        integer(d.get("instance", -1), f"{path}.instance", -1), major,
                        opt_text(d.get("state"), f"{path}.state"), dict(props), [], parent, depth)
            index[addr] = n
            for k, c in enumerate(lst(d.get("children", []), f"{path}.children")):
                n.children.append(node(c, f"{path}.children[{k}]", n, depth + 1))
            return n

        roots = [node(r, f"$.devinfo[{i}]", None, 0) for i, r in enumerate(lst(v, "$.devinfo"))]
        return roots, index

    def msgbuf(self, v: Any) -> list[Message]:
        out = []
        for i, m in enumerate(lst(v if v is not None else [], "$.msgbuf")):
            p = f"$.msgbuf[{i}]"
            if type(m) is str:
                out.append(Message(None, m))
                continue
            d = obj(m, p, MSG_KEYS, ("text",))
            out.append(Message(timestamp(d["time"], f"{p}.time") if d.get("time") is not None else None,
                               text(d["text"], f"{p}.text")))
        return out

    def panic(self, v: Any, threads: dict[int, Thread], cpus: set[int]) -> Panic | None:
        if v is None:
            return None
        d = obj(v, "$.panic", PANIC_KEYS, ("message",))
        thread = opt_address(d.get("thread"), "$.panic.thread")
        if thread is not None and thread not in threads:
            raise DumpError("$.panic.thread", f"0x{thread:x} is not a thread of this dump")
        cpu = d.get("cpu")
        if cpu is not None:
            integer(cpu, "$.panic.cpu", 0)
            if cpu not in cpus:
                raise DumpError("$.panic.cpu", f"CPU {cpu} is not a CPU of this dump")
        regs = obj(d.get("registers", {}), "$.panic.registers",
                   frozenset(d.get("registers", {})) if type(d.get("registers", {})) is dict else frozenset())
        registers = [(text(k, "$.panic.registers"), address(val, f"$.panic.registers.{k}"))
                     for k, val in regs.items()]
        return Panic(text(d["message"], "$.panic.message"), cpu, thread,
                     timestamp(d["time"], "$.panic.time") if d.get("time") is not None else None,
                     registers)

    def kmdb(self, v: Any, cpus: set[int]) -> KmdbStop | None:
        if v is None:
            return None
        d = obj(v, "$.kmdb", KMDB_KEYS)
        cpu = integer(d.get("cpu", 0), "$.kmdb.cpu", 0)
        if cpu not in cpus:
            raise DumpError("$.kmdb.cpu", f"CPU {cpu} is not a CPU of this dump")
        pc = location(d.get("pc", "kmdb_enter+0xb"), "$.kmdb.pc")
        self.want(pc)
        return KmdbStop(cpu, pc, text(d.get("instr", ""), "$.kmdb.instr"))  # type: ignore[arg-type]

    def objects(self, v: Any) -> list[Any]:
        out = []
        for i, o in enumerate(lst(v if v is not None else [], "$.objects")):
            p = f"$.objects[{i}]"
            d = obj(o, p, OBJECT_KEYS, ("addr", "type", "value"))
            address(d["addr"], f"{p}.addr")
            text(d["type"], f"{p}.type")
            out.append(d)
        return out

    def memory(self, v: Any) -> list[Any]:
        out = []
        for i, m in enumerate(lst(v if v is not None else [], "$.memory")):
            p = f"$.memory[{i}]"
            d = obj(m, p, MEMORY_KEYS, ("addr",))
            addr = address(d["addr"], f"{p}.addr")
            if ("hex" in d) == ("base64" in d):
                raise DumpError(p, "a segment needs exactly one of hex or base64")
            try:
                data = bytes.fromhex(text(d["hex"], f"{p}.hex")) if "hex" in d else \
                    base64.b64decode(text(d["base64"], f"{p}.base64"), validate=True)
            except (ValueError, binascii.Error):
                raise DumpError(f"{p}.{'hex' if 'hex' in d else 'base64'}", "not valid encoded bytes") from None
            out.append((addr, data))
        return out


_PROCS_DECODER = msgspec.json.Decoder(list[Proc])
_SECTIONS_DECODER = msgspec.json.Decoder(dict[str, msgspec.Raw])


def _strip_x(v: Any) -> Any:
    """A copy without the ``x_`` notes (for the typed conversion)."""
    if type(v) is dict:
        return {k: _strip_x(x) for k, x in v.items() if not k.startswith("x_")}
    if type(v) is list:
        return [_strip_x(x) for x in v]
    return v


def _read_bytes(path: str, max_bytes: int) -> bytes:
    try:
        size = os.path.getsize(path)
    except OSError as e:
        raise DumpError("$", f"cannot open dump: {e.strerror}", path) from None
    if size > max_bytes:
        raise DumpError("$", f"the file is {size} bytes, more than the limit of {max_bytes} "
                             f"({Limits.hint('max_bytes')})", path)
    try:
        with open(path, "rb") as f:
            return f.read(max_bytes + 1)    # one byte more: load_bytes refuses a file that grew
    except OSError as e:
        raise DumpError("$", f"cannot read dump: {e.strerror}", path) from None


_TOO_DEEP_FOR_PARSER = "nesting deeper than the JSON parser can follow"


def parse_json(raw: bytes, path: str) -> Any:
    """Parse JSON with the standard library, for exact error positions."""
    try:
        return json.loads(raw)
    except UnicodeDecodeError as e:
        raise DumpError("$", f"not UTF-8 text at byte {e.start}", path) from None
    except json.JSONDecodeError as e:
        ended = e.pos >= len(raw.rstrip()) or e.msg.startswith("Unterminated string")
        what = "truncated JSON (the file ends early)" if ended else "invalid JSON"
        raise DumpError("$", f"{what}: {e.msg} (line {e.lineno}, column {e.colno})", path) from None
    except RecursionError:
        raise DumpError("$", _TOO_DEEP_FOR_PARSER, path) from None


def load_dump(path: str, *, limits: Limits | None = None, max_bytes: int | None = None,
              freeze: bool = True) -> Dump:
    """Load and validate a dump file; raise :class:`DumpError` if it breaks a rule.

    LIMITS (default: from the environment) bound the file size, nesting and
    string length; MAX_BYTES, if given, overrides the size limit. FREEZE
    (the default, for a session) keeps the model out of later collections;
    a process that loads dump after dump passes False and calls
    :func:`release_dump` after each.

    The fast path decodes processes and threads straight into typed structs
    (msgspec, in C); anything it refuses goes through the field-by-field
    checker, which names the JSON path and the rule.
    """
    limits = limits or Limits.from_env()
    if max_bytes is not None:
        limits = attrs.evolve(limits, max_bytes=max_bytes)
    return load_bytes(_read_bytes(path, limits.max_bytes), path, limits, freeze=freeze)


def load_bytes(raw: bytes, path: str = "<dump>", limits: Limits | None = None, *,
               freeze: bool = True) -> Dump:
    """Load and validate a dump from its bytes RAW (named PATH in messages)."""
    limits = limits or Limits()
    if len(raw) > limits.max_bytes:
        raise DumpError("$", f"more than the limit of {limits.max_bytes} bytes ({Limits.hint('max_bytes')})",
                        path)
    with _building(path, freeze):
        try:
            sections = _SECTIONS_DECODER.decode(raw)
            if "procs" not in sections or any(k not in TOP_KEYS and not k.startswith("x_")
                                               for k in sections):
                raise _SlowPath()
            # the typed structs' depth is fixed by their types; their strings
            # are looked at only if a cheap scan of the bytes says one may be long
            if long_string_possible(raw, limits.max_string):
                raise _SlowPath()
            procs = _PROCS_DECODER.decode(sections["procs"])
            data = {k: msgspec.json.decode(v) for k, v in sections.items() if k != "procs"}
        except (msgspec.DecodeError, msgspec.ValidationError, _SlowPath, RecursionError, UnicodeDecodeError):
            return build_dump(parse_json(raw, path), path, limits, freeze=freeze)
        for k, v in data.items():       # the notes too, as the slow path would
            check_shape(v, limits, f"$.{k}")
        data = {k: v for k, v in data.items() if not k.startswith("x_")}
        data["procs"] = procs
        return _Builder(path).build(data, procs)


class _SlowPath(Exception):
    pass


def build_dump(data: Any, path: str = "<dump>", limits: Limits | None = None, *,
               freeze: bool = True) -> Dump:
    """Validate parsed JSON field by field (within LIMITS) and build the model."""
    with _building(path, freeze):
        check_shape(data, limits or Limits())
        top = obj(data, "$", TOP_KEYS, ("kdb_dump", "system", "procs"))
        plist = lst(top["procs"], "$.procs")
        checker = _Builder(path)
        zones = checker.zones(top.get("zones"))
        checker.check_procs(plist, {z.id: z for z in zones}, {z.name: z for z in zones})
        try:
            procs = msgspec.convert(_strip_x(plist), list[Proc])
        except msgspec.ValidationError as e:
            raise DumpError("$.procs", str(e)) from None
        return _Builder(path).build(top, procs)


def release_dump(dump: Dump | None = None, *, collect: bool = True) -> None:
    """Free DUMP, which is no longer used.

    Its processes and threads are untracked by the collector (they are
    many) and in cycles, so the dump is taken apart here: a process that
    loads many dumps one after another (triage, fuzzing) calls this after
    each, or its memory grows with every dump (0.66 MB for each jurassic).
    Such a process loads with ``freeze=False`` and passes COLLECT=False:
    the collector then reclaims the rest as it goes. A frozen dump needs
    COLLECT (unfreeze and a full collection, 13 ms even for a small dump)."""
    if dump is not None:
        dump.break_cycles()
    if collect:
        gc.unfreeze()
        gc.collect()


@contextlib.contextmanager
def _building(path: str, freeze: bool = True) -> Iterator[None]:
    """Build a model with the collector off (millions of acyclic objects),
    errors named after PATH, and the finished model frozen out of later
    collections. A build that fails leaves nothing frozen."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        if freeze:
            gc.freeze()
    except DumpError as e:
        e.file = path
        raise
    except RecursionError:
        raise DumpError("$", _TOO_DEEP_FOR_PARSER, path) from None
    finally:
        if enabled:
            gc.enable()
