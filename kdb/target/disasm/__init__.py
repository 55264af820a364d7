"""Disassembly: machine code in the dump's memory as mdb's libdisasm prints it.

capstone decodes the instructions (amd64, i386, SPARC v9, AArch64); the
modules here render each one the way illumos's libdisasm does
(usr/src/lib/libdisasm and usr/src/common/dis/i386/dis_tables.c), so
``::dis`` and the ``/i`` formats read as mdb's. mdb's side of the
contract (usr/src/cmd/mdb/common/mdb/mdb_disasm.c):

* libdisasm_read: an instruction that cannot be read gives ``failed to
  read instruction at ADDR`` and stops the command;
* libdisasm_ins2str: an opcode the decoder does not know prints as
  ``***ERROR--unknown op code***`` and the walk drives on;
* libdisasm_lookup: a branch target prints as ``%a`` (symbol+offset, or
  the bare address), an immediate that falls inside a symbol gets that
  symbol as an annotation.

capstone is imported on first use: start-up stays fast for sessions that
never disassemble.
"""

from __future__ import annotations

from typing import Callable

from kdb.errors import ReadError

from .common import UNKNOWN_OP, Arch, Symbols, label, unreadable

__all__ = ["UNKNOWN_OP", "Arch", "Symbols", "label", "unreadable", "arch_for", "ins2str", "previns"]

Reader = Callable[[int, int], bytes]


def arch_for(isa: str) -> Arch:
    """The disassembler for a dump's ISA (``system.isa``)."""
    if isa in ("amd64", "i386"):
        from .x86 import X86
        return X86(bits=64 if isa == "amd64" else 32)
    if isa == "sparcv9":
        from .sparc import Sparc
        return Sparc()
    if isa == "aarch64":
        from .arm64 import Arm64
        return Arm64()
    raise ValueError(f"no disassembler for {isa}")


def _readable(read: Reader, pc: int, want: int) -> bytes:
    """As many bytes at ``pc`` as are mapped, up to ``want`` (libdisasm_read
    reads a chunk, or what one instruction needs)."""
    try:
        return read(pc, want)
    except ReadError:
        pass
    got = b""
    while len(got) < want:
        try:
            got += read(pc + len(got), 1)
        except ReadError:
            break
    return got


def ins2str(arch: Arch, read: Reader, syms: Symbols, pc: int) -> tuple[str, int]:
    """The text of the instruction at ``pc`` and the address after it
    (mdb_dis_ins2str). :class:`ReadError` when nothing can be read there."""
    code = _readable(read, pc, arch.max_len)
    if len(code) < arch.min_len:
        raise ReadError(pc)
    found = arch.decode(code, pc, syms)
    if found is None:
        return UNKNOWN_OP, pc + arch.min_len
    text, size = found
    return text, pc + size


def previns(arch: Arch, read: Reader, syms: Symbols, start: int | None, pc: int, n: int) -> int:
    """mdb_dis_previns: the address ``n`` instructions before ``pc``."""
    def walk(addr: int) -> int | None:
        code = _readable(read, addr, arch.max_len)
        found = arch.decode(code, addr, syms) if len(code) >= arch.min_len else None
        return None if found is None else found[1]
    return arch.previns(pc, n, start, walk)
