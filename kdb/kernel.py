"""The kernel dump target: a loaded dump seen through mdb's target interface.

:func:`open_dump` accepts a path or the name of a bundled dump (``jurassic``)
and returns a :class:`KernelTarget`; symbol lookup goes both ways through the
dump's symbol tables (``sym+off`` from an address, as ``%a`` prints it).
"""

from __future__ import annotations

import importlib.resources
import os
from pathlib import Path

from kdb.errors import ENOMAP, KdbError, ReadError
from kdb.loader import DumpError, load_dump
from kdb.model import Dump, Thread
from kdb.target import Target

# sizes of the structures dump entities stand for (LP64), used by ::whatis
SIZEOF_PROC = 0x1A48
SIZEOF_THREAD = 0x6A0
SIZEOF_CPU = 0xD00
STACK_SIZE = 0x5000


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


class KernelTarget(Target):
    """A kernel crash dump or live snapshot (mdb's kvm target)."""

    kind = "kernel"

    def __init__(self, dump: Dump, *, kmdb: bool = False) -> None:
        self.dump = dump
        self.kmdb = kmdb
        self.name = "kmdb" if kmdb else "kvm"
        self.kmdb_cpu = dump.kmdb.cpu if dump.kmdb else 0
        self._segments = sorted(dump.memory)

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

    # memory ----------------------------------------------------------------
    def read(self, addr: int, size: int) -> bytes:
        for base, data in self._segments:
            if base <= addr and addr + size <= base + len(data):
                return data[addr - base:addr - base + size]
        raise ReadError(addr, ENOMAP)

    # the session -------------------------------------------------------------
    def session_init(self, session) -> None:  # noqa: ANN001 - Session
        thread = self.current_thread()
        if thread is not None:
            session.vars["thread"] = thread.addr

    def current_thread(self) -> Thread | None:
        """The panic thread, or the thread on kmdb's CPU."""
        d = self.dump
        if d.panic is not None and d.panic.thread is not None:
            return d.thread_by_addr.get(d.panic.thread)
        cpu = d.cpu_by_id.get(self.kmdb_cpu)
        if d.kmdb is not None and cpu is not None and cpu.thread is not None:
            return d.thread_by_addr.get(cpu.thread)
        return None

    def kmdb_banner(self) -> str:
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


def open_dump(spec: str, *, kmdb: bool = False) -> KernelTarget:
    """Load a dump by path or bundled name; :class:`DumpError` if it is invalid."""
    path = resolve_dump_path(spec)
    dump = load_dump(path)
    return KernelTarget(dump, kmdb=kmdb)


__all__ = ["KernelTarget", "open_dump", "bundled_dumps", "DumpError"]
