"""SPARC v9 instructions as illumos's libdisasm prints them.

From usr/src/lib/libdisasm/common/dis_sparc_fmt.c: prt_name pads the
mnemonic as ``%-9s ``, operands are joined by ``, ``, numbers print in hex
(prt_imm), addresses as ``[%rs1 + 0x10]`` (prt_address), sethi as
``%hi(0x..)``; fmt_call and fmt_branch print the displacement from the
instruction, signed, left-justified (``%s0x%-10lx``, ``%s, %s0x%-04lx``
with a condition-code register, ``%s, %s0x%-5lx`` for the register
branches) and then `` <target>`` as ``%a``.

capstone decodes; its synthetic instruction names (``mov``, ``cmp``,
``ret``) are the ones the illumos tables print with their default flags.
Instructions are 4 bytes, big-endian, and dis_sparc_previnstr steps back
4 bytes an instruction.
"""

from __future__ import annotations

import re
from typing import Any

from .common import FixedWidth, Symbols, label

_DEC = re.compile(r"(?<![%\w.])(-?)(\d+)(?![\w])")
_MEM = re.compile(r"\[([^\]+-]+)([+-])([^\]]+)\]")


def hex_numbers(text: str) -> str:
    """Decimal numbers in capstone's operands as libdisasm's hex."""
    return _DEC.sub(lambda m: f"{m.group(1)}0x{int(m.group(2)):x}", text)


class Sparc(FixedWidth):
    """The SPARC v9 disassembler."""

    name = "v9plus"
    arch = "CS_ARCH_SPARC"
    modes = ("CS_MODE_BIG_ENDIAN", "CS_MODE_V9")

    def _render(self, insn: Any, pc: int, syms: Symbols) -> str:
        mnem, ops = insn.mnemonic, insn.op_str
        if not ops:
            return mnem                      # prt_name(..., 0): no padding
        word = int.from_bytes(insn.bytes, "big")
        if mnem == "sethi":                  # fmt_sethi
            reg = ops.rsplit(", ", 1)[-1]
            return f"{mnem:<9} %hi(0x{(word & 0x3FFFFF) << 10:x}), {reg}"
        if (mnem == "call" or 1 in insn.groups) and ops.split(", ")[-1].startswith("0x"):
            return self._branch(mnem, ops, pc, syms)
        ops = _MEM.sub(lambda m: f"[{m.group(1)} {m.group(2)} {m.group(3)}]", ops)
        return f"{mnem:<9} " + hex_numbers(ops)

    @staticmethod
    def _branch(mnem: str, ops: str, pc: int, syms: Symbols) -> str:
        """fmt_call / fmt_branch: displacement from pc, then ``<target>``."""
        parts = ops.split(", ")
        target = int(parts[-1], 16)
        disp = target - pc
        sign, mag = ("-", -disp) if disp < 0 else ("+", disp)
        where = label(syms, target)
        if len(parts) == 1:                  # call, DISP22 branches
            return f"{mnem:<9} {sign}0x{mag:<10x} <{where}>"
        if parts[0].startswith(("%icc", "%xcc", "%fcc")):     # DISP19
            return f"{mnem:<9} {parts[0]}, {sign}0x{mag:<4x} <{where}>"
        return f"{mnem:<9} {parts[0]}, {sign}0x{mag:<5x} <{where}>"   # DISP16
