"""Property lists as genunix's devinfo.c prints them (``devinfo_print_props``
and its helpers ``devinfo_print_props_type``, ``_guess`` and ``_value``),
for ``::prtconf -v``, ``::devinfo`` and ``::devbindings``.

mdb reads each ``struct ddi_prop`` and interprets its bytes by the type in
``prop_flags``: integers as 4- or 8-byte elements shown most significant
byte first, strings when the bytes are printable NUL-ended strings, and
bytes otherwise. The bytes and type are kdb.target.ddiprops's, the same the
memory images hold.
"""

from __future__ import annotations

from typing import Any, Iterable

from kdb.target.ddiprops import (DDI_PROP_TYPE_ANY, DDI_PROP_TYPE_BYTE, DDI_PROP_TYPE_COMPOSITE,
                                 DDI_PROP_TYPE_INT, DDI_PROP_TYPE_INT64, DDI_PROP_TYPE_STRING,
                                 prop_blob, prop_type)
from kdb.modapi import Call

DEVINFO_PROP_INDENT = 4       # devinfo.c: indent for properties

#: the titles devinfo_print gives the lists, and the node's list each is
PROP_LISTS = {"System": "system", "Driver": "driver", "Hardware": "hardware"}

_TYPE_NAMES = {DDI_PROP_TYPE_ANY: "any", DDI_PROP_TYPE_COMPOSITE: "composite",
               DDI_PROP_TYPE_INT64: "int64", DDI_PROP_TYPE_INT: "int",
               DDI_PROP_TYPE_BYTE: "byte", DDI_PROP_TYPE_STRING: "string"}


def type_text(ptype: int) -> str:
    """devinfo_print_props_type."""
    name = _TYPE_NAMES.get(ptype)
    return f"type={name}" if name is not None else f"type=0x{ptype:x}"


def _printable(b: bytes) -> bool:
    return all(0x20 <= c < 0x7F for c in b)     # isprint in the C locale


def guess(ptype: int, val: bytes) -> tuple[int, int, bool]:
    """devinfo_print_props_guess: (element size, element count, length
    error); element size 0 means strings."""
    n = len(val)
    if n == 0:
        return 0, 0, False
    size, count = 1, n
    if ptype == DDI_PROP_TYPE_BYTE:
        return size, count, False
    if ptype in (DDI_PROP_TYPE_INT64, DDI_PROP_TYPE_INT):
        width = 8 if ptype == DDI_PROP_TYPE_INT64 else 4
        if n % width:
            return size, count, True
        return width, n // width, False
    if val[-1] == 0:
        size, count, start = 0, 0, 0
        for i in range(n):
            if val[i]:
                continue
            s = val[start:i]
            if (not s and ptype != DDI_PROP_TYPE_STRING) or not _printable(s):
                return 1, n, False
            count += 1
            start = i + 1
    return size, count, False


def value_text(size: int, count: int, val: bytes) -> str:
    """devinfo_print_props_value: strings quoted and joined by `` + ``;
    elements as hex bytes, each converted to big-endian order
    (mdb_nhconvert on a little-endian host), joined by dots."""
    if size == 0:
        parts = val.split(b"\0")[:count]
        return " + ".join("'" + p.decode("latin-1") + "'" for p in parts)
    chunks = [val[i:i + size] for i in range(0, len(val), size)]
    if size > 1:
        chunks = [c[::-1] if len(c) == size else c for c in chunks]
    return ".".join(c.hex() for c in chunks)


def print_props(call: Call, title: str | None, base: int, entries: Iterable[tuple[str, Any]],
                indent: int) -> None:
    """devinfo_print_props: ``TITLE properties at ADDR:``, then per entry
    ``name='N' type=T items=K`` and, when it has a value, ``value=...`` on
    the next line, 4 columns further in."""
    pad = " " * indent
    call.printf("%s", pad)
    if title is not None:
        call.printf("%s ", title)
    call.printf("properties at %p:\n", base)
    inner = pad + " " * DEVINFO_PROP_INDENT
    for name, value in entries:
        ptype, blob = prop_type(value), prop_blob(value)
        size, count, len_err = guess(ptype, blob)
        # prop_name is read into a 128-byte buffer
        shown = name.encode("utf-8", "replace")[:127].decode("utf-8", "replace")
        call.printf("%sname='%s' %s items=%d", inner, shown, type_text(ptype), count)
        if blob:
            call.printf("\n%s", inner + " " * DEVINFO_PROP_INDENT)
            if len_err:
                call.printf("NOTE: prop length is not a multiple of element size\n%s",
                            inner + " " * DEVINFO_PROP_INDENT)
            call.printf("value=%s", value_text(size, count, blob))
        call.printf("\n")
