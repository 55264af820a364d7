"""C types and typed memory: ``::typedef``, ``::sizeof``, ``::offsetof``,
``::print``, ``::list`` and ``::array`` (docs/types.md)."""

from __future__ import annotations

import re
import struct
from typing import Any

from kdb.target.ctype import CType, Member
from kdb.errors import CmdError, ReadError
from kdb.output.formats import c_escape_byte
from kdb.modapi import DCMD_ERR, DCMD_USAGE, Call, Module, Opt
from kdb.numbers import numtostr, signed

module = Module("kdb", builtin=True)


def _type_words(args: list[Any]) -> tuple[str, list[Any]]:
    """The type name at the front of ``args``: struct/union/enum join the next word."""
    if not args:
        raise CmdError("expected a type name")
    words = [str(args[0])]
    rest = list(args[1:])
    if words[0] in ("struct", "union", "enum") and rest:
        words.append(str(rest.pop(0)))
    while rest and isinstance(rest[0], str) and set(rest[0]) <= {"*"}:
        words.append(rest.pop(0))
    return " ".join(words), rest


def typedef_refusal(defn: str, kind_only: bool = False) -> str | None:
    """What mdb's ::typedef refuses in a struct or union definition, in its
    words (mdb_typedef.c typedef_parse, typedef_parse_member and
    typedef_validate), or None. kdb's own parser then reads the definition
    (it also knows bit-fields and function pointers, which mdb's does not)."""
    text = defn.strip()
    head, sp, rest = text.partition(" ")
    if not sp:
        return ("Invalid structure definition. Structure must start with either "
                "'struct {' or 'union {'")
    if head not in ("struct", "union"):
        return f"Invalid start of definition. Expected 'struct' or 'union'. Found: '{head}'"
    rest = rest.lstrip(" ")
    brace = rest.find("{")
    if brace < 0:
        return f"Missing opening brace for {head} definition. Expected '{{'. Found: '{rest[:1]}'"
    body = rest[brace + 1:].lstrip(" ")
    if not body.endswith("}"):
        return f"Missing closing brace for {head} declaration. Expected '}}'."
    body = body[:-1]
    members: list[tuple[str, int | None]] = []        # name, array length (None: not an array)
    while True:
        semi = body.find(";")
        if semi < 0:
            return "Cannot find semi-colon to delineate the end of a member."
        member, body = body[:semi], body[semi + 1:]
        space = member.rfind(" ")
        if space < 0:
            return f"Missing both a name and a type declaration for a member. Instead, found '{member}'"
        name = member[space + 1:].lstrip("*")
        length: int | None = None
        if "[" in name:
            name, _, sub = name.partition("[")
            if "]" not in sub:
                return f"Found the beginning of an array size but no closing ']' in [{sub}"
            sub = sub.partition("]")[0].strip()
            try:
                length = int(sub, 0) if sub else 0
            except ValueError:
                length = None if sub else 0
            if length is not None and length < 0:
                return "Array lengths cannot be negative"
        if not name or not (name[0] == "_" or name[0].isalpha()) or not all(
                c == "_" or c.isalnum() for c in name) or not name.isascii():
            if ":" not in member and "(" not in member:      # kdb's own extensions
                return f"The name {name} is not a valid C identifier."
        members.append((name, length))
        body = body.lstrip(" ")
        if not body:
            break
    seen: set[str] = set()
    for i, (name, length) in enumerate(members):
        if name in seen:
            return f"duplicate name detected: {name}"
        seen.add(name)
        if length == 0:
            if head != "struct":
                return "Flexible array members are only valid in structs."
            if i != len(members) - 1:
                return "Flexible array entries are only allowed to be the last entry in a struct"
            if i == 0:
                return "Structs must have members aside from a flexible member"
    return None


@module.dcmd("typedef", "[name]", "create synthetic types",
             help="Create types: '::typedef -c lp64' makes the intrinsic types of a data\n"
                  "model (lp64, ilp32, lp32); '::typedef \"struct s { int a; }\" s_t' declares a\n"
                  "struct and names it; '::typedef oldtype newname' adds a name for a type.",
             options=[Opt("c", str, "create the intrinsic types of a data model", arg="model",
                          group="form", usage="[-c model | -d | -l | definition]"),
                      Opt("d", bool, "delete all synthetic types", group="form", usage=""),
                      Opt("l", bool, "list synthetic types", group="form", usage="")])
