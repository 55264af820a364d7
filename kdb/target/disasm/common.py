"""What the instruction-set renderers share: the session's symbols as
libdisasm_lookup gives them, and the text for an unknown opcode
(usr/src/cmd/mdb/common/mdb/mdb_disasm.c)."""

from __future__ import annotations

from typing import Callable, Protocol

#: libdisasm_ins2str's text for bytes the decoder rejects
UNKNOWN_OP = "***ERROR--unknown op code***"


class Symbols(Protocol):
    """What the renderers ask of the session (libdisasm_lookup): the
    symbol holding an address and the radix a bare address prints in."""

    radix: int

    def addr2str(self, addr: int) -> str | None:
        """``sym+off`` when a symbol holds ``addr``, else None."""


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
