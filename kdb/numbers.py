"""Number conversion the way mdb does it (``numtostr`` and ``strtonum``).

All mdb values are unsigned 64-bit integers; helpers here convert between
Python integers and their 64-bit views and render them in any radix with
mdb's base-prefix rule.
"""

from __future__ import annotations

from kdb.errors import SyntaxFault

MASK64 = (1 << 64) - 1
DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
PREFIX = {16: "0x", 10: "0t", 8: "0o", 2: "0i"}


def u64(value: int) -> int:
    """The unsigned 64-bit view of ``value``."""
    return value & MASK64


def signed(value: int, bits: int = 64) -> int:
    """Interpret the low ``bits`` bits of ``value`` as a two's-complement number."""
    value &= (1 << bits) - 1
    if value >> (bits - 1):
        value -= 1 << bits
    return value


_BUILTIN_FMT = {16: "x", 10: "d", 8: "o", 2: "b"}


def digits(value: int, base: int, upper: bool = False) -> str:
    """The digits of a non-negative ``value`` in ``base`` (no prefix)."""
    spec = _BUILTIN_FMT.get(base)
    if spec is not None:
        return format(value, "X" if upper and base == 16 else spec)
    if value == 0:
        return "0"
    out = []
    while value:
        value, rem = divmod(value, base)
        out.append(DIGITS[rem])
    text = "".join(reversed(out))
    return text.upper() if upper else text


def numtostr(value: int, base: int, *, showbase: bool = False,
             signpos: bool = False, upper: bool = False) -> str:
    """Render ``value`` (a Python int, possibly negative) like mdb's numtostr.

    ``showbase`` adds ``0x``/``0t``/``0o``/``0i`` only when the value is
    bigger than the biggest single decimal digit the base has (9, 7 or 1),
    so 8 stays ``8`` and 0xa becomes ``0xa``; a negative value always gets
    it (its unsigned view is huge): ``-0t5``. ``signpos`` writes ``+`` before non-negative values.
    """
    neg = value < 0
    mag = -value if neg else value
    text = digits(mag, base, upper)
    if showbase and base in PREFIX and (neg or mag > min(base - 1, 9)):
        text = PREFIX[base] + text
    if neg:
        text = "-" + text
    elif signpos:
        text = "+" + text
    return text


_RADIX_OF = {"x": 16, "t": 10, "o": 8, "i": 2}


def strtonum(text: str, radix: int) -> int:
    """Convert an mdb number token (prefixed or not) to an unsigned 64-bit int.

    Raises :class:`SyntaxFault` with mdb's messages for a bad digit or a value
    wider than 64 bits (neither gets a location suffix).
    """
    body = text
    base = radix
    if len(text) > 2 and text[0] == "0" and text[1].lower() in _RADIX_OF:
        base = _RADIX_OF[text[1].lower()]
        body = text[2:]
    value = 0
    for ch in body:
        if ch == "_":
            continue
        d = DIGITS.find(ch.lower())
        if d < 0 or d >= base:
            raise SyntaxFault(f"digit '{ch}' is invalid in current base", suffix=False)
        value = value * base + d
        if value > MASK64:
            raise SyntaxFault("specified value exceeds maximum immediate value", suffix=False)
    return value


def human_size(n: int) -> str:
    """mdb's ``%H``: 1023, 1K, 1.50K, 12.3M ... (base 1024)."""
    units = "BKMGTPE"
    if n < 1024:
        return f"{n}"
    value = float(n)
    idx = 0
    while value >= 1024 and idx < len(units) - 1:
        value /= 1024
        idx += 1
    if value == int(value):
        return f"{int(value)}{units[idx]}"
    if value < 10:
        return f"{value:.2f}{units[idx]}"
    if value < 100:
        return f"{value:.1f}{units[idx]}"
    return f"{value:.0f}{units[idx]}"
