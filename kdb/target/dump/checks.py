"""Field validators of the dump format: each checks one JSON value and names
the JSON path and the rule it breaks in a :class:`DumpError`.

The shape checks (nesting, string length) enforce :mod:`kdb.limits`.
"""

from __future__ import annotations

import datetime
import json
import re
from itertools import repeat
from typing import Any

from kdb.errors import KdbError
from kdb.limits import Limits
from kdb.output.printf import safe_text
from kdb.target.model import (THREAD_STATES)
from kdb.target.symbols import parse_location


MAX_SAFE = (1 << 53) - 1
MODCTL_BASE = 0xFFFFFF0901F00000
PROP_REGION = 0xFFFFFF0950000000         # drivers' global property lists
NODE_PROP_REGION = 0xFFFFFF0940000000    # device nodes' property lists
SIZEOF_DDI_PROP = 0x30                   # struct ddi_prop (kdb.target.images)
DEVNAMES_BASE = 0xFFFFFFFFFBC5A000
_THREAD_STATE_SET = frozenset(THREAD_STATES)


class DumpError(KdbError):
    """A dump that breaks the format: ``path`` is the JSON path, ``rule`` what failed."""

    def __init__(self, path: str, rule: str, file: str | None = None) -> None:
        self.path = path
        self.rule = rule
        self.file = file
        super().__init__(str(self))

    def __str__(self) -> str:
        prefix = f"{self.file}: " if self.file else ""
        return safe_text(f"{prefix}{self.path}: {self.rule}")   # paths hold the dump's keys


# ---------------------------------------------------------------------------
# scalar checks
# ---------------------------------------------------------------------------
def _jtype(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, int):
        return "an integer"
    if isinstance(v, float):
        return "a number"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, list):
        return "an array"
    return "an object"


def _show(v: Any) -> str:
    """A value quoted for a message: strings in single quotes, escaped."""
    if type(v) is str:
        inner = json.dumps(v, ensure_ascii=True)[1:-1].replace("'", "\\'")
        text = f"'{inner}'"
    else:
        text = json.dumps(v, ensure_ascii=True)
    return text if len(text) <= 60 else text[:57] + "..."


def obj(v: Any, path: str, allowed: frozenset[str], required: tuple[str, ...] = ()) -> dict[str, Any]:
    if type(v) is not dict:
        raise DumpError(path, f"expected an object, got {_jtype(v)}")
    extra = v.keys() - allowed
    for k in sorted(extra):
        if not k.startswith("x_"):
            raise DumpError(f"{path}.{k}", "unknown key (not in the format; use an x_ prefix for notes)")
    for k in required:
        if k not in v:
            raise DumpError(f"{path}.{k}", "required key is missing")
    return v


def lst(v: Any, path: str) -> list[Any]:
    if type(v) is not list:
        raise DumpError(path, f"expected an array, got {_jtype(v)}")
    return v


_RADIX_PREFIX = {"0x": 16, "0X": 16, "0t": 10, "0T": 10, "0o": 8, "0O": 8, "0i": 2, "0I": 2}


def int_text(v: str) -> int | None:
    """A number written as a string in mdb's notation: ``"0x2a"`` (hex),
    ``"0t42"`` (decimal), ``"0o52"`` (octal), ``"0i101010"`` (binary), with an
    optional ``-``; None if it is not one. Authors write flags, sizes and
    majors in hex (docs/dump-format.md, "Values")."""
    neg = v[:1] == "-"
    body = v[1:] if neg else v
    radix = _RADIX_PREFIX.get(body[:2])
    digits = body[2:]
    if radix is None or not digits or len(digits) > 64 or not digits.isalnum():
        return None
    try:
        n = int(digits, radix)
    except ValueError:
        return None
    return -n if neg else n