def typedef(call: Call) -> int | None:
    ts = call.session.types
    o = call.opts
    args = [str(a) for a in call.args]
    if (o["c"] is not None or o["d"] or o["l"]) and args:
        return DCMD_USAGE
    try:
        if o["c"] is not None:
            # mdb_typedef.c typedef_create: "invalid data model" is a usage
            # error; the intrinsic types can be made once
            if o["c"].lower() not in ("lp64", "ilp32", "lp32"):
                call.printf("invalid data model: %s\n", o["c"])
                return DCMD_USAGE
            if call.session.extensions.get("typedef_base"):
                call.printf("failed to create intrinsic types, maybe they already exist\n")
                return DCMD_ERR
            ts.set_model(o["c"], host_pointers=True)
            call.session.extensions["typedef_base"] = True
            return None
        if o["l"]:
            for name in ts.order:
                call.printf("%s\n", ts.types[name].name if name.startswith(("struct ", "union ", "enum "))
                            else name)
            return None
        if o["d"]:
            ts.delete_synthetic()
            call.session.extensions["typedef_base"] = False
            return None
        if not args or len(args) > 2:
            return DCMD_USAGE
        if ts.model is None:
            raise CmdError("no data model set: use ::typedef -c lp64 first")
        if "{" in args[0] or args[0].startswith("typedef "):
            refusal = typedef_refusal(args[0]) if "{" in args[0] and len(args) == 2 else None
            if refusal is not None:
                call.printf("%s\n", refusal)
                return DCMD_ERR
            ts.declare(args[0], args[1] if len(args) == 2 else None)
        else:
            if len(args) != 2:
                return DCMD_USAGE
            ts.typedef(args[0], args[1])
    except CmdError as e:
        # mdb prints ::typedef's errors on stdout and fails the dcmd
        call.printf("%s\n", e.message)
        return DCMD_ERR
    return None


@module.dcmd("sizeof", "type", "print the size of a type",
             help="Print the size of the type in bytes: sizeof (TYPE) = N.\n"
                  "Into a pipe, just the size.")
def sizeof(call: Call) -> int | None:
    if call.addrspec or not call.args:
        return DCMD_USAGE
    name, rest = _type_words(call.args)
    if rest:
        return DCMD_USAGE
    t = call.session.types.lookup(name)
    if call.pipe_out:
        call.printf("%#lr\n", t.size)
    else:
        call.printf("sizeof (%s) = %#lr\n", name, t.size)
    return None


@module.dcmd("offsetof", "type member", "print the offset of a given struct or union member",
             help="Print the offset of a member (with its bit offset for bit-fields) and\n"
                  "its size: offsetof (TYPE, MEMBER) = OFF, sizeof (...->MEMBER) = SIZE.")
