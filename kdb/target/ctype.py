"""C types: a type system with LP64/ILP32 layout, and a C declaration parser.

Types are what mdb's CTF gives it: integers of every width, char, bool,
float and double, pointers, arrays (flexible ones too), structs and unions
laid out with natural alignment and padding, bit-fields, enums, typedefs and
anonymous members. :class:`TypeSystem` holds the types of a session; the
parser (:func:`TypeSystem.declare`) accepts the declarations ``::typedef``
and the dump's ``types`` section use::

    struct pair { uint32_t a; uint64_t b; char c[3]; }
    typedef unsigned long ulong_t
    union u { int i; char c[4]; }
    enum state { ON = 1, OFF }
"""

from __future__ import annotations

import re
from typing import Iterator

import attrs

from kdb.errors import CmdError

INT_NAMES = {
    # canonical name -> (size under LP64, size under ILP32, signed)
    "char": (1, 1, True), "signed char": (1, 1, True), "unsigned char": (1, 1, False),
    "short": (2, 2, True), "unsigned short": (2, 2, False),
    "int": (4, 4, True), "unsigned int": (4, 4, False),
    "long": (8, 4, True), "unsigned long": (8, 4, False),
    "long long": (8, 8, True), "unsigned long long": (8, 8, False),
    "_Bool": (1, 1, False),
}
FLOAT_NAMES = {"float": 4, "double": 8, "long double": 16}
STD_TYPEDEFS = [
    ("int8_t", "signed char"), ("uint8_t", "unsigned char"), ("int16_t", "short"),
    ("uint16_t", "unsigned short"), ("int32_t", "int"), ("uint32_t", "unsigned int"),
    ("int64_t", "long long"), ("uint64_t", "unsigned long long"), ("intptr_t", "long"),
    ("uintptr_t", "unsigned long"), ("size_t", "unsigned long"), ("ssize_t", "long"),
    ("off_t", "long"), ("boolean_t", "int"), ("uint_t", "unsigned int"), ("ulong_t", "unsigned long"),
    ("uchar_t", "unsigned char"), ("ushort_t", "unsigned short"), ("caddr_t", "char *"),
    ("pid_t", "int"), ("id_t", "int"), ("uid_t", "unsigned int"), ("gid_t", "unsigned int"),
    ("zoneid_t", "int"), ("processorid_t", "int"), ("major_t", "unsigned int"),
    ("dev_t", "unsigned long"), ("time_t", "long"), ("clock_t", "long"), ("hrtime_t", "long long"),
    ("pri_t", "short"), ("bool", "_Bool"), ("u_int", "unsigned int"), ("u_long", "unsigned long"),
    ("longlong_t", "long long"), ("u_longlong_t", "unsigned long long"), ("ptrdiff_t", "long"),
]
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def valid_identifier(name: str) -> bool:
    return bool(_IDENT.match(name))


@attrs.define(slots=True, eq=False)
class Member:
    """A struct or union member; ``name`` is None for an anonymous member."""

    name: str | None
    type: "CType"
    offset: int                  # bytes
    bit_offset: int = 0          # within the byte at ``offset``, for bit-fields
    bit_size: int | None = None


#: the most levels of pointer one declarator may have (kernel code uses 3)
MAX_POINTER_DEPTH = 32


@attrs.define(slots=True, eq=False)
class CType:
    """One C type."""

    kind: str                    # int float void pointer array struct union enum typedef func
    name: str                    # as printed: "int", "struct pair", "pair_t", "char *"
    size: int
    align: int
    signed: bool = False
    target: "CType | None" = None   # pointee, element, typedef's type
    count: int | None = None        # array length (None: flexible)
    members: list[Member] = attrs.Factory(list)
    enumerators: list[tuple[str, int]] = attrs.Factory(list)
    complete: bool = True
    synthetic: bool = False         # created by ::typedef

    def resolve(self) -> "CType":
        """Through typedefs to the underlying type."""
        t = self
        while t.kind == "typedef" and t.target is not None:
            t = t.target
        return t

    def member(self, name: str) -> Member | None:
        """A member by name, looking into anonymous members too."""
        for m in self.resolve().members:
            if m.name == name:
                return m
            if m.name is None:
                inner = m.type.resolve().member(name) if m.type.resolve().members else None
                if inner is not None:
                    return Member(inner.name, inner.type, m.offset + inner.offset, inner.bit_offset,
                                  inner.bit_size)
        return None


