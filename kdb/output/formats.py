"""Format characters for the ``/ \\ ? @ =`` verbs (docs/language.md, "Repeat counts and format characters").

A format list is a sequence of characters, decimal repeat counts and quoted
literal strings. Each character reads its size in bytes from a *reader* at
the current address and prints it with an mdb_printf format. ``=`` uses a
reader that returns the low-order bytes of the value of dot whatever the
offset, so ``-1,10=J`` prints the same value each time.

Autowrap is forced on while each character prints (except ``j``), which is
what makes mdb's columns break where they do.
"""

from __future__ import annotations

import struct
from typing import Callable, Protocol

import attrs

from kdb.errors import CmdError, ReadError
from kdb.output.iob import OutputBuffer
from kdb.numbers import signed
from kdb.output.printf import FormatEnv, mprintf, time_representable
from kdb.target.disasm.common import unreadable
from kdb.lang.statements import FmtChar, FmtCount, FmtText


class Reader(Protocol):
    """Reads target bytes for the format characters."""

    def read(self, addr: int, size: int) -> bytes: ...

    def read_string(self, addr: int, limit: int = 4096) -> bytes: ...

    def ins2str(self, pc: int, syms: FormatEnv) -> tuple[str, int]: ...


class ValueReader:
    """The internal value target of ``=``: every read returns dot's low bytes."""

    def __init__(self, value: int) -> None:
        self.raw = (value & ((1 << 64) - 1)).to_bytes(8, "little")

    def read(self, addr: int, size: int) -> bytes:
        if size <= 8:
            return self.raw[:size]
        return (self.raw * ((size + 7) // 8))[:size]

    def read_string(self, addr: int, limit: int = 4096) -> bytes:
        raw = self.raw
        end = raw.find(b"\0")
        return raw if end < 0 else raw[:end]

    def ins2str(self, pc: int, syms: FormatEnv) -> tuple[str, int]:
        raise CmdError("failed to disassemble instruction: operation not supported by target")


@attrs.define(slots=True, frozen=True)
class FormatSpec:
    """One format character: its size (None: none, -1: variable) and meaning."""

    char: str
    size: int | None
    descr: str


def _le(data: bytes) -> int:
    return int.from_bytes(data, "little")


_SPECS: list[FormatSpec] = [
    FormatSpec("+", None, "increment dot by the count"),
    FormatSpec("-", None, "decrement dot by the count"),
    FormatSpec("B", 1, "hexadecimal int"),
    FormatSpec("C", 1, "character using C character notation"),
    FormatSpec("D", 4, "decimal signed int"),
    FormatSpec("E", 8, "decimal unsigned long long"),
    FormatSpec("F", 8, "double"),
    FormatSpec("G", 8, "octal unsigned long long"),
    FormatSpec("H", 4, "swap bytes and shorts"),
    FormatSpec("I", -1, "address and disassembled instruction"),
    FormatSpec("J", 8, "hexadecimal long long"),
    FormatSpec("K", 8, "hexadecimal uintptr_t"),
    FormatSpec("L", 4, "match int"),
    FormatSpec("M", 8, "match long long"),
    FormatSpec("N", None, "newline"),
    FormatSpec("O", 4, "octal unsigned int"),
    FormatSpec("P", 8, "symbol"),
    FormatSpec("Q", 4, "octal signed int"),
    FormatSpec("R", 8, "binary int"),
    FormatSpec("S", -1, "string using C string notation"),
    FormatSpec("T", None, "horizontal tab"),
    FormatSpec("U", 4, "decimal unsigned int"),
    FormatSpec("V", 1, "decimal unsigned int"),
    FormatSpec("W", 4, "write default radix unsigned int"),
    FormatSpec("X", 4, "hexadecimal int"),
    FormatSpec("Y", 4, "decoded time32_t"),
    FormatSpec("Z", 8, "write hexadecimal long long"),
    FormatSpec("^", None, "decrement dot by increment * count"),
    FormatSpec("a", None, "dot as symbol+offset"),
    FormatSpec("b", 1, "octal unsigned int"),
    FormatSpec("c", 1, "character"),
    FormatSpec("d", 2, "decimal signed short"),
    FormatSpec("e", 8, "decimal signed long long"),
    FormatSpec("f", 4, "float"),
    FormatSpec("g", 8, "octal signed long long"),
    FormatSpec("h", 2, "swap bytes"),
    FormatSpec("i", -1, "disassembled instruction"),
    FormatSpec("j", 8, "jazzed-up binary"),
    FormatSpec("l", 2, "match short"),
    FormatSpec("n", None, "newline"),
    FormatSpec("o", 2, "octal unsigned short"),
    FormatSpec("p", 8, "symbol"),
    FormatSpec("q", 2, "octal signed short"),
    FormatSpec("r", None, "whitespace"),
    FormatSpec("s", -1, "raw string"),
    FormatSpec("t", None, "horizontal tab"),
    FormatSpec("u", 2, "decimal unsigned short"),
    FormatSpec("v", 1, "write decimal signed int"),
    FormatSpec("w", 2, "write default radix unsigned short"),
    FormatSpec("x", 2, "hexadecimal short"),
    FormatSpec("y", 8, "decoded time64_t"),
    FormatSpec("z", -1, "write hexadecimal int"),
]

FORMATS: dict[str, FormatSpec] = {s.char: s for s in _SPECS}

# simple fixed-size characters: char -> (printf format, value transform)
_SIMPLE: dict[str, tuple[str, Callable[[int], int]]] = {
    "B": ("%-8x", lambda v: v),
    "D": ("%-16d", lambda v: v),
    "E": ("%-21llu", lambda v: v),
    "G": ("%-23llo", lambda v: v),
    "H": ("%-16x", lambda v: int.from_bytes(v.to_bytes(4, "little"), "big")),
    "O": ("%-#16o", lambda v: v),
    "Q": ("%-#16q", lambda v: v),
    "U": ("%-16u", lambda v: v),
    "V": ("%-8u", lambda v: v),
    "W": ("%-16r", lambda v: v),
    "X": ("%-16x", lambda v: v),
    "Y": ("%-24Y", lambda v: signed(v, 32)),
    "b": ("%-#8o", lambda v: v),
    "d": ("%-8hd", lambda v: v),
    "e": ("%-21lld", lambda v: v),
    "g": ("%-24llq", lambda v: v),
    "h": ("%-8x", lambda v: int.from_bytes(v.to_bytes(2, "little"), "big")),
    "o": ("%-#8ho", lambda v: v),
    "q": ("%-#8hq", lambda v: v),
    "u": ("%-8hu", lambda v: v),
    "v": ("%-8d", lambda v: signed(v, 8)),
    "w": ("%-8hr", lambda v: v),
    "x": ("%-8hx", lambda v: v),
}

_ESC = {0: "\\0", 7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f",
        13: "\\r", 0x5C: "\\\\"}


def c_escape_byte(b: int) -> str:
    """A byte in C character notation (``\\n``, ``\\0``, ``\\ooo``)."""
    if b in _ESC:
        return _ESC[b]
    if 0x20 <= b < 0x7F:
        return chr(b)
    return "\\%o" % b


def printable_bytes(data: bytes) -> str:
    """Raw bytes for ``s``/``c``, with control bytes escaped for terminal safety."""
    out = []
    for b in data:
        if b in (9, 10) or 0x20 <= b < 0x7F:
            out.append(chr(b))
        elif b >= 0x80:
            out.append(chr(b))
        else:
            out.append(c_escape_byte(b))
    return "".join(out)


def jazzed_lines(value: int) -> list[str]:
    """The lines of the ``j`` format: binary digits and an ASCII-art bit legend."""
    text = format(value, "b")
    if value == 0:
        return [text]
    hb = value.bit_length() - 1
    lo = (value & -value).bit_length() - 1
    lines = [text]
    lines.append("".join("|" if value >> b & 1 else " " for b in range(hb, lo - 1, -1)))
    ndig = hb // 4 + 1
    for bit in range(lo, hb + 1):
        if not value >> bit & 1:
            continue
        arms = "".join("|" if value >> b & 1 else " " for b in range(hb, bit, -1))
        pad = " " if bit < 10 <= hb else ""
        lines.append(f"{arms}+{'-' * (bit + 2)} bit {bit} {pad}mask 0x{1 << bit:0{ndig}x}")
    return lines


def print_fmtlist(out: OutputBuffer, env: FormatEnv, reader: Reader, addr: int,
                  items: list, *, kmdb: bool = False, incr: int = 0) -> int:
    """Print a format list starting at ``addr``; return the address after it.

    Raises :class:`CmdError` for an invalid character or a failed read.
    """
    count = 1
    counted = False
    for item in items:
        if isinstance(item, FmtCount):
            count = item.count
            counted = True
            continue
        if isinstance(item, FmtText):
            out.forced_wrap = True
            try:
                for _ in range(count):
                    out.write(item.text)
            finally:
                out.forced_wrap = False
            count, counted = 1, False
            continue
        assert isinstance(item, FmtChar)
        ch = item.char
        spec = FORMATS.get(ch)
        if spec is None or ch in "LMlz" or (kmdb and ch in "Ff"):
            raise CmdError(f"invalid format character -- '{ch}'")
        out.forced_wrap = ch != "j"
        try:
            addr = _print_char(out, env, reader, addr, ch, count, counted, incr)
        except ReadError as e:
            raise CmdError(f"failed to read data from target: {e.reason}") from None
        finally:
            out.forced_wrap = False
        count, counted = 1, False
    return addr


def _print_char(out: OutputBuffer, env: FormatEnv, reader: Reader, addr: int,
                ch: str, count: int, counted: bool, incr: int) -> int:
    mask = (1 << 64) - 1
    if ch == "+":
        return (addr + count) & mask
    if ch == "-":
        return (addr - count) & mask
    if ch == "^":
        return (addr - incr * count) & mask
    if ch in "Nn":
        for _ in range(count):
            out.nl()
        return addr
    if ch in "Tt":
        out.tab_to(count if counted else out.tabstop)
        return addr
    if ch == "r":
        out.ws(count)
        return addr
    if ch == "a":
        for _ in range(count):
            mprintf(out, env, "%-#16lla%16T", addr)
        return addr
    if ch in "Cc":
        # read in pieces: a repeat count may be far larger than memory
        done = 0
        while done < count:
            n = min(count - done, 4096)
            for b in reader.read(addr + done, n):
                out.item(c_escape_byte(b) if ch == "C" else printable_bytes(bytes([b])))
            done += n
        return addr + count
    if ch in "Ss":
        for i in range(count):
            raw = reader.read_string(addr)
            if ch == "S":
                text = "".join(c_escape_byte(b) for b in raw)
            else:
                text = printable_bytes(raw)
            out.item(text)
            if i < count - 1 and ch == "S":
                out.item("\\0")
            addr += len(raw) + 1
        return addr
    if ch == "i":
        # mdb_fmt.c fmt_instr: one instruction a line; a read failure is
        # libdisasm_read's "failed to read instruction at ADDR"
        for _ in range(count):
            try:
                text, addr = reader.ins2str(addr, env)
            except ReadError as e:
                raise CmdError(unreadable(e)) from None
            mprintf(out, env, "%s\n", text)
        return addr
    if ch == "I":
        # fmt_dotinstr: the address, the 32-bit word there, the instruction
        for _ in range(count):
            word = _le(reader.read(addr, 4))
            try:
                text, naddr = reader.ins2str(addr, env)
            except ReadError:
                break
            mprintf(out, env, "%lx %x: %s\n", addr, word, text)
            addr = naddr
        return addr
    size = FORMATS[ch].size
    assert size is not None and size > 0
    for _ in range(count):
        v = _le(reader.read(addr, size))
        addr += size
        if ch in _SIMPLE:
            fmt, fn = _SIMPLE[ch]
            mprintf(out, env, fmt, fn(v))
        elif ch in "JKZ":
            mprintf(out, env, "%-17llx" if v >> 60 else "%-16llx", v)
        elif ch in "Pp":
            mprintf(out, env, "%-19a", v)
        elif ch == "R":
            mprintf(out, env, "%-65s" if v >> 63 else "%-64s", format(v, "b"))
        elif ch == "F":
            mprintf(out, env, "%g", struct.unpack("<d", v.to_bytes(8, "little"))[0])
        elif ch == "f":
            mprintf(out, env, "%e", struct.unpack("<f", v.to_bytes(4, "little"))[0])
        elif ch == "y":
            sv = signed(v, 64)
            if time_representable(sv):
                mprintf(out, env, "%-24Y", sv)
            else:
                mprintf(out, env, "%-24llR", v)
        elif ch == "c":
            mprintf(out, env, "%c", v)
        elif ch == "j":
            for line in jazzed_lines(v):
                out.write(line + "\n")
        else:  # pragma: no cover - table and code disagree
            raise CmdError(f"invalid format character -- '{ch}'")
    return addr