def integer(v: Any, path: str, lo: int | None = None, hi: int | None = None) -> int:
    if type(v) is str:
        n = int_text(v)
        if n is None:
            raise DumpError(path, f"{_show(v)} is not a number (write a JSON integer, or a string "
                                  "\"0x...\" in hex or \"0t...\" in decimal)")
        v = n
    elif type(v) is not int:
        raise DumpError(path, f"expected an integer, got {_jtype(v)}")
    if lo is not None and v < lo:
        raise DumpError(path, f"{v} is less than {lo}")
    if hi is not None and v > hi:
        raise DumpError(path, f"{v} is greater than {hi}")
    return v


def text(v: Any, path: str) -> str:
    if type(v) is not str:
        raise DumpError(path, f"expected a string, got {_jtype(v)}")
    return v


def opt_text(v: Any, path: str) -> str | None:
    return None if v is None else text(v, path)


def boolean(v: Any, path: str) -> bool:
    if type(v) is not bool:
        raise DumpError(path, f"expected true or false, got {_jtype(v)}")
    return v


def enum(v: Any, path: str, choices: tuple[str, ...]) -> str:
    if type(v) is not str or v not in choices:
        raise DumpError(path, f"{_show(v)} is not one of {', '.join(choices)}")
    return v


_HEX = re.compile(r"[0-9a-fA-F]+")


def address(v: Any, path: str) -> int:
    """An address or 64-bit value: ``"0x..."`` (1 to 16 hex digits) or 0..2^53-1."""
    t = type(v)
    if t is str:
        # hex digits only: int() would also take a sign, spaces and "_"
        # ("0x-f20" was a negative address)
        if len(v) > 2 and len(v) <= 18 and v[0] == "0" and v[1] in "xX" and _HEX.fullmatch(v, 2):
            return int(v[2:], 16)
        raise DumpError(path, f"{_show(v)} is not an address (\"0x\" and 1 to 16 hex digits)")
    if t is int:
        if 0 <= v <= MAX_SAFE:
            return v
        raise DumpError(path, f"{v} is out of range (integers must be 0 to 2^53-1; "
                              "write larger values as \"0x...\" strings)")
    raise DumpError(path, f"expected an address, got {_jtype(v)}")


def _addr(v: Any, base: str, key: str) -> int:
    """address() with the JSON path built only on failure."""
    if type(v) is str and 2 < len(v) <= 18 and v[0] == "0" and v[1] in "xX" and _HEX.fullmatch(v, 2):
        return int(v[2:], 16)
    elif type(v) is int and 0 <= v <= MAX_SAFE:
        return v
    return address(v, f"{base}.{key}")


_HEXDIGITS = frozenset("0123456789abcdefABCDEF")


def _fast_addr(v: Any) -> int:
    """An address value as an int, or -1 if it breaks the address rule."""
    if v.__class__ is int:
        return v if 0 <= v <= MAX_SAFE else -1
    if v.__class__ is not str or not 2 < len(v) <= 18 or v[0] != "0" or v[1] not in "xX" \
            or "_" in v or v[-1] not in _HEXDIGITS:
        return -1
    try:
        return int(v, 16)
    except ValueError:
        return -1


_HEX_AND_X = b"0123456789abcdefABCDEFxX\n"
_DIGIT_TO_H = bytes.maketrans(b"0123456789abcdefABCDEF", b"h" * 22)


