"""``::print``'s engine, a port of illumos mdb_print.c: the type visit
(``mdb_ctf_type_visit``), ``elt_print`` for each element (indent, address,
type, name, `` = ``, value, delimiter), the value printers (``print_int``,
``print_bitfield``, ``print_ptr``, ``print_array``, ``print_sou``,
``print_enum``, ``print_float``), ``print_close_sou`` with holes (-h),
``parse_member`` for member paths and ``pipe_print`` for pipes.

Reads go through a reader: the target's memory, or for ``-i`` the value of
dot itself (mdb's immediate target) until a ``->`` leaves it.
"""

from __future__ import annotations

import struct
from typing import Any, Callable

import attrs

from kdb.errors import CmdError, ReadError
from kdb.numbers import numtostr
from kdb.output.formats import c_escape_byte
from kdb.target.ctype import CType, Member

PA_SHOWTYPE = 0x001
PA_SHOWBASETYPE = 0x002
PA_SHOWNAME = 0x004
PA_SHOWADDR = 0x008
PA_SHOWVAL = 0x010
PA_SHOWHOLES = 0x020
PA_INTHEX = 0x040
PA_INTDEC = 0x080
PA_NOSYMBOLIC = 0x100

NOLIMIT = -1


@attrs.define
class Hole:
    offset: int = 0        # expected next offset (bits)
    union: bool = False


@attrs.define
class PrintArgs:
    """printarg_t."""

    read: Callable[[int, int], bytes]     # the current target's memory
    real_read: Callable[[int, int], bytes]
    addr2str: Callable[[int], str | None]
    out: Callable[[str], None]
    warn: Callable[[str], None]
    era: str
    addr: int = 0
    flags: int = 0
    armemlim: int = 32
    arstrlim: int = 1024
    delim: str = "\n"
    prefix: str | None = None
    suffix: str | None = None
    depth: int = 0
    nest: int = 0
    tab: int = 4
    maxdepth: int = 1 << 30
    holes: list[Hole] = attrs.Factory(list)
    immediate: bool = False


# ---------------------------------------------------------------------------
# type names (libctf ctf_type_name, as mdb_ctf_type_name gives them)
# ---------------------------------------------------------------------------
def type_name(t: CType) -> str:
    return t.name


def _bits(t: CType, m: Member | None) -> int:
    return m.bit_size if m is not None and m.bit_size is not None else 8 * t.resolve().size


def _is_char(r: CType) -> bool:
    """IS_CHAR: a signed char encoding, 8 bits (plain char and signed char)."""
    return r.kind == "int" and r.size == 1 and r.name in ("char", "signed char")


# ---------------------------------------------------------------------------
# the visit
# ---------------------------------------------------------------------------
Visitor = Callable[[str, CType, int, int, "Member | None", PrintArgs], int]


def visit(t: CType, cb: Visitor, pa: PrintArgs, name: str = "", off: int = 0, depth: int = 0,
          member: Member | None = None) -> int:
    """mdb_ctf_type_visit: the element, then (for a struct or union) each
    member one level deeper, with its offset in bits."""
    rc = cb(name, t, off, depth, member, pa)
    if rc:
        return rc
    r = t.resolve()
    if r.kind in ("struct", "union"):
        for m in r.members:
            bit = m.offset * 8 + (m.bit_offset if m.bit_size is not None else 0)
            rc = visit(m.type, cb, pa, m.name if m.name is not None else "<anon>", off + bit, depth + 1, m)
            if rc:
                return rc
    return 0


def close_sou(pa: PrintArgs, newdepth: int) -> None:
    """print_close_sou: holes left at the end of a struct (-h), then the
    brace, with a comma after a struct that is an array element."""
    d = newdepth + pa.nest
    if pa.flags & PA_SHOWHOLES and d + 1 < len(pa.holes) and not pa.holes[d].union:
        end, expected = pa.holes[d + 1].offset, pa.holes[d].offset
        if end < expected:
            print_hole(pa, newdepth + 1, end, expected)
    pa.out(" " * (d * pa.tab) + "}" + ("," if newdepth == 0 and pa.nest > 0 else "") + "\n")


