"""Typed memory: a C value at an address of the dump, read the way
``::print`` reads it (the dump's C types: kdb.target.ctype).

``d.object(addr, "proc_t").p_user.u_comm.string()`` reads the name the
way ``addr::print proc_t p_user.u_comm`` shows it. As in drgn, a member
of a pointer to a struct is reached through the pointer (C's ``->``).
Reading outside the dump's memory raises :class:`kdb.errors.ReadError`.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Iterator

from kdb.errors import ReadError
from kdb.target.ctype import CType

if TYPE_CHECKING:
    from kdb.api.dump import Dump

__all__ = ["Obj"]

#: the most bytes :meth:`Obj.string` reads through a char pointer
MAX_STRING = 4096


class Obj:
    """A value of a C type at an address (read-only).

    Scalars (integers, enums, pointers, bit-fields) convert with ``int()``
    and compare with ints; structs and unions give their members as
    attributes; arrays and pointers index with ``[]``; ``str()`` is what
    ``ADDR::print TYPE`` prints."""

    __slots__ = ("_dump", "addr", "ctype", "_bits")

    def __init__(self, dump: "Dump", addr: int, ctype: CType, bits: tuple[int, int] | None = None) -> None:
        self._dump = dump
        self.addr = addr
        self.ctype = ctype
        self._bits = bits            # (bit offset, bit size) of a bit-field

    @property
    def type_name(self) -> str:
        """The type as mdb prints it (``proc_t``, ``struct user``, ``char [19]``)."""
        return self.ctype.name

    @property
    def size(self) -> int:
        return self.ctype.size

    def _raw(self) -> bytes:
        return self._dump.read(self.addr, self.ctype.resolve().size)

    def value(self) -> int | float | bytes:
        """The Python value: an int for integers, enums, pointers and
        bit-fields, a float for floating types, the bytes otherwise."""
        r = self.ctype.resolve()
        raw = self._raw()
        if self._bits is not None:
            off, size = self._bits
            return (int.from_bytes(raw, "little") >> off) & ((1 << size) - 1)
        if r.kind in ("int", "enum", "pointer"):
            return int.from_bytes(raw, "little", signed=r.kind == "int" and r.signed)
        if r.kind == "float" and r.size in (4, 8):
            return float(struct.unpack("<f" if r.size == 4 else "<d", raw)[0])
        return raw

    def __int__(self) -> int:
        v = self.value()
        if not isinstance(v, int):
            raise TypeError(f"{self.type_name} is not a scalar")
        return v

    __index__ = __int__

    def __bool__(self) -> bool:
        v = self.value()
        return bool(v) if isinstance(v, (int, float)) else any(v)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Obj):
            return self.addr == other.addr and self.ctype is other.ctype and self._bits == other._bits
        if isinstance(other, (int, float)):
            return self.value() == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.addr, self.ctype.name))

    def members(self) -> list[str]:
        """The member names of a struct or union (or of what a pointer points to)."""
        r = self._aggregate().ctype.resolve()
        return [m.name for m in r.members if m.name is not None]

    def _aggregate(self) -> "Obj":
        r = self.ctype.resolve()
        if r.kind == "pointer" and r.target is not None and r.target.resolve().kind in ("struct", "union"):
            return self.deref()
        return self

    def __getattr__(self, name: str) -> "Obj":
        if name.startswith("__"):
            raise AttributeError(name)
        base = self._aggregate()
        r = base.ctype.resolve()
        if r.kind not in ("struct", "union"):
            raise AttributeError(f"{self.type_name} has no members")
        m = r.member(name)
        if m is None:
            raise AttributeError(f"{r.name} has no member {name!r}")
        bits = None if m.bit_size is None else (m.bit_offset, m.bit_size)
        return Obj(base._dump, base.addr + m.offset, m.type, bits)

    def deref(self) -> "Obj":
        """What a pointer points to (``*p``)."""
        r = self.ctype.resolve()
        if r.kind != "pointer" or r.target is None:
            raise TypeError(f"{self.type_name} is not a pointer")
        return Obj(self._dump, int(self), r.target)

    def __getitem__(self, i: int) -> "Obj":
        r = self.ctype.resolve()
        if r.kind == "array" and r.target is not None:
            if r.count is not None and not 0 <= i < r.count:
                raise IndexError(f"{i} is outside {self.type_name}")
            return Obj(self._dump, self.addr + i * r.target.resolve().size, r.target)
        if r.kind == "pointer" and r.target is not None:
            return Obj(self._dump, int(self) + i * max(r.target.resolve().size, 1), r.target)
        raise TypeError(f"{self.type_name} is not an array or a pointer")

    def __len__(self) -> int:
        r = self.ctype.resolve()
        if r.kind != "array" or r.count is None:
            raise TypeError(f"{self.type_name} has no length")
        return r.count

    def __iter__(self) -> Iterator["Obj"]:
        for i in range(len(self)):
            yield self[i]

    def string(self) -> str:
        """A char array's or char pointer's text, to its NUL (bytes that are
        not UTF-8 as ``\\xNN``)."""
        r = self.ctype.resolve()
        if r.kind == "array":
            raw = self._raw()
        elif r.kind == "pointer":
            raw = b""
            addr = int(self)
            while len(raw) < MAX_STRING:
                try:
                    chunk = self._dump.read(addr + len(raw), 64)
                except ReadError:        # the end of a region: a byte at a time
                    chunk = self._dump.read(addr + len(raw), 1)
                raw += chunk
                if b"\0" in chunk:
                    break
        else:
            raise TypeError(f"{self.type_name} is not a string")
        return raw.split(b"\0", 1)[0].decode("utf-8", "backslashreplace")

    def __repr__(self) -> str:
        return f"Obj(0x{self.addr:x}, {self.type_name!r})"

    def __str__(self) -> str:
        """What ``ADDR::print TYPE`` prints."""
        return self._dump.run(f"0x{self.addr:x}::print {self.type_name}").text
