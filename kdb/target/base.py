"""Targets: what the debugger is looking at.

:class:`Target` is the empty target mdb has when started without an object
or dump ("raw"): no symbols, no memory, only the built-in dcmds. The kernel
dump target (:mod:`kdb.target.kernel`) subclasses it.
"""

from __future__ import annotations

from kdb.errors import ENOMAP, ReadError


class Target:
    """The target interface, implemented here for "no target"."""

    #: the name ``::help`` prints after ``Target:``
    name = "raw"
    #: which modules apply (see :attr:`kdb.modapi.Module.targets`)
    kind = "none"

    # memory ----------------------------------------------------------------
    def read(self, addr: int, size: int) -> bytes:
        """Read ``size`` bytes of virtual memory at ``addr``."""
        raise ReadError(addr, ENOMAP)

    def read_string(self, addr: int, limit: int = 4096) -> bytes:
        """Read a NUL-terminated string (without the NUL)."""
        out = bytearray()
        while len(out) < limit:
            b = self.read(addr + len(out), 1)
            if b == b"\0":
                break
            out += b
        return bytes(out)

    # symbols ---------------------------------------------------------------
    def lookup_by_name(self, name: str) -> int | None:
        """The value of the symbol ``name`` (``sym`` or ``mod`sym``), or None."""
        return None

    def lookup_by_addr(self, addr: int) -> tuple[str, int] | None:
        """The symbol containing ``addr`` as (name, symbol value), or None."""
        return None

    def symbol_names(self) -> list[str]:
        """Every symbol name, for completion."""
        return []


class MemoryReader:
    """Adapts a target to the reader interface of :mod:`kdb.output.formats`."""

    def __init__(self, target: Target) -> None:
        self.target = target

    def read(self, addr: int, size: int) -> bytes:
        return self.target.read(addr, size)

    def read_string(self, addr: int, limit: int = 4096) -> bytes:
        return self.target.read_string(addr, limit)
