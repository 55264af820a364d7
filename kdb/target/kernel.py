"""The kernel dump target: a loaded dump seen through mdb's target interface.

:func:`open_dump` accepts a path or the name of a bundled dump (``jurassic``)
and returns a :class:`KernelTarget`; symbol lookup goes both ways through the
dump's symbol tables (``sym+off`` from an address, as ``%a`` prints it).
"""

from __future__ import annotations

import bisect
import importlib.resources
import itertools
import os
from pathlib import Path

from typing import TYPE_CHECKING, Any

from kdb.target.ctype import CType, TypeSystem
from kdb.errors import CmdError, KdbError
from kdb.target.devtree_images import add_devinfo_images
from kdb.target.taskq_images import add_taskq_images
from kdb.target.kmem_images import add_kmem_images, place_kmem_roots
from kdb.target.callout_images import add_callout_images
from kdb.target.cyclic_images import add_cyclic_images
from kdb.target.cyclics import place_handlers
from kdb.target.globals import GLOBAL_TYPES, add_global_images, place_globals
from kdb.target.images import Strings, add_entity_images, encode, kernel_types
from kdb.limits import Limits
from kdb.target.dump import DumpError, load_dump
from kdb.target.dump.cache import CachePolicy
from kdb.target.memory import AddressSpace
from kdb.target.model import Dump, Thread
from kdb.target.base import Target
from kdb.target.disasm import Arch, arch_for

if TYPE_CHECKING:  # pragma: no cover
    from kdb.engine.session import Session

# sizes of the structures dump entities stand for (LP64), used by ::whatis
SIZEOF_PROC = 0x1A48
SIZEOF_THREAD = 0x6A0
SIZEOF_CPU = 0xD00


def bundled_dumps() -> dict[str, Path]:
    """Names of the bundled scenario dumps and their files."""
    root = importlib.resources.files("kdb.dumps")
    out = {}
    for entry in root.iterdir():
        name = entry.name
        if name.endswith(".json"):
            out[name[:-5]] = Path(str(entry))
    return dict(sorted(out.items()))


def resolve_dump_path(spec: str) -> str:
    """A dump path, or the file of the bundled dump named ``spec``."""
    if os.path.exists(spec):
        return spec
    bundled = bundled_dumps()
    if spec in bundled:
        return str(bundled[spec])
    names = ", ".join(bundled) or "none"
    raise KdbError(f"cannot open dump '{spec}': no such file or bundled dump (bundled: {names})")


def dump_files(paths: list[str]) -> list[str]:
    """Directories become their ``*.json`` files, sorted; anything else (a
    file, a bundled dump's name, or a missing path, reported when it fails
    to load) stays. :class:`KdbError` when that leaves no dump at all."""
    out: list[str] = []
    for p in paths:
        if os.path.isdir(p):
            out += sorted(str(x) for x in Path(p).glob("*.json"))
        else:
            out.append(p)
    if not out:
        raise KdbError(f"no dumps found in {', '.join(paths)}")
    return out


