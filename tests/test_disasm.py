"""The disassemblers: libdisasm's text for capstone's decodings.

Expected strings follow the illumos sources cited in kdb/target/disasm/
(dtrace_disx86_str and print_imm for x86, dis_sparc_fmt.c for SPARC, the
arm64 port's arm64_format_opnd), not capstone's own text.
"""

from __future__ import annotations

import random

import pytest

from kdb.target.disasm import UNKNOWN_OP, arch_for, ins2str, previns
from kdb.errors import ReadError


class Syms:
    """A symbol table of three functions, and hex as the radix."""

    radix = 16
    table = [(0xFFFFFFFFFB8A3E10, 0x7E, "ddi_get_soft_state"),
             (0xFFFFFFFFFBC3E340, 0x40, "panicbuf"),
             (0x1000, 0x100, "func")]

    def addr2str(self, addr: int) -> str | None:
        for start, size, name in self.table:
            if start <= addr < start + size:
                return name if addr == start else f"{name}+0x{addr - start:x}"
        return None


def render(isa: str, hexcode: str, pc: int = 0x1000) -> list[str]:
    arch, code = arch_for(isa), bytes.fromhex(hexcode.replace(" ", ""))
    out, off = [], 0
    while off < len(code):
        found = arch.decode(code[off:off + arch.max_len], pc + off, Syms())
        assert found is not None
        out.append(found[0])
        off += found[1]
    return out


@pytest.mark.parametrize("hexcode, text", [
    ("55", "pushq  %rbp"),                                   # %-6s then a space
    ("c3", "ret    "),                                       # the padding stays
    ("c9", "leave  "),
    ("4889e5", "movq   %rsp,%rbp"),                          # operands joined by ","
    ("488955e8", "movq   %rdx,-0x18(%rbp)"),                 # small negative displacement
    ("48c7c0ffffffff", "movq   $-0x1,%rax\t<0xffffffffffffffff>"),   # and its unsigned value
    ("4883e4f0", "andq   $0xfffffffffffffff0,%rsp"),         # and: unsigned_ops
    ("48c7c740e3c3fb", "movq   $0xfffffffffbc3e340,%rdi\t<panicbuf>"),   # immediate in a symbol
    ("65488b142518000000", "movq   %gs:0x18,%rdx"),
    ("8b04dd00000000", "movl   0x0(,%rbx,8),%eax"),          # a 32-bit displacement of 0 prints
    ("488b04d8", "movq   (%rax,%rbx,8),%rax"),
    ("ffd0", "call   *%rax"),
    ("cc", "int    $0x3"),                                   # INT3's fake operand
])
def test_amd64_text(hexcode: str, text: str) -> None:
    assert render("amd64", hexcode) == [text]


def test_amd64_relative_targets() -> None:
    pc = 0xFFFFFFFFF7E00000
    call = (0xFFFFFFFFFB8A3E10 - (pc + 5)) & 0xFFFFFFFF
    assert render("amd64", "e8" + call.to_bytes(4, "little").hex(), pc) == \
        ["call   +0x3aa3e0b\t<ddi_get_soft_state>"]
    assert render("amd64", "ebfe", 0x1010) == ["jmp    -0x2\t<func+0x10>"]     # DISP: any negative
    assert render("amd64", "488b3d00100000", 0x1000) == \
        ["movq   +0x1000(%rip),%rdi\t<0x2007>"]                # no symbol: %a is the address


def test_i386_names() -> None:
    assert render("i386", "e8fb000000 c3 55") == ["call   +0xfb\t<0x1100>", "ret    ", "pushl  %ebp"]


def test_sparc_text() -> None:
    code = ("9de3bf50 12480004 10800008 02c20004 90022008 d277a7df d45a0009"
            " 03004000 40000010 01000000 81c7e008 81e80000")
    assert render("sparcv9", code) == [
        "save      %sp, -0xb0, %sp",
        "bne       %icc, +0x10   <func+0x14>",              # %s, %s0x%-04lx <
        "ba        +0x20         <func+0x28>",              # %s0x%-10lx <
        "brz,pn    %o0, +0x10    <func+0x1c>",              # %s, %s0x%-5lx <
        "add       %o0, 0x8, %o0",                          # prt_imm: hex
        "stx       %o1, [%fp + 0x7df]",                     # prt_address: spaced
        "ldx       [%o0 + %o1], %o2",
        "sethi     %hi(0x1000000), %g1",
        "call      +0x40         <func+0x60>",              # fmt_call
        "nop",
        "ret",
        "restore",
    ]


def test_arm64_text() -> None:
    code = "fd7bbfa9 200080d2 010840f9 fd7bc1a8 40000034 04000094 c0035fd6"
    assert render("aarch64", code) == [
        "stp x29, x30, [sp, #-16]!",                        # pre-index, decimal
        "mov x0, #0x1",                                     # immediates in hex
        "ldr x1, [x0, #16]",
        "ldp x29, x30, [sp], #16",                          # post-index
        "cbz w0, +0x8 \t<func+0x18>",                       # labels: +0x.. \t<sym>
        "bl +0x10 \t<func+0x24>",
        "ret",
    ]


def test_read_errors_and_unknown_opcodes() -> None:
    mem = {0x1000: bytes.fromhex("0f0b") + b"\xff\xff"}

    def read(addr: int, size: int) -> bytes:
        for base, data in mem.items():
            if base <= addr and addr + size <= base + len(data):
                return data[addr - base:addr - base + size]
        raise ReadError(addr)

    x86 = arch_for("amd64")
    assert ins2str(x86, read, Syms(), 0x1000) == ("ud2    ", 0x1002)   # the last bytes are short
    assert ins2str(x86, read, Syms(), 0x1002)[0] == UNKNOWN_OP            # ff ff: no instruction
    with pytest.raises(ReadError):
        ins2str(x86, read, Syms(), 0x2000)
    sparc = arch_for("sparcv9")
    with pytest.raises(ReadError):                      # fewer than 4 bytes: unreadable
        ins2str(sparc, read, Syms(), 0x1002)


def test_previns() -> None:
    code = bytes.fromhex("554889e54883ec10c9c3")          # push; mov; sub; leave; ret

    def read(addr: int, size: int) -> bytes:
        if not 0x1000 <= addr < 0x1000 + len(code):
            raise ReadError(addr)
        return code[addr - 0x1000:addr - 0x1000 + size]

    x86 = arch_for("amd64")
    assert previns(x86, read, Syms(), 0x1000, 0x1008, 2) == 0x1001
    assert previns(x86, read, Syms(), 0x1000, 0x1008, 10) == 0x1000     # no further than the start
    assert previns(x86, read, Syms(), 0x1000, 0x1002, 1) == 0x1002      # mid-instruction: itself
    assert previns(arch_for("sparcv9"), read, Syms(), None, 0x1010, 2) == 0x1008


def test_hostile_bytes_never_raise() -> None:
    rng = random.Random(1800)
    for isa in ("amd64", "i386", "sparcv9", "aarch64"):
        arch = arch_for(isa)
        for _ in range(1500):
            code = rng.randbytes(16)
            found = arch.decode(code, rng.randrange(1 << 64), Syms())
            if found is not None:
                text, size = found
                assert 0 < size <= arch.max_len
                assert text.isprintable() or "\t" in text