def _lead(pa: PrintArgs, depth: int, off: int) -> str:
    """What starts an element's line: the indent, and with -a its address
    (``ADDR.BIT`` for a bit-field off a byte boundary)."""
    text = ""
    if pa.flags & (PA_SHOWTYPE | PA_SHOWNAME | PA_SHOWADDR):
        text += " " * ((depth + pa.nest) * pa.tab)
    if pa.flags & PA_SHOWADDR:
        text += f"{pa.addr + off // 8:x} " if off % 8 == 0 else f"{pa.addr + off // 8:x}.{off % 8:x} "
    return text


def print_hole(pa: PrintArgs, depth: int, off: int, endoff: int) -> None:
    bits = endoff - off
    size = bits // 8
    if bits > 64:
        while off < endoff:
            end = min((off // 64 + 1) * 64, endoff)
            print_hole(pa, depth, off, end)
            off = end
        return
    bitfield = off % 8 != 0 or bits % 8 != 0 or size > 8 or (size & (size - 1)) != 0
    tname = "unsigned" if bitfield else f"uint{bits}_t"
    text = _lead(pa, depth, off)
    if pa.flags & PA_SHOWTYPE:
        text += tname + " "
    if pa.flags & PA_SHOWNAME:
        text += "<<HOLE>>"
    if bitfield and pa.flags & PA_SHOWTYPE:
        text += f" :{bits}"
    text += (" =" if pa.flags & PA_SHOWVAL else "") + " "
    try:
        text += _int_text(pa, None, off, bits, signed=False)
    except ReadError:
        return
    pa.out(text + pa.delim)


def elt_print(name: str, t: CType, off: int, depth: int, member: Member | None, pa: PrintArgs) -> int:
    """elt_print: close what this element leaves, then its line."""
    for d in range(pa.depth - 1, depth - 1, -1):
        close_sou(pa, d)
    if depth > pa.maxdepth:
        return 0
    base = t.resolve()
    tname = type_name(t)
    bname = base.name
    if member is not None and member.bit_size is not None:
        # ctfconvert names a bit-field's own integer type "unsigned int:3"
        tname = bname = f"{base.name}:{member.bit_size}"
    if pa.flags & PA_SHOWBASETYPE:
        if bname != tname and bname not in ("struct ", "enum ", "union "):
            tname = f"{tname} <<{bname}>>"
    composite = base.kind in ("struct", "union", "array")
    if pa.flags & PA_SHOWHOLES:
        need = pa.nest + depth + (1 if composite else 0) + 1
        while len(pa.holes) < need:
            pa.holes.append(Hole())
        hole = pa.holes[depth + pa.nest]
        if depth != 0 and off > hole.offset:
            print_hole(pa, depth, hole.offset, off)
        hole.offset = off + _bits(t, member) if base.kind in ("int",) else off + base.size * 8
        if composite:
            hole.union = base.kind == "union"
            pa.holes[depth + pa.nest + 1].offset = off
    text = _lead(pa, depth, off)
    if pa.flags & PA_SHOWTYPE:
        text += tname
        # no space after a pointer type inside a structure ("label_t *t_onfault")
        if not tname.endswith("*") or (depth == 0 and (not pa.flags & PA_SHOWNAME or pa.prefix is None)):
            text += " "
    if pa.flags & PA_SHOWNAME:
        if pa.prefix is not None and depth <= 1:
            text += pa.prefix + ("" if depth == 0 else (pa.suffix or ""))
        text += name
    if pa.flags & PA_SHOWTYPE and base.kind == "int":
        bits = _bits(t, member)
        if bits % 8 or off % 8 or bits // 8 > 8 or bits // 8 != base.size:
            text += f" :{bits}"
    if depth != 0 or (pa.flags & PA_SHOWNAME and pa.prefix is not None):
        text += (" =" if pa.flags & PA_SHOWVAL else "") + " "
    pa.depth = depth
    if base.kind == "array":            # its elements print as they go
        pa.out(text)
        text = ""
    try:
        value = _value(pa, t, base, off, member)
    except ReadError as e:
        # the print routine's mdb_warn, and mdb_iob_discard of the line
        pa.warn(_read_failure(base, name, pa.addr + off // 8, e))
        return 1
    pa.out(text + value + pa.delim)
    return 0


def _read_failure(base: CType, name: str, addr: int, e: ReadError) -> str:
    what = {"pointer": f"{name} pointer", "func": f"{name} pointer", "enum": f"{name} integer",
            "float": "float", "array": "char array"}.get(base.kind, f"{base.size} bytes")
    return f"failed to read {what} at {addr:x}: {e.reason}"


# ---------------------------------------------------------------------------
# values
# ---------------------------------------------------------------------------
def _value(pa: PrintArgs, t: CType, base: CType, off: int, member: Member | None) -> str:
    kind = base.kind
    if kind in ("struct", "union"):                    # print_sou
        pa.delim = "\n"
        return "{ ... }" if pa.depth == pa.maxdepth else "{"
    if not pa.flags & PA_SHOWVAL:
        return ""
    if kind == "int":
        bits = _bits(t, member)
        return _int_text(pa, t, off, bits, signed=base.signed, base=base)
    if kind == "enum":
        return _enum_text(pa, base, off)
    if kind == "float":
        raw = pa.read(pa.addr + off // 8, base.size)
        f = struct.unpack("<d" if base.size == 8 else "<f", raw[:8 if base.size == 8 else 4])[0]
        return f"{f:+.7e}"
    if kind in ("pointer", "func"):
        return _ptr_text(pa, t, base, off)
    if kind == "array":
        return _array_text(pa, t, base, off)
    return ""


def read_bits(read: Callable[[int, int], bytes], addr: int, bit: int, bits: int) -> int:
    """BITS bits starting BIT bits into the byte at ADDR (little-endian, as
    print_bitfield and printf_signed read a bit-field)."""
    word = int.from_bytes(read(addr, (bit + bits + 7) // 8), "little") >> bit
    return word & ((1 << bits) - 1)


def _int_text(pa: PrintArgs, t: CType | None, off: int, bits: int, *, signed: bool,
              base: CType | None = None) -> str:
    """print_int_val / print_bitfield."""
    addr = pa.addr + off // 8
    size = bits // 8
    if size > 8 or bits % 8 or (size & (size - 1)) or off % 8:
        value = read_bits(pa.read, addr, off % 8, bits)
        if pa.flags & PA_INTHEX or not signed:
            return numtostr(value, 10, showbase=True) if pa.flags & PA_INTDEC else (f"{value:#x}" if value else "0")
        if value >> (bits - 1):
            value -= 1 << bits
        return numtostr(value, 10, showbase=True)
    if base is not None and _is_char(base):
        return "'" + c_escape_byte(pa.read(addr, 1)[0]) + "'"
    v = int.from_bytes(pa.read(addr, size), "little")
    if t is not None and not pa.flags & (PA_INTHEX | PA_INTDEC) and t.name == "time_t" and v:
        from kdb.output.printf import format_time
        return format_time(v)
    if not pa.flags & PA_INTDEC:
        return f"{v:#x}" if v else "0"
    if signed and v >> (bits - 1):
        v -= 1 << bits
    return numtostr(v, 10, showbase=True)


def _enum_text(pa: PrintArgs, base: CType, off: int) -> str:
    v = int.from_bytes(pa.read(pa.addr + off // 8, 4), "little", signed=True)
    name = next((n for n, val in base.enumerators if val == v), None)
    if pa.era == "opensolaris":
        return name if name is not None else str(v)
    vals = [val for _, val in base.enumerators]
    p2 = bool(vals) and all(x == 0 or x & (x - 1) == 0 for x in vals) and any(vals)
    if p2 or pa.flags & PA_INTHEX:
        num = f"{v & 0xFFFFFFFF:#x}" if v else "0"
    else:
        num = numtostr(v, 10, showbase=True)
    return f"{num} ({name if name is not None else '???'})"


def _ptr_text(pa: PrintArgs, t: CType, base: CType, off: int) -> str:
    v = int.from_bytes(pa.read(pa.addr + off // 8, 8), "little")
    if pa.flags & PA_NOSYMBOLIC:
        return f"{v:#x}" if v else "0"
    text = pa.addr2str(v) or (f"{v:#x}" if v else "0")
    if not v or t.name == "caddr_t" or base.kind != "pointer":
        return text
    tgt = base.target.resolve() if base.target is not None else None
    if tgt is not None and _is_char(tgt):
        try:
            s = _readstr(pa.real_read, v, 256)
        except ReadError:
            return text
        if all(0x20 <= b < 0x7F for b in s):
            shown = s.decode("ascii")
            if len(s) >= 255:
                shown = shown[:251] + "..."          # strabbr
            text += f' "{shown}"'
    return text


def _readstr(read: Callable[[int, int], bytes], addr: int, limit: int) -> bytes:
    out = bytearray()
    while len(out) < limit - 1:
        b = read(addr + len(out), 1)
        if b == b"\0":
            break
        out += b
    return bytes(out)


def _array_text(pa: PrintArgs, t: CType, base: CType, off: int) -> str:
    """print_array: a printable char array as a string, else its elements."""
    addr = pa.addr + off // 8
    if pa.depth == pa.maxdepth:
        return "[ ... ]"
    elem_t = base.target
    if elem_t is None:
        return "[ ??? ]"
    elem = elem_t.resolve()
    n = base.count or 0
    if (pa.arstrlim == NOLIMIT or n <= pa.arstrlim) and _is_char(elem) and n:
        head = _readstr(pa.read, addr, min(8, n) + 1)[:min(8, n)]
        if head and all(0x20 <= b < 0x7F for b in head):
            raw = pa.read(addr, n)
            s = raw.split(b"\0", 1)[0]
            if all(0x20 <= b < 0x7F for b in s):
                return f'[ "{s.decode("ascii")}" ]'
    limit = n if pa.armemlim == NOLIMIT else min(n, pa.armemlim)
    if limit == 0:
        return "[ ... ]"
    sou = elem.kind in ("struct", "union", "array")
    sub = PrintArgs(pa.read, pa.real_read, pa.addr2str, pa.out, pa.warn, pa.era, addr, pa.flags, pa.armemlim,
                    pa.arstrlim, "\n" if sou else ", ", None, None, 0, pa.nest + pa.depth + 1, pa.tab,
                    pa.maxdepth - pa.depth - 1, pa.holes, pa.immediate)
    if not sou:
        sub.flags &= ~(PA_SHOWTYPE | PA_SHOWNAME | PA_SHOWADDR)
    pa.out("[\n" if sou else "[ ")
    for i in range(limit):
        if i == limit - 1 and not sou:
            sub.delim = ", ... ]" if limit < n else " ]"
        visit(elem_t, elt_print, sub)
        sub.addr += elem.size
    if sou:
        for d in range(sub.depth - 1, -1, -1):
            close_sou(sub, d)
        pad = " " * ((pa.depth + pa.nest) * pa.tab)
        return pad + ("... ]" if limit < n else "]")
    return ""


# ---------------------------------------------------------------------------
# member paths and pipes
# ---------------------------------------------------------------------------
def parse_member(pa: PrintArgs, path: str, t: CType, warn: Callable[[str], None]) -> tuple[CType, int, bool, Member | None]:
    """parse_member: follow ``a.b``, ``a->b``, ``a[2]`` from the type at
    pa.addr (which it moves); the member's type, its bit offset within
    the last structure, whether it ended in a ``[0]`` dereference."""
    rid = t.resolve()
    pos = 0
    off = 0
    member: Member | None = None
    last_deref = False
    non_array = False
    cur = t

    def delimiter() -> str:
        nonlocal pos
        if pos >= len(path):
            return "done"
        c = path[pos]
        if c == ".":
            pos += 1
            return "dot"
        if c == "[":
            pos += 1
            return "lbr"
        if path.startswith("->", pos):
            pos += 2
            return "ptr"
        return "err"

    delim = delimiter()
    if delim == "err":
        delim = "ptr" if rid.kind == "pointer" else "dot"
    while delim != "done":
        if delim == "ptr":
            if rid.kind != "pointer":
                raise CmdError(f"{cur.name} is not a pointer type")
            _deref(pa)
            cur = rid.target or cur
            rid = cur.resolve()
            off = 0
        elif delim == "dot":
            if rid.kind not in ("struct", "union"):
                raise CmdError(f"{cur.name} is not a struct or union type")
        elif delim == "lbr":
            end = path.find("]", pos)
            if end < 0:
                raise CmdError("no trailing ']'")
            index = _strtoull(path[pos:end])
            if rid.kind == "pointer":
                _deref(pa)
                if index == 0 and non_array:
                    last_deref = True
            elif rid.kind == "array":
                if rid.count is not None and index >= rid.count:
                    warn(f"index {index:x} is outside of array bounds [0 .. {rid.count - 1:x}]")
            else:
                raise CmdError("cannot index into non-array, non-pointer type")
            cur = rid.target or cur             # the element, from either
            rid = cur.resolve()
            if rid.size <= 0:
                raise CmdError("cannot dereference void type")
            pa.addr += index * rid.size
            off = 0
            pos = end + 1
            delim = delimiter()
            continue
        else:
            raise CmdError(f"'{path[pos:pos + 1]}' is not a valid delimiter")
        last_deref = False
        non_array = True
        end = pos + 1
        while end < len(path) and (path[end].isalnum() or path[end] == "_"):
            end += 1
        name = path[pos:end]
        m = rid.member(name)
        if m is None:
            raise CmdError(f"failed to find member {name} of {cur.name}: no such member of structure or union")
        member = m
        off = m.offset * 8 + (m.bit_offset if m.bit_size is not None else 0)
        cur = m.type
        rid = cur.resolve()
        pa.addr += off // 8
        pos = end
        delim = delimiter()
    return cur, off, last_deref, member


def _strtoull(text: str) -> int:
    t = text.strip()
    try:
        return int(t, 0) if t[:2].lower() in ("0x", "0o", "0b") else int(t, 16)
    except ValueError:
        raise CmdError(f"invalid array index '{text}'") from None


def _deref(pa: PrintArgs) -> None:
    try:
        pa.addr = int.from_bytes(pa.read(pa.addr, 8), "little")
    except ReadError:
        raise CmdError(f"could not dereference pointer {pa.addr:x}") from None
    if pa.immediate:                  # a dereference leaves the immediate target
        pa.read = pa.real_read
        pa.immediate = False


def pipe_value(pa: PrintArgs, t: CType, off: int, member: Member | None) -> int:
    """pipe_print: the value a pipe gets: a pointer's or an integer's value,
    else the member's address (always the address with -a)."""
    addr = pa.addr + off // 8
    base = t.resolve()
    if pa.flags & PA_SHOWADDR:
        return addr
    if base.kind == "pointer":
        return int.from_bytes(pa.read(addr, 8), "little")
    if base.kind in ("int", "enum"):
        return read_bits(pa.read, addr, off % 8, _bits(t, member) if base.kind == "int" else 32)
    return addr


def immediate_reader(value: int, size: int) -> Callable[[int, int], bytes]:
    """-i: mdb_value_tgt, the bytes of dot as the object at 0."""
    data = (value & ((1 << 64) - 1)).to_bytes(8, "little").ljust(max(size, 8), b"\0")

    def read(addr: int, n: int) -> bytes:
        if addr < 0 or addr + n > len(data):
            raise ReadError(addr, "no mapping for address")
        return data[addr:addr + n]
    return read