class KernelTarget(Target):
    """A kernel crash dump or live snapshot (mdb's kvm target)."""

    kind = "kernel"

    dump: Dump

    def __init__(self, dump: Dump, *, kmdb: bool = False, limits: Limits | None = None) -> None:
        super().__init__()
        self.dump = dump
        self.kmdb = kmdb
        self.limits = limits or Limits.from_env()
        self.name = "kmdb" if kmdb else "kvm"
        self.kind = "kmdb" if kmdb else "kernel"
        self._arch: Arch | None = None
        self.kmdb_cpu = dump.kmdb.cpu if dump.kmdb else 0
        self.types = TypeSystem("lp64")
        kernel_types(self.types)
        for decl in GLOBAL_TYPES:
            self.types.declare(decl, synthetic=False)
        for i, decl in enumerate(dump.types):
            try:
                self.types.declare(decl, synthetic=False)
            except CmdError as e:
                raise DumpError(f"$.types[{i}]", e.message, dump.path) from None
        self.space = AddressSpace()
        for base, data in dump.memory:
            self.space.add_bytes(base, data)
        self._place_objects()
        place_globals(dump, lambda ctype: self.types.lookup(ctype).size)
        place_handlers(dump)
        place_kmem_roots(dump)
        add_entity_images(self.space, self.types, dump,
                          (add_devinfo_images, add_global_images, add_taskq_images,
                           add_callout_images, add_cyclic_images, add_kmem_images))

    def _place_objects(self) -> None:
        """Lay the dump's typed objects into memory, checking types and members.

        Objects may not overlap each other or a memory section. Both checks
        are O(log n) per object or one sort: memory sections (which may
        overlap each other) are searched by start with the furthest end so
        far; objects are sorted once, and any overlap among them shows as
        two neighbours in that order.
        """
        memory = sorted((b, b + len(d), f"$.memory[{i}]") for i, (b, d) in enumerate(self.dump.memory))
        starts = [m[0] for m in memory]
        reach = list(itertools.accumulate((m[1] for m in memory), max))
        strings = ObjectStrings()
        laid: list[tuple[int, int, CType, Any]] = []
        for i, o in enumerate(self.dump.objects):
            path = f"$.objects[{i}]"
            try:
                t = self.types.lookup(o["type"])
            except CmdError:
                raise DumpError(f"{path}.type", f"unknown type {o['type']!r}", self.dump.path) from None
            if t.size > self.limits.max_object:
                raise DumpError(f"{path}.type", f"{t.name} is {t.size} bytes, more than the limit of "
                                f"{self.limits.max_object} for one object ({Limits.hint('max_object')})",
                                self.dump.path)
            value = _object_value(t, o["value"], f"{path}.value", strings, self.dump.path)
            addr = int(o["addr"], 16) if isinstance(o["addr"], str) else o["addr"]
            laid.append((addr, addr + max(t.size, 1), t, value))
        # among objects: the first object (in the dump's order) found to
        # overlap an earlier one, naming the earlier one
        clash_at: dict[int, int] = {}
        order = sorted(range(len(laid)), key=lambda k: laid[k][0])
        for a, b in zip(order, order[1:]):
            if laid[b][0] < laid[a][1]:
                later, earlier = max(a, b), min(a, b)
                if later not in clash_at:
                    clash_at[later] = earlier
        plans: dict[int, Any] = {}                  # encoders, one per type
        for i, (addr, end, t, value) in enumerate(laid):
            clash = _overlap(memory, starts, reach, addr, end)
            if clash is None and i in clash_at:
                clash = f"$.objects[{clash_at[i]}]"
            if clash is not None:
                raise DumpError(f"$.objects[{i}].addr", f"{t.name} at 0x{addr:x} overlaps {clash}",
                                self.dump.path)
            self.space.add_bytes(addr, encode(t, value, plans))
        if strings.data:
            self.space.add_bytes(strings.BASE, bytes(strings.data))

    # symbols ---------------------------------------------------------------
    def lookup_by_name(self, name: str) -> int | None:
        sym = self.dump.symbols.lookup(name)
        return sym.addr if sym is not None else None

    def lookup_by_addr(self, addr: int) -> tuple[str, int] | None:
        sym = self.dump.symbols.containing(addr)
        if sym is None:
            return None
        return sym.name, sym.addr

    def symbol_names(self) -> list[str]:
        return self.dump.symbols.names()

    def symbol_type(self, name: str) -> str | None:
        return self.dump.symbol_types.get(name)

    # memory ----------------------------------------------------------------
    def read(self, addr: int, size: int) -> bytes:
        return self.space.read(addr, size)

    def regions(self) -> list[tuple[int, int, Any]]:
        return self.space.regions()

    def disassembler(self) -> "Arch | None":
        """The dump's ISA's disassembler (mdb_dis_builtins: amd64, ia32,
        v9plus; arm64 as the illumos arm64 port names it)."""
        if self._arch is None:
            self._arch = arch_for(self.dump.system.isa)
        return self._arch

    # the session -------------------------------------------------------------
    def session_init(self, session: "Session") -> None:
        thread = self.current_thread()
        if thread is not None:
            session.vars["thread"] = thread.addr
        # mdb_kvm.c kt_activate registers the representative thread's
        # registers as variables (mdb_tgt_register_regvars): <rip::dis
        panic = self.dump.panic
        for name, value in (panic.registers if panic is not None else []):
            session.vars.setdefault(name, value)

    def current_thread(self) -> Thread | None:
        """The panic thread, or the thread on kmdb's CPU."""
        d = self.dump
        if d.panic is not None and d.panic.thread is not None:
            return d.thread_by_addr.get(d.panic.thread)
        cpu = d.cpu_by_id.get(self.kmdb_cpu)
        if d.kmdb is not None and cpu is not None and cpu.thread is not None:
            return d.thread_by_addr.get(cpu.thread)
        return None

    def banner(self) -> str:
        """What kmdb prints when it takes control: the stop location."""
        stop = self.dump.kmdb
        if stop is None:
            return "kmdb: target stopped\n"
        found = self.lookup_by_addr(stop.pc)
        if found:
            name, base = found
            off = stop.pc - base
            label = name if not off else f"{name}+{off:#x}" if off > 9 else f"{name}+{off}"
        else:
            label = f"{stop.pc:#x}"
        label += ":"
        return f"kmdb: target stopped at:\n{label.ljust(15)} {stop.instr}\n"