def offsetof(call: Call) -> int | None:
    if call.addrspec or len(call.args) < 2:
        return DCMD_USAGE
    name, rest = _type_words(call.args)
    if len(rest) != 1:
        return DCMD_USAGE
    t = call.session.types.lookup(name)
    path = str(rest[0])
    m = _member_path(t, path)
    if m is None:
        raise CmdError(f"failed to find member {path} of type {name}: no such member of structure or union")
    # mdb_print.c cmd_offsetof: the offset in bits, printed as bytes and,
    # for a bit-field not on a byte boundary, ".bits"
    bits = m.offset * 8 + (m.bit_offset or 0 if m.bit_size is not None else 0)
    if call.pipe_out:
        if bits % 8:
            raise CmdError(f"member {path} of type {name} is not byte-aligned")
        call.printf("%#lr", bits // 8)
        return None
    call.printf("offsetof (%s, %s) = %#lr", name, path, bits // 8)
    if bits % 8:
        call.printf(".%lr", bits % 8)
    size = m.type.resolve().size if m.bit_size is None else (m.bit_size + 7) // 8
    if size > 0:
        call.printf(", sizeof (...->%s) = %#lr", path, size)
    call.printf("\n")
    return None


def _member_path(t: CType, path: str) -> Member | None:
    offset = 0
    cur = t
    m = None
    for part in path.split("."):
        m = cur.member(part)
        if m is None:
            return None
        offset += m.offset
        cur = m.type
    assert m is not None
    return Member(m.name, m.type, offset, m.bit_offset, m.bit_size)


# ---------------------------------------------------------------------------
# ::print
# ---------------------------------------------------------------------------
class Printer:
    """Renders a typed value the way mdb's ::print does."""

    def __init__(self, call: Call, o: dict[str, Any]) -> None:
        self.call = call
        self.s = call.session
        self.o = o
        self.str_limit = o["c"] if o["c"] is not None else 1024
        self.arr_limit = o["l"] if o["l"] is not None else 32
        self.depth = o["s"] if o["s"] is not None else 1 << 30

    def read(self, addr: int, size: int) -> bytes:
        return self.s.target.read(addr, size)

    def scalar(self, t: CType, addr: int, m: Member | None = None) -> str:
        r = t.resolve()
        if m is not None and m.bit_size is not None:
            unit = r.size
            word = int.from_bytes(self.read(addr, unit), "little")
            v = (word >> m.bit_offset) & ((1 << m.bit_size) - 1)
            if r.signed and v >> (m.bit_size - 1):
                v -= 1 << m.bit_size
                return numtostr(v, 10, showbase=True)
            return f"{v:#x}" if v else "0"
        raw = self.read(addr, r.size)
        v = int.from_bytes(raw, "little")
        if r.kind == "pointer":
            if self.o["n"]:
                return f"{v:#x}" if v else "0"
            text = self.s.addr2str(v) or (f"{v:#x}" if v else "0")
            tgt = r.target.resolve() if r.target else None
            if v and tgt is not None and tgt.kind == "int" and tgt.size == 1:
                try:
                    s = self.s.target.read_string(v, self.str_limit)
                    if all(0x20 <= b < 0x7F for b in s):
                        text += f' "{s.decode("ascii")}"'
                except ReadError:
                    pass
            return text
        if r.kind == "enum":
            return self.enum(r, signed(v, 32))
        if r.kind == "float":
            f = struct.unpack("<d" if r.size == 8 else "<f", raw)[0]
            return f"{f:+.7e}"
        if r.kind == "int" and r.size == 1 and t.resolve().name in ("char", "signed char"):
            return "'" + c_escape_byte(v) + "'"
        if self.o["d"]:
            n = signed(v, 8 * r.size) if r.signed else v
            return numtostr(n, 10, showbase=True)
        # print_int_val: "%#x"/"%#llx" of the bytes as read, signed or not
        return f"{v:#x}" if v else "0"

    def enum(self, r: CType, value: int) -> str:
        """print_enum (illumos mdb_print.c): the value, ``%#d`` (``%#x`` for an
        enum of single bits, or with -x), then `` (NAME)``, ``???`` when no
        enumerator has it; the OpenSolaris era's mdb printed the name alone
        (the value when none matched), as the team's mdb reference gives it."""
        name = next((n for n, val in r.enumerators if val == value), None)
        if self.s.target.era == "opensolaris":
            return name if name is not None else str(value)
        bits = [val for _, val in r.enumerators]
        p2 = bool(bits) and all(b == 0 or b & (b - 1) == 0 for b in bits) and any(bits)
        if p2 or self.o["x"]:
            num = f"{value & 0xFFFFFFFF:#x}" if value else "0"
        else:
            num = numtostr(value, 10, showbase=True)
        return f"{num} ({name if name is not None else '???'})"

    def array(self, t: CType, addr: int) -> str:
        r = t.resolve()
        elem = r.target.resolve() if r.target else None
        count = r.count or 0
        if elem is not None and elem.kind == "int" and elem.size == 1:
            raw = self.read(addr, min(count, self.str_limit))
            end = raw.find(b"\0")
            text = raw if end < 0 else raw[:end]
            if all(0x20 <= b < 0x7F for b in text):
                return f'[ "{text.decode("ascii")}" ]'
        n = min(count, self.arr_limit)
        items = [self.scalar(r.target, addr + i * elem.size) for i in range(n)] \
            if elem is not None and r.target is not None else []
        more = ", ..." if count > n else ""
        return "[ " + ", ".join(items) + more + " ]"

    def type_prefix(self, t: CType, m: Member | None) -> str:
        if not self.o["t"]:
            return ""
        name = t.name
        if m is not None and m.bit_size is not None:
            name = f"{t.resolve().name}:{m.bit_size}"
        return name if name.endswith("*") else name + " "

    def member_line(self, t: CType, addr: int, label: str, indent: int, m: Member | None) -> None:
        call = self.call
        pad = " " * indent
        if self.o["t"] and m is not None and m.bit_size is not None:
            label = f"{label} :{m.bit_size}"
        prefix = f"{addr:x} " if self.o["a"] else ""
        r = t.resolve()
        tp = self.type_prefix(t, m)
        if r.kind in ("struct", "union") and indent // 4 < self.depth:
            call.printf("%s%s%s%s = {\n", pad, prefix, tp, label)
            self.members(r, addr, indent + 4)
            call.printf("%s}\n", pad)
        elif r.kind == "array":
            call.printf("%s%s%s%s = %s\n", pad, prefix, tp, label, self.array(t, addr))
        else:
            call.printf("%s%s%s%s = %s\n", pad, prefix, tp, label, self.scalar(t, addr, m))

    def members(self, t: CType, addr: int, indent: int) -> None:
        for m in t.resolve().members:
            label = m.name if m.name is not None else "<anon>"
            self.member_line(m.type, addr + m.offset, label, indent, m)

    def layout(self, t: CType, indent: int, base: int) -> None:
        """``-a`` without an address: offsets and types, no values."""
        for m in t.resolve().members:
            tp = self.type_prefix(m.type, m) if self.o["t"] else ""
            label = m.name if m.name is not None else "<anon>"
            if self.o["t"] and m.bit_size is not None:
                label = f"{label} :{m.bit_size}"
            self.call.printf("%s%x %s%s \n", " " * indent, base + m.offset, tp, label)
            r = m.type.resolve()
            if r.kind in ("struct", "union") and r.members:
                self.layout(m.type, indent + 4, base + m.offset)


_PATH = re.compile(r"(\.|->|\[)?([A-Za-z_]\w*|\d+\]?)")


@module.dcmd("print", "?[type] [member ...]", "print the contents of a data structure",
             help="Print the structure at the address as the given type (or the type of\n"
                  "the symbol there), or only the named members: a, a.b, a[2], a->b.\n"
                  "Without an address, -a shows the layout: offsets and types.",
             options=[Opt("a", bool, "show each member's address"),
                      Opt("d", bool, "decimal integers"),
                      Opt("n", bool, "pointers as numbers, no symbols"),
                      Opt("t", bool, "show each member's type"),
                      Opt("x", bool, "hexadecimal integers"),
                      Opt("c", int, "string limit (1024)", arg="lim"),
                      Opt("l", int, "array limit (32)", arg="lim"),
                      Opt("s", int, "nesting depth to expand", arg="depth")])
def print_(call: Call) -> int | None:
    s = call.session
    # mdb's -C -h -i -L -p -T are not implemented: they are refused, not ignored
    o, rest = call.opts, call.args
    addr = call.addr
    # mdb_print.c cmd_print: the type may be omitted when the address is a
    # symbol whose type is known; a first word that names no type is then
    # the first member
    if rest and isinstance(rest[0], str) and rest[0][:1] in ("+", "-"):
        return DCMD_USAGE
    if rest:
        try:
            tname, members = _type_words(rest)
            t = s.types.lookup(tname)
        except CmdError:
            inferred = _symbol_type(call, addr) if call.addrspec else None
            if inferred is None:
                raise
            t, members = inferred, list(rest)
    else:
        if not call.addrspec:
            return DCMD_USAGE
        found = s.target.lookup_by_addr(addr)
        if found is None or found[1] != addr:
            raise CmdError(f"no symbol information for {s.addr2str(addr) or f'{addr:x}'}")
        inferred = _symbol_type(call, addr)
        if inferred is None:
            raise CmdError(f"no type data available for {found[0]} [{_symbol_index(call, found[0])}]")
        t, members = inferred, []
    p = Printer(call, o)
    if not call.addrspec and o["a"]:
        call.printf("0 %s {\n", t.name)
        p.layout(t, 4, 0)
        call.printf("}\n")
        return None
    try:
        if members:
            for path in members:
                mt, maddr, m = _resolve_path(s, t, addr, str(path))
                if call.pipe_out:
                    v = int.from_bytes(s.target.read(maddr, max(1, min(8, mt.resolve().size))), "little")
                    call.printf("%#lr\n", v)
                    continue
                p.member_line(mt, maddr, str(path), 0, m)
        elif call.pipe_out:
            call.printf("%#lr\n", addr)
        else:
            r = t.resolve()
            s.target.read(addr, max(1, r.size))    # all of it readable, or nothing printed
            prefix = f"{addr:x} " if o["a"] else ""
            if r.kind in ("struct", "union"):
                call.printf("%s%s{\n", prefix, (t.name + " ") if o["t"] else "")
                p.members(t, addr, 4)
                call.printf("}\n")
            elif r.kind == "array":
                call.printf("%s%s\n", prefix, p.array(t, addr))
            else:
                call.printf("%s%s%s\n", prefix, p.type_prefix(t, None), p.scalar(t, addr))
    except ReadError as e:
        raise CmdError(f"failed to read {t.name} at {e.addr:x}: {e.reason}") from None
    s.dot = addr + t.size
    return None


def _symbol_type(call: Call, addr: int) -> CType | None:
    """The type of the symbol exactly at ``addr``, if the target knows it."""
    s = call.session
    found = s.target.lookup_by_addr(addr)
    if found is None or found[1] != addr:
        return None
    name = s.target.symbol_type(found[0])
    return s.types.lookup(name) if name is not None else None


def _symbol_index(call: Call, name: str) -> int:
    """The symbol's index in the symbol table (mdb_syminfo_t sym_id)."""
    names = call.session.target.symbol_names()
    return names.index(name) if name in names else 0


def _index(text: str) -> int:
    """An array index in a member path: decimal, or 0x/0o/0b-prefixed."""
    try:
        return int(text, 0) if len(text) <= 40 else int("x")
    except ValueError:
        try:
            return int(text, 10)
        except ValueError:
            raise CmdError(f"invalid array index '{text}'") from None


def _resolve_path(s: Any, t: CType, addr: int, path: str) -> tuple[CType, int, Member | None]:
    """Follow a member path (a.b, a[2], a->b) from a structure at ``addr``."""
    cur, a, m = t, addr, None
    pos = 0
    first = True
    while pos < len(path):
        mm = _PATH.match(path, pos)
        if not mm:
            raise CmdError(f"invalid member path: {path}")
        sep, word = mm.group(1), mm.group(2)
        pos = mm.end()
        if sep == "[":
            idx = _index(word.rstrip("]"))
            r = cur.resolve()
            if r.kind == "pointer":
                a = int.from_bytes(s.target.read(a, 8), "little")
            elif r.kind != "array":
                raise CmdError(f"{path}: not an array or pointer")
            elem = r.target
            assert elem is not None        # arrays and pointers have a target type
            a += idx * elem.resolve().size
            cur, m = elem, None
            continue
        if sep == "->":
            r = cur.resolve()
            if r.kind != "pointer":
                raise CmdError(f"{path}: not a pointer")
            a = int.from_bytes(s.target.read(a, 8), "little")
            assert r.target is not None
            cur = r.target
        elif sep is None and not first:
            raise CmdError(f"invalid member path: {path}")
        found = cur.member(word)
        if found is None:
            raise CmdError(f"failed to find member {word} of {cur.name}: "
                           "no such member of structure or union")
        a += found.offset
        cur, m = found.type, found
        first = False
    return cur, a, m


@module.dcmd("list", "?type member [variable]", "walk list using member as link pointer",
             help="Follow a linked list from the address: print each element's address\n"
                  "and follow the pointer at the member's offset, until NULL or back at\n"
                  "the start (a cycle is reported, not followed forever).")
def list_(call: Call) -> int | None:
    s = call.session
    if not call.addrspec or len(call.args) < 1:
        return DCMD_USAGE
    args = list(call.args)
    if len(args) == 1 and not isinstance(args[0], str):
        offset = int(args[0])
        var = None
    else:
        tname, rest = _type_words(args)
        if not rest:
            return DCMD_USAGE
        t = s.types.lookup(tname)
        m = _member_path(t, str(rest[0]))
        if m is None:
            raise CmdError(f"failed to find member {rest[0]} of {tname}: "
                           "no such member of structure or union")
        offset = m.offset
        var = str(rest[1]) if len(rest) > 1 else None
    addr = call.addr
    seen: set[int] = set()
    while addr and addr not in seen:
        seen.add(addr)
        if call.pipe_out:
            call.push(addr, var)
        else:
            if var:
                s.vars[var] = addr
            call.printf("%lr\n", addr)
        try:
            addr = int.from_bytes(s.target.read(addr + offset, 8), "little")
        except ReadError as e:
            raise CmdError(f"failed to read list element at {e.addr:x}: {e.reason}") from None
        if addr == call.addr:
            break
    if addr in seen and addr != call.addr:
        call.warn(f"list cycle detected at {addr:x}")
    return None


@module.dcmd("array", "?[type count] [variable]", "print each array element's address",
             help="Print the address of each of count elements of type from the address.")
def array(call: Call) -> int | None:
    s = call.session
    if not call.addrspec or len(call.args) < 2:
        return DCMD_USAGE
    tname, rest = _type_words(call.args)
    if not rest:
        return DCMD_USAGE
    t = s.types.lookup(tname)
    count = s.arg_to_int(rest[0])
    for i in range(count):
        a = call.addr + i * t.size
        if call.pipe_out:
            call.push(a)
        else:
            call.printf("%lr\n", a)
    return None