def _addresses(values: list[Any], convert: bool = True) -> list[int] | None:
    """Check (and convert) a column of address values; None if any is malformed.

    The decoder has already bounded integers; the strings are checked as one
    newline-joined ASCII text, every step in C (no Python code runs per
    value, which cost a second for three million frame addresses): N-1
    newlines (so no value holds one), nothing but hex digits, ``x`` and
    ``X``; N values starting ``0x`` or ``0X`` and N x's in all (so exactly
    the prefix's in each); none ending at its ``x`` and no 17 digits in a
    row (1 to 16 digits each).
    """
    n = len(values)
    if not n:
        return []
    try:
        joined = "\n".join(values).encode("ascii")
    except UnicodeEncodeError:
        return None
    except TypeError:   # integers in the column: the per-value path
        out = []
        for v in values:
            a = _fast_addr(v)
            if a < 0:
                return None
            out.append(a)
        return out
    if joined.count(b"\n") != n - 1 or joined.translate(None, _HEX_AND_X) \
            or joined.count(b"x") + joined.count(b"X") != n \
            or (joined[:2] in (b"0x", b"0X")) + joined.count(b"\n0x") + joined.count(b"\n0X") != n \
            or joined.endswith((b"x", b"X")) or b"x\n" in joined or b"X\n" in joined \
            or b"h" * 17 in joined.translate(_DIGIT_TO_H):
        return None
    return list(map(int, values, repeat(16))) if convert else []


def _int(d: dict[str, Any], key: str, default: int, lo: int, hi: int, base: str) -> int:
    """integer() of ``d[key]`` with a default, the path built only on failure."""
    v = d.get(key, default)
    if type(v) is int and lo <= v <= hi:
        return v
    return integer(v, f"{base}.{key}", lo, hi)


def opt_address(v: Any, path: str) -> int | None:
    return None if v is None else address(v, path)


def location(v: Any, path: str) -> int | str:
    """A code location: an address, or ``sym``, ``sym+0x1f``, ``mod`sym+0x1f``."""
    if type(v) is str:
        if v[:2] in ("0x", "0X"):
            return address(v, path)
        if parse_location(v) is None:
            raise DumpError(path, f"{_show(v)} is not a code location (sym, sym+0x1f or mod`sym+0x1f)")
        return v
    return address(v, path)


def timestamp(v: Any, path: str) -> str:
    s = text(v, path)
    try:
        t = datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        raise DumpError(path, f"{_show(v)} is not an ISO 8601 time") from None
    if t.tzinfo is None:
        raise DumpError(path, f"{_show(v)} has no time zone (write e.g. 2008-05-12T17:39:00Z)")
    return s


def check_shape(v: Any, limits: Limits, root: str = "$") -> None:
    """Refuse nesting deeper than ``limits.max_depth`` and strings (values or
    keys) longer than ``limits.max_string``, naming the JSON path of the first
    offender. Iterative, so no document can exhaust the Python stack here."""
    max_depth, max_string = limits.max_depth, limits.max_string
    # (node, depth, trail); a trail is (key, parent trail), built into a path only on error
    stack: list[tuple[Any, int, Any]] = [(v, 1, None)]
    pop, push = stack.pop, stack.append
    while stack:
        node, depth, trail = pop()
        t = type(node)
        if t is str:
            if len(node) > max_string:
                raise DumpError(_trail_path(root, trail), _too_long(len(node), limits))
            continue
        if t is not dict and t is not list:
            continue
        if depth > max_depth:
            raise DumpError(_trail_path(root, trail),
                            f"nesting deeper than {max_depth} levels ({Limits.hint('max_depth')})")
        items = node.items() if t is dict else enumerate(node)
        for k, c in items:
            tc = type(c)
            if t is dict and isinstance(k, str) and len(k) > max_string:
                raise DumpError(_trail_path(root, trail), _too_long(len(k), limits, "a key"))
            if tc is str or tc is dict or tc is list:
                push((c, depth + 1, (k, trail)))


def _too_long(n: int, limits: Limits, what: str = "a string") -> str:
    return (f"{what} of {n} characters is longer than the limit of {limits.max_string} "
            f"({Limits.hint('max_string')})")


def _trail_path(root: str, trail: Any) -> str:
    keys = []
    while trail is not None:
        keys.append(trail[0])
        trail = trail[1]
    parts = [f"[{k}]" if type(k) is int else f".{k}" if _PLAIN_KEY.fullmatch(k) else f"[{_show(k)}]"
             for k in reversed(keys)]
    path = root + "".join(parts)
    return path if len(path) <= 100 else path[:60] + " ... " + path[-30:]


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
