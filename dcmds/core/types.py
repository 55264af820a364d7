"""C types and typed memory: ``::typedef``, ``::sizeof``, ``::offsetof``,
``::print``, ``::list`` and ``::array`` (docs/types.md)."""

from __future__ import annotations

from typing import Any

from kdb.target.ctype import CType, Member
from kdb.errors import CmdError, ReadError
from kdb.modapi import DCMD_ERR, DCMD_USAGE, Call, Module, Opt

from . import ctfprint as cp

module = Module("kdb", builtin=True)


def _type_words(args: list[Any]) -> tuple[str, list[Any]]:
    """The type name at the front of ``args``: struct/union/enum join the next word."""
    if not args:
        raise CmdError("expected a type name")
    words = [str(args[0])]
    rest = list(args[1:])
    if words[0] in ("struct", "union", "enum"):
        if not rest:        # mdb_print.c args_to_typename
            raise CmdError(f"{words[0]} is not a valid type")
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
@module.dcmd("print", "?[type] [member ...]", "print the contents of a data structure",
             help="Print the structure at the address as the given type (or the type of\n"
                  "the symbol there), or only the named members: a, a.b, a[2], a->b.\n"
                  "type may be omitted if the C type of addr can be inferred.\n"
                  "Offsets must use the $[ expression ] syntax.",
             options=[Opt("a", bool, "show address of object"),
                      Opt("C", bool, "unlimit the length of character arrays"),
                      Opt("c", int, "limit the length of character arrays", arg="lim"),
                      Opt("d", bool, "output values in decimal"),
                      Opt("h", bool, "print holes in structures"),
                      Opt("i", bool, "interpret address as data of the given type"),
                      Opt("L", bool, "unlimit the length of standard arrays"),
                      Opt("l", int, "limit the length of standard arrays", arg="lim"),
                      Opt("n", bool, "don't print pointers as symbol offsets"),
                      Opt("p", bool, "interpret address as a physical memory address"),
                      Opt("s", int, "limit the recursion depth", arg="depth"),
                      Opt("T", bool, "show type and <<base type>> of object"),
                      Opt("t", bool, "show type of object"),
                      Opt("x", bool, "output values in hexadecimal")])
def print_(call: Call) -> int | None:
    """mdb_print.c cmd_print, on the engine in ctfprint.py."""
    s = call.session
    o, rest = call.opts, call.args
    addr = call.addr
    flags = cp.PA_SHOWVAL if call.addrspec else 0
    for letter, bit in (("a", cp.PA_SHOWADDR), ("d", cp.PA_INTDEC), ("h", cp.PA_SHOWHOLES),
                        ("n", cp.PA_NOSYMBOLIC), ("t", cp.PA_SHOWTYPE), ("x", cp.PA_INTHEX)):
        if o[letter]:
            flags |= bit
    if o["T"]:
        flags |= cp.PA_SHOWTYPE | cp.PA_SHOWBASETYPE
    if flags & cp.PA_INTHEX:
        flags &= ~cp.PA_INTDEC              # -x and -d are mutually exclusive
    flags |= cp.PA_SHOWNAME
    if o["p"] and o["i"]:
        raise CmdError("-p and -i options are incompatible")
    # the type may be omitted when the address is a symbol whose type is
    # known; a first word that names no type is then the first member
    if rest and isinstance(rest[0], str) and rest[0][:1] in ("+", "-"):
        return DCMD_USAGE
    if rest and isinstance(rest[0], str):
        try:
            tname, members = _type_words(rest)
            t = s.types.lookup(tname)
        except CmdError:
            inferred = _symbol_type(call, addr) if call.addrspec and not o["i"] else None
            if inferred is None:
                raise
            t, members = inferred, list(rest)
    elif not call.addrspec or o["i"]:
        return DCMD_USAGE
    else:
        found = s.target.lookup_by_addr(addr)
        if found is None or found[1] != addr:
            raise CmdError(f"no symbol information for {s.addr2str(addr) or f'{addr:#x}'}")
        inferred = _symbol_type(call, addr)
        if inferred is None:
            raise CmdError(f"no type data available for {found[0]} [{_symbol_index(call, found[0])}]")
        t, members = inferred, list(rest)

    def real_read(a: int, n: int) -> bytes:
        if o["p"]:                      # kdb's dumps hold no physical memory
            raise ReadError(a)
        return s.target.read(a, n)

    read = cp.immediate_reader(s.dot, t.size) if o["i"] else real_read
    pa = cp.PrintArgs(read, real_read, s.addr2str, call.out.write, call.warn, s.target.era,
                      0 if o["i"] or not call.addrspec else addr, flags,
                      cp.NOLIMIT if o["L"] else (o["l"] if o["l"] is not None else 32),
                      cp.NOLIMIT if o["C"] else (o["c"] if o["c"] is not None else 1024),
                      maxdepth=o["s"] if o["s"] is not None else 1 << 30, immediate=bool(o["i"]))
    try:
        if members:
            base_addr, base_read, base_imm = pa.addr, pa.read, pa.immediate
            for m in members:
                if isinstance(m, str):
                    mt, off, last_deref, member = cp.parse_member(pa, m, t, call.warn)
                    kind = mt.resolve().kind
                    label = m
                    if last_deref and kind in ("struct", "union"):
                        label, pa.suffix = m[:m.rindex("[")], "->"
                    else:
                        pa.suffix = "." if kind in ("struct", "union") else ""
                    pa.prefix = label
                else:
                    mt, off, member = _offset_member(t, int(m))
                    pa.addr += int(m) - off // 8
                    pa.prefix, pa.suffix = (member.name if member else ""), "."
                off %= 8
                if call.pipe_out:
                    call.printf("%#lr\n", cp.pipe_value(pa, mt, off, member))
                elif off:
                    cp.elt_print("", mt, off, 0, member, pa)
                else:
                    cp.visit(mt, cp.elt_print, pa, member=member if member and member.bit_size else None)
                    for d in range(pa.depth - 1, -1, -1):
                        cp.close_sou(pa, d)
                pa.depth, pa.addr, pa.read, pa.immediate = 0, base_addr, base_read, base_imm
                pa.delim, pa.prefix = "\n", None
        elif call.pipe_out:
            call.printf("%#lr\n", cp.pipe_value(pa, t, 0, None))
        else:
            cp.visit(t, cp.elt_print, pa)
            for d in range(pa.depth - 1, -1, -1):
                cp.close_sou(pa, d)
    except ReadError as e:
        raise CmdError(f"failed to read {t.name} at {e.addr:x}: {e.reason}") from None
    s.dot = addr + t.size
    return None


def _offset_member(t: CType, off: int) -> tuple[CType, int, Member | None]:
    """mdb_ctf_offset_to_name: the member holding byte offset OFF, and the
    bits from the member's start to OFF."""
    for m in t.resolve().members:
        size = max(m.type.resolve().size, 1)
        if m.offset <= off < m.offset + size:
            return m.type, (off - m.offset) * 8, m
    raise CmdError(f"invalid offset {off:x}")


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
