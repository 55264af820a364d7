"""What the instruction-set renderers share: the session's symbols as
libdisasm_lookup gives them, and the text for an unknown opcode
(usr/src/cmd/mdb/common/mdb/mdb_disasm.c)."""

from __future__ import annotations

from typing import Any, Callable, Protocol

#: libdisasm_ins2str's text for bytes the decoder rejects
UNKNOWN_OP = "***ERROR--unknown op code***"


class Symbols(Protocol):
    """What the renderers ask of the session (libdisasm_lookup): the
    symbol holding an address and the radix a bare address prints in."""

    radix: int

    def addr2str(self, addr: int) -> str | None:
        """``sym+off`` when a symbol holds ``addr``, else None."""


def unreadable(e: Any) -> str:
    """libdisasm_read's warning for an instruction it cannot read (E: the
    ReadError), errno text appended as mdb_warn does."""
    return f"failed to read instruction at 0x{e.addr:x}: {e.reason}"


def label(syms: Symbols, addr: int) -> str:
    """``%a``: ``sym+off``, or the address itself in the current radix."""
    from kdb.numbers import numtostr
    return syms.addr2str(addr) or numtostr(addr, syms.radix, showbase=True)


class Arch(Protocol):
    """One instruction set: decode one instruction into libdisasm's text."""

    name: str
    max_len: int        # the longest instruction, in bytes
    min_len: int        # the shortest (and the step past an unknown opcode)

    def decode(self, code: bytes, pc: int, syms: Symbols) -> tuple[str, int] | None:
        """(text, length) of the instruction at the start of ``code``, or
        None when the bytes are not an instruction."""

    def previns(self, pc: int, n: int, start: int | None, walk: Callable[[int], int | None]) -> int:
        """The address ``n`` instructions before ``pc`` (libdisasm's
        dis_previnstr); ``start`` is the start of the symbol holding ``pc``
        and ``walk(addr)`` the length of the instruction there."""


class FixedWidth:
    """A RISC instruction set of 4-byte instructions decoded by capstone:
    the engine is made on first use (capstone loads only when a session
    disassembles); subclasses render one decoded instruction."""

    name = ""
    max_len = 4
    min_len = 4
    arch = ""                       # capstone's CS_ARCH_* name
    modes: tuple[str, ...] = ()     # capstone's CS_MODE_* names

    def __init__(self) -> None:
        self._cs: Any = None

    def _engine(self) -> Any:
        if self._cs is None:
            import capstone
            mode = 0
            for m in self.modes:
                mode |= getattr(capstone, m)
            self._cs = capstone.Cs(getattr(capstone, self.arch), mode)
            self._cs.detail = True
        return self._cs

    def decode(self, code: bytes, pc: int, syms: Symbols) -> tuple[str, int] | None:
        for insn in self._engine().disasm(code[:4], pc, 1):
            return self._render(insn, pc, syms), 4
        return None

    def _render(self, insn: Any, pc: int, syms: Symbols) -> str:
        raise NotImplementedError

    def previns(self, pc: int, n: int, start: int | None, walk: Callable[[int], int | None]) -> int:
        """dis_sparc_previnstr / dis_arm64_previnstr: 4 bytes an instruction."""
        return pc - 4 * n if n > 0 else pc
