"""``mdb_printf``: mdb's own printf dialect, rendered through an OutputBuffer.

This is not C printf. Differences that matter for byte-exact output:

* ``%?`` means the width of a pointer in hex digits: 16 on a 64-bit kernel,
  8 on a 32-bit one (``FormatEnv.ptr_width``);
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

from kdb.output.iob import OutputBuffer
# control characters (C0 but tab and newline, DEL, C1) are printed escaped, so
# a string from a dump can never drive the terminal: the sanitising writer's table
from kdb.output.sanitize import CONTROL_ESCAPES as _CONTROL
from kdb.numbers import MASK64, human_size, numtostr, signed


class FormatEnv(Protocol):
    """What ``%r``, ``%a`` and ``%<_var>`` need from the session."""

    radix: int

    @property
    def ptr_width(self) -> int: ...

    def addr2str(self, addr: int) -> str | None: ...

    def var_value(self, name: str) -> int: ...


_SPEC = re.compile(
    r"%(?:<(/?)([A-Za-z_][A-Za-z0-9_]*)>"
    r"|([-0#+ ]*)(\*|\?|\d+)?(hh|h|ll|l)?([a-zA-Z%]))"
)

#: ``%?`` in a compiled format: the pointer width, which the session knows
#: (16 hex digits on a 64-bit kernel, 8 on a 32-bit one)
PTR_WIDTH = -2

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


@functools.lru_cache(maxsize=1024)
def compile_format(fmt: str) -> tuple[Any, ...]:
    """Split a format string into literal text and pre-parsed conversions.

    A conversion is ``(conv, left, zero, alt, plus, width, bits)`` where
    width is an int, -1 for ``*`` (taken from the arguments) or PTR_WIDTH
    for ``?``.
    """
    parts: list[Any] = []
    pos = 0
    for m in _SPEC.finditer(fmt):
        if m.start() > pos:
            parts.append(fmt[pos:m.start()])
        if m.group(2) is not None:
            parts.append(("attr", m.group(1) == "/", m.group(2)))
        else:
            flags, width, size, conv = m.group(3), m.group(4), m.group(5), m.group(6)
            w = -1 if width == "*" else PTR_WIDTH if width == "?" else int(width) if width else 0
            parts.append((conv, "-" in flags, "0" in flags, "#" in flags, "+" in flags, w,
                          _SIZES[size]))
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


def _conv_d(v: Any, bits: int, alt: bool, plus: bool, env: FormatEnv) -> str:
    n = int(v)
    if bits < 64 or not -(1 << 63) <= n < (1 << 63):
        n = signed(n, bits)
    if not alt and not plus:
        return str(n)
    return numtostr(n, 10, showbase=alt, signpos=plus)


def _conv_u(v: Any, bits: int, alt: bool, plus: bool, env: FormatEnv) -> str:
    n = int(v) & ((1 << bits) - 1)
    return numtostr(n, 10, showbase=True) if alt else str(n)


def _conv_x(v: Any, bits: int, alt: bool, plus: bool, env: FormatEnv) -> str:
    n = int(v) & ((1 << bits) - 1)
    return ("0x%x" if alt and n else "%x") % n


def _conv_X(v: Any, bits: int, alt: bool, plus: bool, env: FormatEnv) -> str:
    n = int(v) & ((1 << bits) - 1)
    return ("0X%X" if alt and n else "%X") % n


def _conv_o(v: Any, bits: int, alt: bool, plus: bool, env: FormatEnv) -> str:
    n = int(v) & ((1 << bits) - 1)
    return ("0%o" if alt and n else "%o") % n


def _conv_q(v: Any, bits: int, alt: bool, plus: bool, env: FormatEnv) -> str:
    n = signed(int(v), bits)
    text = "%o" % abs(n)
    if alt and n:
        text = "0" + text
    return "-" + text if n < 0 else text


def _conv_r(v: Any, bits: int, alt: bool, plus: bool, env: FormatEnv) -> str:
    n = int(v) & ((1 << bits) - 1)
    if env.radix == 16 and not alt:
        return "%x" % n
    return numtostr(n, env.radix, showbase=alt)


def _conv_R(v: Any, bits: int, alt: bool, plus: bool, env: FormatEnv) -> str:
    return numtostr(signed(int(v), bits), env.radix, showbase=alt)


def _conv_c(v: Any, bits: int, alt: bool, plus: bool, env: FormatEnv) -> str:
    return v if isinstance(v, str) else chr(int(v) & 0xFF)


def safe_text(text: str) -> str:
    """``text`` with control characters escaped as ``\\xNN``."""
    return text.translate(_CONTROL) if not text.isprintable() else text


def _conv_s(v: Any, bits: int, alt: bool, plus: bool, env: FormatEnv) -> str:
    if v is None:
        return "<NULL>"
    text = v if v.__class__ is str else str(v)
    return text if text.isprintable() else text.translate(_CONTROL)


def _conv_p(v: Any, bits: int, alt: bool, plus: bool, env: FormatEnv) -> str:
    return "%x" % (int(v) & MASK64)


def _conv_a(v: Any, bits: int, alt: bool, plus: bool, env: FormatEnv) -> str:
    a = int(v) & MASK64
    text = env.addr2str(a) or numtostr(a, env.radix, showbase=True)
    return text + ":" if alt else text


def _conv_A(v: Any, bits: int, alt: bool, plus: bool, env: FormatEnv) -> str:
    # mdb_io.c iob_doprnt 'A': iob_addr2str (symbol+offset, as %a) or
    # nothing at all when no symbol holds the address ("?" with %#A)
    sym = env.addr2str(int(v) & MASK64)
    return sym if sym else ("?" if alt else "")


def _conv_H(v: Any, bits: int, alt: bool, plus: bool, env: FormatEnv) -> str:
    return human_size(int(v))


def _conv_I(v: Any, bits: int, alt: bool, plus: bool, env: FormatEnv) -> str:
    n = int(v) & 0xFFFFFFFF
    return ".".join(str((n >> s) & 0xFF) for s in (24, 16, 8, 0))


def _conv_Y(v: Any, bits: int, alt: bool, plus: bool, env: FormatEnv) -> str:
    return format_time(signed(int(v), 64))


_CONV = {"d": _conv_d, "i": _conv_d, "u": _conv_u, "x": _conv_x, "X": _conv_X, "o": _conv_o,
         "q": _conv_q, "r": _conv_r, "R": _conv_R, "c": _conv_c, "s": _conv_s, "p": _conv_p,
         "a": _conv_a, "A": _conv_A, "H": _conv_H, "I": _conv_I, "Y": _conv_Y}


def mprintf(out: OutputBuffer, env: FormatEnv, fmt: str, *args: Any) -> None:
    """Format ``args`` with ``fmt`` into ``out``."""
    ai = 0
    for part in compile_format(fmt):
        if part.__class__ is str:
            out.write(part)
            continue
        conv = part[0]
        if conv == "attr":
            _, closing, name = part
            if name.startswith("_"):
                out.item(str(env.var_value(name[1:])))
            else:
                out.attr(name, not closing)
            continue
        _, left, zero, alt, plus, width, bits = part
        if width < 0:
            if width == PTR_WIDTH:
                width = env.ptr_width
            else:
                width = int(args[ai])
                ai += 1
        fn = _CONV.get(conv)
        if fn is not None:
            if ai >= len(args):
                raise IndexError(f"mdb_printf: too few arguments for {fmt!r}")
            text = fn(args[ai], bits, alt, plus, env)
            ai += 1
        elif conv == "%":
            text = "%"
        elif conv == "T":
            out.tab_to(width)
            continue
        elif conv == "t":
            out.tab()
            continue
        elif conv == "m":
            out.ws(out.margin)
            continue
        elif conv == "N":
            out.write("\n")
            continue
        elif conv == "b":
            text = bitmask_text(int(args[ai]), args[ai + 1])
            ai += 2
        elif conv in "eEgG":
            text = _float_text(conv, float(args[ai]), "+" if plus else "")
            ai += 1
        else:
            raise ValueError(f"mdb_printf: unknown conversion %{conv} in {fmt!r}")
        out.item(text, width, left, zero and not left)
