"""AArch64 instructions as the illumos arm64 port's libdisasm prints them.

illumos-gate has no arm64 disassembler; the arm64 port's
usr/src/lib/libdisasm/common/dis_arm64.c and dis_arm64_decoder.c
(arm64_format_instr / arm64_format_opnd) print the mnemonic, a space, the
operands joined by ``, ``; immediates as ``#0x..``; a base register with a
signed offset as ``[x0, #16]`` (decimal, ``[x0]`` without one), pre-index
``[sp, #-16]!`` and post-index ``[sp], #16``; a label (branch target) as
the offset from the instruction ``+0x.. `` then ``\\t<target>``.
Instructions are 4 bytes; dis_arm64_previnstr steps back 4 bytes each.
"""

from __future__ import annotations

import re
from typing import Any

from .common import FixedWidth, Symbols, label

_HASH = re.compile(r"#(-?)(0x[0-9a-f]+|\d+)")
_BRACKET = re.compile(r"\[[^\]]*\](!?)(, #-?(?:0x[0-9a-f]+|\d+))?")
_LABELS = ("b", "bl", "cbz", "cbnz", "tbz", "tbnz", "adr", "adrp")


def _dec(m: re.Match[str]) -> str:
    return f"#{m.group(1)}{int(m.group(2), 0)}"


def _hexed(m: re.Match[str]) -> str:
    return f"#{m.group(1)}0x{int(m.group(2), 0):x}"


class Arm64(FixedWidth):
    """The AArch64 disassembler."""

    name = "arm64"
    arch = "CS_ARCH_ARM64"
    modes = ("CS_MODE_ARM",)

    def _render(self, insn: Any, pc: int, syms: Symbols) -> str:
        mnem, ops = insn.mnemonic, insn.op_str
        if not ops:
            return mnem
        parts = ops.split(", ")
        if (mnem in _LABELS or mnem.startswith("b.")) and parts[-1].startswith("#0x"):
            target = int(parts[-1][1:], 16)
            off = target - pc
            where = label(syms, target)
            text = (f"+0x{off:x}" if off >= 0 else f"-0x{-off:x}") + f" \t<{where}>"
            head = _HASH.sub(_hexed, ", ".join(parts[:-1]))
            return f"{mnem} {head + ', ' if head else ''}{text}"
        out, last = [], 0
        for m in _BRACKET.finditer(ops):     # memory operands: decimal offsets
            out.append(_HASH.sub(_hexed, ops[last:m.start()]))
            out.append(_HASH.sub(_dec, m.group(0)))
            last = m.end()
        out.append(_HASH.sub(_hexed, ops[last:]))
        return f"{mnem} " + "".join(out)
