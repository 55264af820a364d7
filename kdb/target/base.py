"""Targets: what the debugger is looking at (mdb's target layer).

:class:`Target` is the whole interface the rest of kdb uses: memory,
symbols, C types, the loaded dump (if any), the current thread, kmdb's
banner and what a new session needs. Implemented here for the empty target
mdb has when started without an object or dump ("raw"): no symbols, no
memory, only the built-in dcmds. The kernel dump target
(:mod:`kdb.target.kernel`) subclasses it. Nothing outside a target probes
it with ``getattr``: every attribute below exists on every target.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kdb.errors import ENOMAP, CmdError, ReadError
from kdb.target.ctype import TypeSystem

if TYPE_CHECKING:  # pragma: no cover
    from kdb.engine.session import Session
    from kdb.target.disasm import Arch, Symbols
    from kdb.target.model import Dump, Thread


class Target:
    """The target interface, implemented here for "no target"."""

    #: the name ``::help`` prints after ``Target:``
    name = "raw"
    #: which modules apply (see :attr:`kdb.modapi.Module.targets`)
    kind = "none"
    #: the loaded kernel dump; None for a target without one
    dump: "Dump | None" = None
    #: kmdb's CPU (``[cpu]>`` prompt); 0 outside kmdb
    kmdb_cpu = 0

    def __init__(self) -> None:
        #: the C types ``::print`` and friends know (built-ins only here)
        self.types = TypeSystem(None)

    # the session -------------------------------------------------------------
    def session_init(self, session: "Session") -> None:
        """Set up a new session on this target (its variables, for example)."""

    def current_thread(self) -> "Thread | None":
        """The thread ``$c`` and ``<thread`` mean without an address."""
        return None

    def banner(self) -> str:
        """What kmdb prints when it takes control of this target."""
        return ""

    @property
    def era(self) -> str:
        """Which mdb's layouts this target renders with: ``"opensolaris"``
        (about 2008) or ``"illumos"`` (today's illumos-gate); the dump's
        release decides (``SystemInfo.era``), today's without a dump."""
        return self.dump.system.era if self.dump is not None else "illumos"

    @property
    def ptr_width(self) -> int:
        """``%?``'s width: the dump's pointer size in hex digits (16
        without a dump)."""
        return self.dump.system.ptr_width if self.dump is not None else 16

    # memory ----------------------------------------------------------------
    def read(self, addr: int, size: int) -> bytes:
        """Read ``size`` bytes of virtual memory at ``addr``."""
        raise ReadError(addr, ENOMAP)

    def regions(self) -> list[tuple[int, int, Any]]:
        """Every mapped region (start, end, producer), by address: what
        ``::kgrep`` searches. None without a dump."""
        return []

    def read_string(self, addr: int, limit: int = 4096) -> bytes:
        """Read a NUL-terminated string (without the NUL)."""
        out = bytearray()
        while len(out) < limit:
            b = self.read(addr + len(out), 1)
            if b == b"\0":
                break
            out += b
        return bytes(out)

    # disassembly -----------------------------------------------------------
    def disassembler(self) -> "Arch | None":
        """The instruction set's disassembler; None when the target has none
        (mdb's "default no-op disassembler")."""
        return None

    def ins2str(self, pc: int, syms: "Symbols") -> tuple[str, int]:
        """The instruction at ``pc`` as libdisasm prints it and the address
        after it; :class:`ReadError` when it cannot be read."""
        from kdb.target.disasm import ins2str
        arch = self.disassembler()
        if arch is None:
            raise CmdError("failed to disassemble instruction: operation not supported by target")
        return ins2str(arch, self.read, syms, pc)

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

    def symbol_type(self, name: str) -> str | None:
        """The C type of the data symbol ``name`` (mdb's CTF lookup by
        symbol), or None."""
        return None


class MemoryReader:
    """Adapts a target to the reader interface of :mod:`kdb.output.formats`."""

    def __init__(self, target: Target) -> None:
        self.target = target

    def read(self, addr: int, size: int) -> bytes:
        return self.target.read(addr, size)

    def read_string(self, addr: int, limit: int = 4096) -> bytes:
        return self.target.read_string(addr, limit)

    def ins2str(self, pc: int, syms: "Symbols") -> tuple[str, int]:
        return self.target.ins2str(pc, syms)