def pointer_name(target: CType) -> str:
    """libctf's name of a pointer to TARGET: ``char *``, ``void **``, and
    for functions ``int (*)()``, ``int (**)()``."""
    base = target.name
    if target.kind == "func":
        return base[:-2] + "(*)()"
    if "(*" in base and base.endswith(")"):
        return base.replace("(*", "(**", 1)
    return base + "*" if base.endswith("*") else base + " *"


class TypeSystem:
    """The C types of a session: intrinsics for a data model, tags and typedefs."""

    def __init__(self, model: str | None = "lp64") -> None:
        self.model: str | None = None
        self.types: dict[str, CType] = {}       # "int", "struct pair", "pair_t"
        self.order: list[str] = []              # synthetic types, in creation order
        if model:
            self.set_model(model)

    def fork(self) -> "TypeSystem":
        """A session's own view of these types: ``::typedef`` and
        ``::typedef -c`` in it change it alone (the CTypes are shared; the
        dump's own lookups keep the target's)."""
        other = TypeSystem(None)
        other.model = self.model
        if hasattr(self, "ptr_size"):
            other.ptr_size = self.ptr_size
        other.types = dict(self.types)
        other.order = list(self.order)
        return other

    # -- intrinsics ----------------------------------------------------------
    def set_model(self, model: str, *, host_pointers: bool = False) -> None:
        """The intrinsic types of data model MODEL: lp64, or ilp32 (which
        mdb also accepts as lp32: mdb_typedef.c typedef_create maps both to
        SYNTHETIC_ILP32, int and long 4 bytes). HOST_POINTERS: pointers
        keep 8 bytes whatever the model, as in mdb's synthetic CTF
        container, which takes the debugger's own (LP64) data model."""
        m = model.lower()
        if m not in ("lp64", "ilp32", "lp32"):
            raise CmdError(f"invalid data model: {model}")
        self.model = m
        lp64 = m == "lp64"
        self.ptr_size = 8 if lp64 or host_pointers else 4
        for name, (s64, s32, signed) in INT_NAMES.items():
            size = s64 if lp64 else s32
            self.types[name] = CType("int", name, size, size, signed)
        for name, size in FLOAT_NAMES.items():
            self.types[name] = CType("float", name, size, min(size, 8 if lp64 else 4))
        self.types["void"] = CType("void", "void", 0, 1)
        for alias, base in STD_TYPEDEFS:
            self.types[alias] = CType("typedef", alias, 0, 1, target=self.lookup(base))
            self._fix_typedef(self.types[alias])

    def _fix_typedef(self, t: CType) -> None:
        r = t.resolve()
        t.size, t.align, t.signed = r.size, r.align, r.signed

    # -- lookup ----------------------------------------------------------------
    def lookup(self, name: str) -> CType:
        """A type by C name: ``int``, ``unsigned long``, ``struct proc``, ``proc_t *``, ``char [3]``."""
        t = self.find(name)
        if t is None:
            raise CmdError(f"failed to look up type {name.strip()}: unknown type name"
                           if self.model else f"failed to look up type {name.strip()}: no symbolic "
                           "debug information available for module")
        return t

    def find(self, name: str) -> CType | None:
        text = " ".join(name.replace("*", " * ").split())
        stars = 0
        while text.endswith("*"):
            stars += 1
            text = text[:-1].strip()
        dims: list[int] = []
        while text.endswith("]") and "[" in text:
            i = text.rindex("[")
            try:
                dims.insert(0, int(text[i + 1:-1], 0) if text[i + 1:-1].strip() else -1)
            except ValueError:
                raise CmdError(f"failed to look up type {text.strip()}: invalid array length") from None
            text = text[:i].strip()
        inner = 0                   # "cpu_t *[4]": an array of pointers
        while text.endswith("*"):
            inner += 1
            text = text[:-1].strip()
        base = self.types.get(self._canonical(text))
        if base is None:
            return None
        for _ in range(inner):
            base = self.pointer_to(base)
        for d in reversed(dims):
            base = self.array_of(base, None if d < 0 else d)
        for _ in range(stars):
            base = self.pointer_to(base)
        return base

    @staticmethod
    def _canonical(text: str) -> str:
        words = text.split()
        if not words:
            return ""
        if words[0] in ("struct", "union", "enum"):
            return " ".join(words[:2])
        signed = "unsigned" if "unsigned" in words else ("signed" if "signed" in words else None)
        core = [w for w in words if w not in ("unsigned", "signed", "const", "volatile")]
        if core == ["long", "int"] or core == ["int", "long"]:
            core = ["long"]
        if core in (["long", "long", "int"],):
            core = ["long", "long"]
        if core == ["short", "int"]:
            core = ["short"]
        if not core and signed:
            core = ["int"]
        name = " ".join(core)
        if signed == "unsigned":
            return "unsigned " + name
        if signed == "signed" and name == "char":
            return "signed char"
        return name

    def pointer_to(self, t: CType) -> CType:
        return CType("pointer", pointer_name(t), self.ptr_size, self.ptr_size, target=t)

    def array_of(self, t: CType, count: int | None) -> CType:
        if count is not None and count < 0:
            raise CmdError("Array lengths cannot be negative")
        # libctf's type names: "char [17]", but "void *[4]" after a pointer
        sep = "" if t.name.endswith("*") else " "
        name = f"{t.name}{sep}[{'' if count is None else count}]"
        return CType("array", name, (count or 0) * t.size, t.align, target=t, count=count)

    # -- declarations ---------------------------------------------------------
    def add(self, name: str, t: CType, *, synthetic: bool = True, replace: bool = False) -> None:
        if name in self.types and not replace:
            raise CmdError(f"typedef name {name} already exists")
        self.types[name] = t
        t.synthetic = t.synthetic or synthetic
        if synthetic and name not in self.order:
            self.order.append(name)

    def typedef(self, old: str, new: str) -> CType:
        """``::typedef oldtype newname``."""
        if not valid_identifier(new):
            raise CmdError(f"The name {new} is not a valid C identifier.")
        if new in self.types:
            raise CmdError(f"typedef name {new} already exists")
        base = self.lookup(old)
        t = CType("typedef", new, base.size, base.align, base.resolve().signed, target=base)
        self.add(new, t)
        return t

    def declare(self, text: str, name: str | None = None, *, synthetic: bool = True) -> CType:
        """Parse one C declaration (a struct/union/enum or a typedef)."""
        p = _DeclParser(self, text, synthetic)
        t = p.parse_top()
        if name is not None:
            if not valid_identifier(name):
                raise CmdError(f"The name {name} is not a valid C identifier.")
            if name in self.types:
                raise CmdError(f"typedef name {name} already exists")
            td = CType("typedef", name, t.size, t.align, t.signed, target=t)
            self.add(name, td, synthetic=synthetic)
            return td
        return t

    def delete_synthetic(self) -> None:
        for name in self.order:
            self.types.pop(name, None)
        self.order.clear()

    # -- layout ------------------------------------------------------------------
    def layout(self, kind: str, tag: str | None, members: list[tuple[str | None, CType, int | None]]) -> CType:
        """Lay out a struct or union with natural alignment, padding and bit-fields."""
        out: list[Member] = []
        offset_bits = 0
        align = 1
        seen: set[str] = set()
        for mname, mtype, bits in members:
            if mname is not None:
                if mname in seen:
                    raise CmdError(f"duplicate name detected: {mname}")
                seen.add(mname)
            r = mtype.resolve()
            inner = r
            while inner.kind == "array" and inner.target is not None:
                inner = inner.target.resolve()
            if inner.kind in ("struct", "union") and not inner.complete:
                # C forbids it, and a struct holding itself would have no size
                raise CmdError(f"member {mname or '<anonymous>'} has incomplete type {inner.name}")
            if bits is not None and (r.kind not in ("int", "enum", "bool") or r.size < 1
                                     or bits < 0 or bits > r.size * 8):
                # C: a bit-field is of an integer type, and no wider than it
                raise CmdError(f"invalid bit-field {mname or '<anonymous>'}: {bits} bits of "
                               f"{mtype.name}")
            a = max(1, r.align)
            align = max(align, a)
            if kind == "union":
                if bits is not None:
                    out.append(Member(mname, mtype, 0, 0, bits))
                else:
                    out.append(Member(mname, mtype, 0))
                continue
            if bits is not None:
                unit = r.size * 8
                start_unit = (offset_bits // unit) * unit
                if bits == 0:
                    offset_bits = start_unit + (unit if offset_bits % unit else 0)
                    continue
                if offset_bits + bits > start_unit + unit:
                    offset_bits = start_unit + unit
                out.append(Member(mname, mtype, offset_bits // 8, offset_bits % 8, bits))
                offset_bits += bits
                continue
            byte = (offset_bits + 7) // 8
            byte = (byte + a - 1) // a * a
            out.append(Member(mname, mtype, byte))
            offset_bits = (byte + r.size) * 8
        if kind == "union":
            size = max((m.type.resolve().size if m.bit_size is None else (m.bit_size + 7) // 8)
                       for m in out) if out else 0
        else:
            size = (offset_bits + 7) // 8
        size = (size + align - 1) // align * align
        name = f"{kind} {tag}" if tag else f"{kind} <anon>"
        return CType(kind, name, size, align, members=out)


_TOKEN = re.compile(r"\s*(?:(0[xX][0-9a-fA-F]+|-?\d+)|([A-Za-z_]\w*)|(.))")


class _DeclParser:
    """A small recursive-descent parser for C declarations."""

    def __init__(self, ts: TypeSystem, text: str, synthetic: bool) -> None:
        self.ts = ts
        self.synthetic = synthetic
        self.toks = [(m.group(1), m.group(2), m.group(3)) for m in _TOKEN.finditer(text)
                     if any(m.groups())]
        self.i = 0

    def peek(self) -> str | None:
        if self.i >= len(self.toks):
            return None
        num, ident, punct = self.toks[self.i]
        return num or ident or punct

    def take_number(self, what: str) -> int:
        """The next token as a C integer (decimal, 0x or 0 octal)."""
        tok = self.take()
        try:
            return int(tok, 0)
        except ValueError:
            raise CmdError(f"syntax error: {what} {tok!r} is not a number") from None

    def take(self) -> str:
        t = self.peek()
        if t is None:
            raise CmdError("syntax error: unexpected end of declaration")
        self.i += 1
        return t

    def expect(self, text: str) -> None:
        got = self.take()
        if got != text:
            raise CmdError(f"syntax error: expected '{text}' near '{got}'")

    def parse_top(self) -> CType:
        if self.peek() == "typedef":
            self.take()
            base = self.base_type()
            name, t, _ = self.declarator(base)
            if name is None:
                raise CmdError("syntax error: typedef needs a name")
            if not valid_identifier(name):
                raise CmdError(f"The name {name} is not a valid C identifier.")
            self._end()
            td = CType("typedef", name, t.size, t.align, t.resolve().signed, target=t)
            self.ts.add(name, td, synthetic=self.synthetic)
            return td
        t = self.base_type()
        self._end()
        return t

    def _end(self) -> None:
        if self.peek() == ";":
            self.take()
        if self.peek() is not None:
            raise CmdError(f"syntax error near '{self.peek()}'")

    def base_type(self) -> CType:
        words: list[str] = []
        while True:
            t = self.peek()
            if t in ("const", "volatile", "static", "extern", "register"):
                self.take()
                continue
            if t in ("struct", "union", "enum"):
                return self.tagged()
            if t in ("unsigned", "signed", "short", "long", "int", "char", "float", "double",
                     "void", "_Bool"):
                words.append(self.take())
                continue
            if not words and t is not None and valid_identifier(t):
                name = self.take()
                found = self.ts.types.get(name)
                if found is None:
                    raise CmdError(f"failed to look up type {name}: unknown type name")
                return found
            break
        if not words:
            raise CmdError(f"syntax error near '{self.peek()}'")
        name = self.ts._canonical(" ".join(words))
        found = self.ts.types.get(name)
        if found is None:
            raise CmdError(f"failed to look up type {name}: unknown type name")
        return found

    def tagged(self) -> CType:
        kind = self.take()
        tag = None
        if self.peek() not in ("{", None) and valid_identifier(self.peek() or ""):
            tag = self.take()
        key = f"{kind} {tag}" if tag else None
        if self.peek() != "{":
            if key is None:
                raise CmdError("syntax error: anonymous type without a body")
            t = self.ts.types.get(key)
            if t is None:      # a forward reference: an incomplete type, filled in later
                t = CType(kind, key, 0, 1, complete=False)
                self.ts.add(key, t, synthetic=self.synthetic)
            return t
        self.take()
        if kind == "enum":
            return self.enum_body(key)
        placeholder = None
        if key is not None:
            placeholder = self.ts.types.get(key)
            if placeholder is not None and placeholder.complete:
                raise CmdError(f"duplicate name detected: {key}")
            if placeholder is None:
                placeholder = CType(kind, key, 0, 1, complete=False)
                self.ts.add(key, placeholder, synthetic=self.synthetic)
        members: list[tuple[str | None, CType, int | None]] = []
        while self.peek() != "}":
            base = self.base_type()
            if self.peek() == ";":       # an anonymous struct/union member
                self.take()
                members.append((None, base, None))
                continue
            while True:
                name, t, bits = self.declarator(base, allow_bits=True)
                members.append((name, t, bits))
                if self.peek() == ",":
                    self.take()
                    continue
                break
            self.expect(";")
        self.take()
        laid = self.ts.layout(kind, tag, members)
        if placeholder is not None:
            placeholder.size, placeholder.align = laid.size, laid.align
            placeholder.members, placeholder.complete = laid.members, True
            return placeholder
        return laid

    def enum_body(self, key: str | None) -> CType:
        values: list[tuple[str, int]] = []
        nxt = 0
        while self.peek() != "}":
            name = self.take()
            if not valid_identifier(name):
                raise CmdError(f"The name {name} is not a valid C identifier.")
            if self.peek() == "=":
                self.take()
                nxt = self.take_number("enum value")
            values.append((name, nxt))
            nxt += 1
            if self.peek() == ",":
                self.take()
        self.take()
        t = CType("enum", key or "enum <anon>", 4, 4, True, enumerators=values)
        if key is not None:
            if key in self.ts.types and self.ts.types[key].complete:
                raise CmdError(f"duplicate name detected: {key}")
            self.ts.add(key, t, synthetic=self.synthetic, replace=True)
        return t

    def declarator(self, base: CType, allow_bits: bool = False) -> tuple[str | None, CType, int | None]:
        t = base
        stars = 0
        while self.peek() == "*":
            self.take()
            stars += 1
            if stars > MAX_POINTER_DEPTH:
                # each level's name holds the one below: 40,000 stars took 800 MB
                raise CmdError(f"more than {MAX_POINTER_DEPTH} levels of pointer")
            while self.peek() in ("const", "volatile"):
                self.take()
            t = self.ts.pointer_to(t)
        name = None
        if self.peek() == "(":            # a function pointer: (*name)(args)
            self.take()
            self.expect("*")
            inner = 1
            while self.peek() == "*" and inner < MAX_POINTER_DEPTH:
                self.take()
                inner += 1
            name = self.take()
            self.expect(")")
            depth = 0
            while True:
                tok = self.take()
                if tok == "(":
                    depth += 1
                elif tok == ")":
                    depth -= 1
                    if depth == 0:
                        break
            # libctf names it "RET (*)()", whatever the arguments
            sep = "" if t.name.endswith("*") else " "
            fp = self.ts.pointer_to(CType("func", f"{t.name}{sep}()", 0, 1, target=t))
            for _ in range(inner - 1):
                fp = self.ts.pointer_to(fp)
            return name, fp, None
        if self.peek() is not None and valid_identifier(self.peek() or "") and self.peek() not in ("const",):
            name = self.take()
        dims: list[int | None] = []
        while self.peek() == "[":
            self.take()
            if self.peek() == "]":
                dims.append(None)
            else:
                n = self.take_number("array length")
                if n < 0:
                    raise CmdError("Array lengths cannot be negative")
                dims.append(n)
            self.expect("]")
        for d in reversed(dims):
            t = self.ts.array_of(t, d)
        bits = None
        if allow_bits and self.peek() == ":":
            self.take()
            bits = self.take_number("bit-field width")
            if not 0 <= bits <= 64:
                raise CmdError(f"bit-field width {bits} is not between 0 and 64")
        if name is not None and not valid_identifier(name):
            raise CmdError(f"The name {name} is not a valid C identifier.")
        return name, t, bits


def walk_members(t: CType) -> Iterator[Member]:
    yield from t.resolve().members
