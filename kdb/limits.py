"""Limits on what a dump file may contain, and how a user raises them.

A dump comes from a broken machine or a stranger, so the loader refuses a
file that is larger, more deeply nested or carries longer strings than these
limits, with a message naming the limit and how to raise it. The command
line (``--max-dump-bytes``, ``--max-depth``, ``--max-string``) wins over the
environment (``KDB_MAX_DUMP_BYTES``, ``KDB_MAX_DEPTH``, ``KDB_MAX_STRING``),
which wins over the defaults. Sizes accept a K, M or G suffix (powers of 2).
"""

from __future__ import annotations

import os
import re
from typing import Mapping

import attrs

DEFAULT_MAX_BYTES = 4 << 30
DEFAULT_MAX_DEPTH = 200
DEFAULT_MAX_STRING = 1 << 20
DEFAULT_MAX_OBJECT = 64 << 20

_SIZE = re.compile(r"([0-9]+)([KMG]?)", re.IGNORECASE)
_SHIFT = {"": 0, "K": 10, "M": 20, "G": 30}


def parse_size(text: str) -> int:
    """``"4096"``, ``"64K"``, ``"8M"`` or ``"4G"`` as a number; ValueError otherwise."""
    m = _SIZE.fullmatch(text.strip())
    if not m or int(m.group(1)) == 0:
        raise ValueError(f"{text!r} is not a positive size (a number, optionally with K, M or G)")
    return int(m.group(1)) << _SHIFT[m.group(2).upper()]


@attrs.frozen(slots=True)
class Limits:
    """How large a dump may be: file bytes, JSON nesting levels, characters per string."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_depth: int = DEFAULT_MAX_DEPTH
    max_string: int = DEFAULT_MAX_STRING
    #: bytes one typed object of the dump may lay out in memory (a 200-byte
    #: dump declaring a 1 GiB array must not take gigabytes)
    max_object: int = DEFAULT_MAX_OBJECT

    #: (attribute, command-line option, environment variable)
    KNOBS = (("max_bytes", "--max-dump-bytes", "KDB_MAX_DUMP_BYTES"),
             ("max_depth", "--max-depth", "KDB_MAX_DEPTH"),
             ("max_string", "--max-string", "KDB_MAX_STRING"),
             ("max_object", "--max-object-bytes", "KDB_MAX_OBJECT_BYTES"))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, /, **given: int) -> "Limits":
        """The limits GIVEN on the command line, else from ENVIRON, else the defaults.

        A malformed environment value is ignored (the default stands); a
        malformed command-line value is the caller's usage error."""
        env = os.environ if environ is None else environ
        values: dict[str, int] = {}
        for attr, _opt, var in cls.KNOBS:
            if given.get(attr) is not None:
                values[attr] = given[attr]
            elif var in env:
                try:
                    values[attr] = parse_size(env[var])
                except ValueError:
                    pass
        return cls(**values)

    @classmethod
    def hint(cls, attr: str) -> str:
        """``"raise it with --max-depth or KDB_MAX_DEPTH"`` for ATTR."""
        for name, opt, var in cls.KNOBS:
            if name == attr:
                return f"raise it with {opt} or {var}"
        raise KeyError(attr)


def long_string_possible(raw: bytes, limit: int) -> bool:
    """Whether RAW (JSON text) may hold a string longer than LIMIT characters.

    Cheap and conservative, so the fast path need not look at every string:
    a string of more than LIMIT characters spans more than LIMIT bytes, so it
    covers a whole aligned block of LIMIT // 2 bytes, and such a block either
    holds no quote at all or its first quote is escaped. Blocks are probed
    with one ``find`` each; False means no such string can exist, True means
    the caller must look precisely.
    """
    block = max(limit // 2, 1)
    pos = 0
    while pos + block <= len(raw):
        q = raw.find(b'"', pos, pos + block)
        if q < 0 or (q > 0 and raw[q - 1] == 0x5C):
            return True
        pos += block
    return False


#: command-line option -> Limits attribute
OPTION_ATTRS = {opt: attr for attr, opt, _var in Limits.KNOBS}
OPTIONS_USAGE = " ".join(f"[{opt} N]" for opt in OPTION_ATTRS)
#: the same, as getopt long options
GETOPT_LONG = [opt[2:] + "=" for opt in OPTION_ATTRS]


def take_option(args: list[str], i: int, given: dict[str, int]) -> int:
    """If ARGS[I] is a limit option (``--max-depth N`` or ``--max-depth=N``),
    record it in GIVEN and return how many words it took; else return 0.
    A bad value raises ValueError."""
    flag, eq, value = args[i].partition("=")
    if flag not in OPTION_ATTRS:
        return 0
    if not eq:
        if i + 1 >= len(args):
            raise ValueError(f"{flag} needs a value")
        value = args[i + 1]
    given[OPTION_ATTRS[flag]] = parse_size(value)
    return 1 if eq else 2
