"""``mdb_printf``: mdb's own printf dialect, rendered through an OutputBuffer.

This is not C printf. Differences that matter for byte-exact output:

* ``%?`` means a width of 16 (two hex digits per byte of a 64-bit pointer);
* ``%r``/``%R`` print in the current radix, ``%a`` prints ``symbol+off``,
  ``%p`` prints bare lower-case hex, ``%Y`` a date, ``%b`` a bitmask;
* ``#`` adds a base prefix: for ``x`` only when the value is non-zero, for
  ``d i u r R`` only when the value is bigger than the largest digit;
* ``0`` zero-fills before any prefix; there is no precision;
* ``%T`` advances to the next multiple of the width, ``%<u>`` and friends
  are terminal attributes that print nothing off a terminal;
* every item goes through :meth:`OutputBuffer.item`, which applies the
  autowrap and padding rules.
"""

from __future__ import annotations

import datetime
import functools
import re
from typing import Any, Protocol, Sequence

from kdb.iob import OutputBuffer
from kdb.numbers import MASK64, human_size, numtostr, signed


class FormatEnv(Protocol):
    """What ``%r``, ``%a`` and ``%<_var>`` need from the session."""

    radix: int

    def addr2str(self, addr: int) -> str | None: ...

    def var_value(self, name: str) -> int: ...


_SPEC = re.compile(
    r"%(?:<(/?)([A-Za-z_][A-Za-z0-9_]*)>"
    r"|([-0#+ ]*)(\*|\?|\d+)?(hh|h|ll|l)?([a-zA-Z%]))"
)

_SIZES = {None: 32, "h": 16, "hh": 8, "l": 64, "ll": 64}

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_time(secs: int) -> str:
    """``%Y``: ``YYYY Mon DD HH:MM:SS`` (UTC)."""
    t = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=secs)
    return f"{t.year:04d} {MONTHS[t.month - 1]} {t.day:02d} {t.hour:02d}:{t.minute:02d}:{t.second:02d}"


def time_representable(secs: int) -> bool:
    try:
        format_time(secs)
    except (OverflowError, ValueError):
        return False
    return True


@functools.lru_cache(maxsize=512)
def compile_format(fmt: str) -> tuple[Any, ...]:
    """Split a format string into literal text and conversion specs."""
    parts: list[Any] = []
    pos = 0
    for m in _SPEC.finditer(fmt):
        if m.start() > pos:
            parts.append(fmt[pos:m.start()])
        if m.group(2) is not None:
            parts.append(("attr", m.group(1) == "/", m.group(2)))
        else:
            flags, width, size, conv = m.group(3), m.group(4), m.group(5), m.group(6)
            parts.append(("conv", flags, width, size, conv))
        pos = m.end()
    if pos < len(fmt):
        parts.append(fmt[pos:])
    return tuple(parts)


def _float_text(conv: str, value: float, flags: str) -> str:
    spec = "%" + ("+" if "+" in flags else "") + conv
    return spec % value


def bitmask_text(value: int, bits: Sequence[tuple[str, int, int]]) -> str:
    """``%b``: names of the fields of ``value`` that are set, joined by ``,``."""
    names = []
    for name, mask, want in bits:
        if value & mask == want:
            names.append(name)
    return ",".join(names)


def mprintf(out: OutputBuffer, env: FormatEnv, fmt: str, *args: Any) -> None:
    """Format ``args`` with ``fmt`` into ``out``."""
    argv = list(args)
    ai = 0

    def nextarg() -> Any:
        nonlocal ai
        if ai >= len(argv):
            raise IndexError(f"mdb_printf: too few arguments for {fmt!r}")
        v = argv[ai]
        ai += 1
        return v

    for part in compile_format(fmt):
        if isinstance(part, str):
            out.write(part)
            continue
        if part[0] == "attr":
            _, closing, name = part
            if name.startswith("_"):
                out.item(str(env.var_value(name[1:])))
            else:
                out.attr(name, not closing)
            continue
        _, flags, width_s, size, conv = part
        left = "-" in flags
        zero = "0" in flags
        alt = "#" in flags
        if width_s == "*":
            width = int(nextarg())
        elif width_s == "?":
            width = 16
        elif width_s:
            width = int(width_s)
        else:
            width = 0
        bits = _SIZES[size]
        if conv == "%":
            out.item("%", width, left)
            continue
        if conv == "T":
            out.tab_to(width)
            continue
        if conv == "t":
            out.tab()
            continue
        if conv == "m":
            out.ws(out.margin)
            continue
        if conv == "N":
            out.write("\n")
            continue
        v = nextarg()
        if conv in "di":
            n = signed(int(v), bits)
            text = numtostr(n, 10, showbase=alt, signpos="+" in flags)
        elif conv == "u":
            n = int(v) & ((1 << bits) - 1)
            text = numtostr(n, 10, showbase=alt)
        elif conv in "xX":
            n = int(v) & ((1 << bits) - 1)
            text = numtostr(n, 16, upper=conv == "X")
            if alt and n:
                text = ("0X" if conv == "X" else "0x") + text
        elif conv == "o":
            n = int(v) & ((1 << bits) - 1)
            text = numtostr(n, 8)
            if alt and n:
                text = "0" + text
        elif conv == "q":
            n = signed(int(v), bits)
            text = numtostr(abs(n), 8)
            if alt and n:
                text = "0" + text
            if n < 0:
                text = "-" + text
        elif conv == "r":
            n = int(v) & ((1 << bits) - 1)
            text = numtostr(n, env.radix, showbase=alt)
        elif conv == "R":
            n = signed(int(v), bits)
            text = numtostr(n, env.radix, showbase=alt)
        elif conv == "c":
            text = v if isinstance(v, str) else chr(int(v) & 0xFF)
        elif conv == "s":
            text = "<NULL>" if v is None else str(v)
        elif conv == "p":
            text = numtostr(int(v) & MASK64, 16)
        elif conv == "a":
            a = int(v) & MASK64
            text = env.addr2str(a) or numtostr(a, env.radix, showbase=True)
            if alt:
                text += ":"
        elif conv == "A":
            a = int(v) & MASK64
            sym = env.addr2str(a)
            text = sym.split("+")[0].split("-")[0] if sym else numtostr(a, env.radix, showbase=True)
        elif conv == "b":
            text = bitmask_text(int(v), nextarg())
        elif conv in "eEgG":
            text = _float_text(conv, float(v), flags)
        elif conv == "H":
            text = human_size(int(v))
        elif conv == "I":
            n = int(v) & 0xFFFFFFFF
            text = ".".join(str((n >> s) & 0xFF) for s in (24, 16, 8, 0))
        elif conv == "Y":
            text = format_time(signed(int(v), 64))
        else:
            raise ValueError(f"mdb_printf: unknown conversion %{conv} in {fmt!r}")
        out.item(text, width, left, zero and not left)
