"""amd64 and i386 instructions as illumos's libdisasm prints them.

The text follows dtrace_disx86_str (usr/src/common/dis/i386/dis_tables.c):
the mnemonic as ``%-6s `` then the operands in AT&T order joined by ``,``;
print_imm's rules for numbers (a "small negative", -255 to -1, prints as
``-0x..`` except for the unsigned operations or/and/xor/test/shifts; any
other value prints masked to its size as ``0x..``); pc-relative operands
(branches, %rip) as a signed displacement ``+0x..``/``-0x..`` followed by
``\\t<target>``; an immediate or displacement that falls inside a symbol
annotated ``\\t<symbol+off>``, and a negative immediate shown with its
unsigned value ``\\t<0x..>``.

capstone's AT&T names differ from illumos's table in a few places (the
``q``/``l`` on call, ret, leave and jmp; ``movabs``; ``rep``); ``_NAMES``
maps them.
"""

from __future__ import annotations

from typing import Any, Callable

from .common import Symbols, label

#: dis_tables.c NEG_LIMIT: negatives at least this large print as -0x..
NEG_LIMIT = -255

#: dis_tables.c unsigned_ops: their immediates never print as negatives
_UNSIGNED = ("or", "and", "xor", "test", "in", "out", "lcall", "ljmp",
             "rcr", "rcl", "ror", "rol", "shl", "shr", "sal", "psr", "psl")

#: capstone AT&T mnemonic -> dis_tables.c's
_NAMES = {"callq": "call", "calll": "call", "retq": "ret", "retl": "ret",
          "leaveq": "leave", "leavel": "leave", "jmpq": "jmp", "jmpl": "jmp",
          "movabsq": "movq", "int3": "int", "ljmpq": "ljmp", "lcallq": "lcall"}

_BRANCH_GROUPS = (1, 2, 7)      # X86_GRP_JUMP, X86_GRP_CALL, X86_GRP_BRANCH_RELATIVE


def _is_unsigned(mnem: str) -> bool:
    """isunsigned_op: the last word of the mnemonic starts with one of them."""
    word = mnem.rsplit(" ", 1)[-1]
    return word.startswith(_UNSIGNED)


def _imm(value: int, mask: int, disp: bool, try_neg: bool, unsigned: bool) -> tuple[str, bool]:
    """print_imm: the number's text and whether it printed as a negative."""
    usv = value & mask
    sv = usv - (mask + 1) if usv > (mask >> 1) else usv
    if try_neg and sv < 0 and (disp or sv >= NEG_LIMIT) and not unsigned:
        return f"-0x{(-sv) & mask:x}", True
    return (f"+0x{usv:x}" if disp else f"0x{usv:x}"), False


class X86:
    """The amd64 (``bits=64``) or i386 (``bits=32``) disassembler."""

    max_len = 15
    min_len = 1

    def __init__(self, bits: int) -> None:
        self.bits = bits
        self.name = "amd64" if bits == 64 else "ia32"
        self._cs: Any = None

    def _engine(self) -> Any:
        if self._cs is None:
            import capstone
            cs = capstone.Cs(capstone.CS_ARCH_X86,
                             capstone.CS_MODE_64 if self.bits == 64 else capstone.CS_MODE_32)
            cs.syntax = capstone.CS_OPT_SYNTAX_ATT
            cs.detail = True
            self._cs = cs
        return self._cs

    def decode(self, code: bytes, pc: int, syms: Symbols) -> tuple[str, int] | None:
        for insn in self._engine().disasm(code, pc, 1):
            return self._render(insn, pc, syms), insn.size
        return None

    def _render(self, insn: Any, pc: int, syms: Symbols) -> str:
        from capstone import x86 as cx
        cs = self._engine()
        mnem = insn.mnemonic
        for old, new in (("rep ", "repz "), ("repe ", "repz "), ("repne ", "repnz ")):
            if mnem.startswith(old):
                mnem = new + mnem[len(old):]
        mnem = _NAMES.get(mnem, mnem)
        addr_mask = (1 << self.bits) - 1
        npc = pc + insn.size
        unsigned = _is_unsigned(mnem)
        branch = any(g in _BRANCH_GROUPS for g in insn.groups)
        ops: list[str] = []
        tgt = 0
        saved: tuple[int, int] | None = None
        reltgt: int | None = None
        operands = list(insn.operands)
        if insn.mnemonic == "int3":         # INT3: a fake operand, $0x3
            operands = []
            ops.append("$0x3")
            tgt = 3
        for op in operands:
            if op.type == cx.X86_OP_REG:
                ops.append(("*" if branch else "") + "%" + cs.reg_name(op.reg))
            elif op.type == cx.X86_OP_IMM:
                if branch:                   # MODE_IPREL: relative to the next pc
                    target = op.imm & addr_mask
                    text, _neg = _imm(target - npc, addr_mask, True, True, False)
                    ops.append(text)
                    reltgt = target
                    continue
                vmask = (1 << (8 * (op.size or 8))) - 1
                text, neg = _imm(op.imm, vmask, False, True, unsigned)
                ops.append("$" + text)
                tgt = op.imm & vmask
                if neg:
                    saved = (tgt, vmask)
            elif op.type == cx.X86_OP_MEM:
                ops.append(self._mem(cs, insn, op, npc, addr_mask, branch))
                m = op.mem
                if m.base == cx.X86_REG_RIP:
                    reltgt = (npc + m.disp) & addr_mask
                elif insn.disp_size or m.disp:
                    tgt = m.disp & addr_mask
        text = f"{mnem:<6} " + ",".join(ops)
        if tgt != 0:
            name = syms.addr2str(tgt)
            if name is not None:
                text += f"\t<{name}>"
            if saved is not None:
                text += f"\t<0x{saved[0] & saved[1]:x}>"
        if reltgt is not None:
            text += f"\t<{label(syms, reltgt)}>"
        return text

    def _mem(self, cs: Any, insn: Any, op: Any, npc: int, addr_mask: int, branch: bool) -> str:
        """A memory operand: seg:disp(base,index,scale) as dtrace_get_operand
        builds it, the displacement by print_imm (MODE_OFFSET, or
        MODE_RIPREL as ``+0x..(%rip)``)."""
        from capstone import x86 as cx
        m = op.mem
        seg = f"%{cs.reg_name(m.segment)}:" if m.segment else ""
        if m.base == cx.X86_REG_RIP:
            disp, _ = _imm(m.disp, addr_mask, True, True, False)
            return ("*" if branch else "") + seg + disp + "(%rip)"
        disp = ""
        if insn.disp_size or m.disp or (not m.base and not m.index):
            disp, _ = _imm(m.disp, addr_mask, False, True, False)
        regs = ""
        if m.base or m.index:
            regs = "(" + (f"%{cs.reg_name(m.base)}" if m.base else "")
            if m.index:
                regs += f",%{cs.reg_name(m.index)}" + (f",{m.scale})" if m.scale != 1 else ")")
            else:
                regs += ")"
        return ("*" if branch else "") + seg + disp + regs

    def previns(self, pc: int, n: int, start: int | None, walk: Callable[[int], int | None]) -> int:
        """dis_i386_previnstr: disassemble from the start of the symbol
        holding ``pc``; if an instruction starts exactly at ``pc``, the one
        ``n`` before it (or the symbol's start), else ``pc`` itself."""
        if n <= 0 or start is None or start == pc:
            return pc
        hist: list[int] = []
        addr = start
        while addr < pc:
            hist.append(addr)
            size = walk(addr)
            if size is None:
                return pc
            addr += size
        if addr != pc:
            return pc
        return hist[-min(n, len(hist))]
