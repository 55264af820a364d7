"""Device properties as the kernel stores them (``struct ddi_prop``): the
type a dump's JSON value takes and the bytes of its value.

One place decides both, so the memory images (``::print ddi_prop_t``,
``::walk ddi_prop``) and the dcmds that print property lists
(``::prtconf -v``, ``::devinfo``) agree. Types and their codes are those of
``sys/ddipropdefs.h``; ``prop_flags & DDI_PROP_TYPE_MASK`` is the type.
"""

from __future__ import annotations

from typing import Any

DDI_PROP_TYPE_INT = 0x0100
DDI_PROP_TYPE_STRING = 0x0200
DDI_PROP_TYPE_BYTE = 0x0400
DDI_PROP_TYPE_COMPOSITE = 0x0800
DDI_PROP_TYPE_INT64 = 0x1000
DDI_PROP_TYPE_ANY = DDI_PROP_TYPE_INT | DDI_PROP_TYPE_STRING | DDI_PROP_TYPE_BYTE | DDI_PROP_TYPE_COMPOSITE
DDI_PROP_TYPE_MASK = DDI_PROP_TYPE_ANY | DDI_PROP_TYPE_INT64
DDI_DEV_T_NONE = (1 << 64) - 1          # (dev_t)-1: a property not tied to a dev_t

#: what the dump format accepts as a property value (docs/dump-format.md)
VALUE_RULE = ("expected true (a boolean property), null, an integer, a string, "
              "or a flat array of integers or of strings")


def _is_int(v: Any) -> bool:
    return type(v) is int


def valid_value(value: Any) -> bool:
    """Whether ``value`` is a property value the format accepts."""
    if value is None or value is True or _is_int(value) or type(value) is str:
        return True
    if type(value) is list:
        return all(_is_int(x) for x in value) or all(type(x) is str for x in value)
    return False


def _ints(value: Any) -> list[int] | None:
    if _is_int(value):
        return [value]
    if type(value) is list and value and all(_is_int(x) for x in value):
        return list(value)
    return None


def _wide(ints: list[int]) -> bool:
    return any(not -(1 << 31) <= v < (1 << 32) for v in ints)


def prop_type(value: Any) -> int:
    """The DDI_PROP_TYPE_* a value is stored with: a boolean (``true``) or
    ``null`` has no value and type ANY, as ``ddi_prop_create`` gives a
    property made without one; integers are INT (INT64 when one does not fit
    in 32 bits); strings and string arrays STRING."""
    ints = _ints(value)
    if ints is not None:
        return DDI_PROP_TYPE_INT64 if _wide(ints) else DDI_PROP_TYPE_INT
    if type(value) is str or (type(value) is list and value):
        return DDI_PROP_TYPE_STRING
    return DDI_PROP_TYPE_ANY


def prop_blob(value: Any) -> bytes:
    """The value's bytes (``prop_val``, ``prop_len`` long): integers in the
    little-endian order of the x86 kernels the dumps come from, each 4 bytes
    (8 for INT64), strings NUL-terminated one after another."""
    ints = _ints(value)
    if ints is not None:
        size = 8 if _wide(ints) else 4
        mask = (1 << (8 * size)) - 1
        return b"".join((v & mask).to_bytes(size, "little") for v in ints)
    if type(value) is str:
        return value.encode("utf-8", "replace") + b"\0"
    if type(value) is list:
        return b"".join(str(v).encode("utf-8", "replace") + b"\0" for v in value)
    return b""