def _overlap(ranges: list[tuple[int, int, str]], starts: list[int], reach: list[int],
             lo: int, hi: int) -> str | None:
    """The name of a range of RANGES (sorted by start; REACH: the furthest end
    so far) that [LO, HI) overlaps, or None."""
    k = bisect.bisect_left(starts, hi)            # ranges that start before HI
    if k == 0 or reach[k - 1] <= lo:
        return None
    for r_lo, r_hi, where in reversed(ranges[:k]):     # one exists: name it
        if r_hi > lo:
            return where
    return None  # pragma: no cover


class ObjectStrings(Strings):
    """The region holding the strings of objects' ``char *`` members."""

    BASE = 0xFFFFFF0978000000


def _object_value(t: CType, value: Any, path: str, strings: ObjectStrings, file: str) -> Any:
    """Check an object's value against its type; store ``char *`` strings."""
    r = t.resolve()
    if r.kind in ("struct", "union"):
        if not isinstance(value, dict):
            raise DumpError(path, f"expected an object for {t.name}", file)
        out = {}
        for key, v in value.items():
            if key.startswith("x_"):
                continue
            m = r.member(key)
            if m is None:
                raise DumpError(f"{path}.{key}", f"{t.name} has no member {key}", file)
            out[key] = _object_value(m.type, v, f"{path}.{key}", strings, file)
        return out
    if r.kind == "array":
        if isinstance(value, str):
            return value
        if not isinstance(value, list):
            raise DumpError(path, f"expected an array or a string for {t.name}", file)
        elem = r.target
        assert elem is not None             # an array has an element type
        return [_object_value(elem, v, f"{path}[{k}]", strings, file) for k, v in enumerate(value)]
    if r.kind == "pointer" and isinstance(value, str) and not value.startswith(("0x", "0X")):
        return strings.addr(value)
    if isinstance(value, str):
        try:
            return int(value, 16)
        except ValueError:
            raise DumpError(path, f"{value!r} is not a value of {t.name}", file) from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DumpError(path, f"expected a number for {t.name}", file)
    return value


def open_dump(spec: str, *, kmdb: bool = False, limits: Limits | None = None,
              freeze: bool = True, cache: bool = False) -> KernelTarget:
    """Load a dump by path or bundled name, within LIMITS (default: from the
    environment); :class:`DumpError` if it is invalid. FREEZE: see load_dump;
    CACHE: read and write the dump cache (kdb.target.dump.cache) as the
    environment says."""
    path = resolve_dump_path(spec)
    policy = CachePolicy.from_env() if cache else None
    return lay_out(load_dump(path, limits=limits, freeze=freeze, cache=policy), kmdb=kmdb, limits=limits)


def lay_out(dump: Dump, *, kmdb: bool = False, limits: Limits | None = None) -> KernelTarget:
    """The target of a loaded DUMP: its C types, objects and memory laid out.
    The trust boundary: whatever goes wrong laying out a hostile dump is a
    DumpError naming the file, never a crash."""
    try:
        return KernelTarget(dump, kmdb=kmdb, limits=limits)
    except KdbError:
        raise
    except RecursionError:
        raise DumpError("$", "nested too deeply to lay out (C types or objects)", dump.path) from None
    except (ValueError, ArithmeticError, MemoryError, TypeError, KeyError, IndexError) as e:
        raise DumpError("$", f"cannot be laid out: {type(e).__name__}: {e}", dump.path) from None


__all__ = ["KernelTarget", "open_dump", "bundled_dumps", "DumpError"]
