"""dcmd options, declared once (docs/modules.md, "Options").

A dcmd lists its options as :class:`Opt` values when it registers. From that
one list come the usage line (``?[-fltz] [-c func] [object]``), the option
lines of ``::help``, completion, the generated docs/dcmds.md, and the parsed
options the dcmd receives (:func:`parse`, mdb's ``mdb_getopts``): a dcmd
never parses its own options, so it cannot parse one it does not declare.

The usage line is rendered as mdb writes it by hand: the plain flags in one
cluster (``[-afiv]``, declaration order), then each option with an argument
(``[-c func]``), mutually exclusive options together (``[-s sobj | -S
sobj]``), options with a usage of their own (``[+/-o opt]``), and last the
operands the registration gives (``[object]``); a ``{options}`` placeholder
in the operands puts the options inside them (``[[-n] pattern]``).
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterable, Sequence

import attrs

#: the kinds of option: a flag, a repeatable flag, a string, a number, and
#: a repeatable string whose values are collected in a list
KINDS = (bool, "count", str, int, list)


class UsageRequest(Exception):
    """Raised while parsing options: the framework prints the usage."""


@attrs.frozen(slots=True)
class Opt:
    """One option of a dcmd.

    ``letter``: the option character; ``kind``: ``bool`` (a flag),
    ``"count"`` (a flag that may repeat), ``str``, ``int`` (parsed in the
    current radix, or an immediate ``$[ ]``) or ``list`` (a string that may
    repeat); ``descr``: one line for ``::help``, completion and the docs;
    ``arg``: the argument's name in the usage line; ``group``: options in
    one group exclude each other (giving two is a usage error) and share
    one bracket in the usage;
    ``usage``: this option's own usage text, where mdb writes it unusually
    (``"-num|-n num"``), ``""`` to leave it out (another option's usage
    covers it); ``plus``: also accepted as ``+X`` (the value then records
    the sign: ``True`` for ``-X``, ``False`` for ``+X``; for a ``list``
    option, ``(sign, value)`` pairs); ``numeric``: ``-NUMBER`` means this
    option with the value NUMBER (decimal, as ``::head -5``);
    ``help``: this option's line in ``::help`` when it differs from
    ``descr``, or ``""`` when another option's line describes it.
    """

    letter: str
    kind: Any = bool
    descr: str = ""
    arg: str | None = None
    group: str | None = None
    usage: str | None = None
    plus: bool = False
    numeric: bool = False
    operand: str | None = None
    help: str | None = None

    def __attrs_post_init__(self) -> None:
        if len(self.letter) != 1:
            raise ValueError(f"option letter {self.letter!r} is not one character")
        if self.kind not in KINDS:
            raise ValueError(f"option -{self.letter}: kind {self.kind!r} is not one of {KINDS}")
        if self.kind in (str, int, list) and not self.arg and self.usage is None:
            raise ValueError(f"option -{self.letter} takes an argument: give it an arg name")

    @property
    def takes_value(self) -> bool:
        return self.kind in (str, int, list)

    @property
    def flag(self) -> str:
        """``-c func``: the option as ``::help`` lists it."""
        return f"-{self.letter} {self.arg}" if self.takes_value else f"-{self.letter}"

    def default(self) -> Any:
        if self.kind == "count":
            return 0
        if self.kind is list:
            return []
        if self.kind is bool and not self.plus:
            return False
        return None


def check_options(opts: Sequence[Opt]) -> tuple[Opt, ...]:
    """The options as a tuple, refusing a letter declared twice."""
    seen: set[str] = set()
    for o in opts:
        if not isinstance(o, Opt):
            raise TypeError(f"dcmd options must be kdb.modapi.Opt values, not {o!r}")
        if o.letter in seen:
            raise ValueError(f"option -{o.letter} is declared twice")
        seen.add(o.letter)
    return tuple(opts)


# ---------------------------------------------------------------------------
# the usage line
# ---------------------------------------------------------------------------
def render_options(opts: Sequence[Opt]) -> str:
    """The options part of a usage line, as mdb writes it."""
    parts: list[str] = []
    plain = "".join(o.letter for o in opts
                    if o.kind in (bool, "count") and o.group is None and o.usage is None
                    and not o.plus and o.operand is None)
    if plain:
        parts.append(f"[-{plain}]")
    done: set[str] = set()
    for o in opts:
        if o.usage is not None:
            if o.usage:
                parts.append(o.usage)
            continue
        if o.group is not None:
            if o.group in done:
                continue
            done.add(o.group)
            members = [m for m in opts if m.group == o.group and m.usage is None]
            parts.append("[" + " | ".join(m.flag for m in members) + "]")
            continue
        if o.operand is not None:
            parts.append(f"[{o.flag} [{o.operand}]]")
        elif o.takes_value:
            parts.append(f"[{o.flag}]")
    return " ".join(parts)


def render_usage(spec: str | None, opts: Sequence[Opt]) -> str | None:
    """A dcmd's usage line from its registered SPEC (address form and
    operands: ``"?"``, ``":"``, ``"?[object]"``) and its options."""
    rendered = render_options(opts)
    if spec is None and not rendered:
        return None
    spec = spec or ""
    prefix = spec[:1] if spec[:1] in ("?", ":") else ""
    operands = spec[len(prefix):]
    if "{options}" in operands:
        return prefix + operands.replace("{options}", rendered)
    return prefix + " ".join(p for p in (rendered, operands) if p)


def takes_operands(spec: str | None, opts: Sequence[Opt] = ()) -> bool:
    """Whether a usage SPEC names operands (anything after the address form),
    or an option brings one."""
    rest = (spec or "").lstrip("?:").replace("{options}", "")
    return bool(rest.strip(" []|")) or any(o.operand is not None for o in opts)


def help_lines(opts: Sequence[Opt]) -> list[str]:
    """The option lines of ``::help``: ``-c func  text``, aligned."""
    shown = [o for o in opts if o.help != ""]
    if not shown:
        return []
    width = max(len(o.flag) for o in shown)
    return [f"{o.flag.ljust(width)}  {o.help or o.descr}" for o in shown]


# ---------------------------------------------------------------------------
# parsing (mdb_getopts)
# ---------------------------------------------------------------------------
_NUMERIC = re.compile(r"-[0-9]+")


def parse(opts: Iterable[Opt], argv: Sequence[Any],
          to_int: Callable[[Any], int], to_str: Callable[[Any], str]) -> tuple[dict[str, Any], list[Any]]:
    """Parse leading options from ARGV as mdb_getopts does; return the values
    by letter and the operands left. Options stop at the first word that is
    not one (or after ``--``). Raises :class:`UsageRequest` on an unknown
    option or a missing argument. TO_INT and TO_STR convert arguments (the
    session's radix)."""
    spec = {o.letter: o for o in opts}
    values: dict[str, Any] = {o.letter: o.default() for o in spec.values()}
    numeric = next((o for o in spec.values() if o.numeric), None)
    i = 0
    argv = list(argv)
    while i < len(argv):
        a = argv[i]
        if not isinstance(a, str) or len(a) < 2 or a[0] not in "-+":
            break
        if a == "--":
            i += 1
            break
        if numeric is not None and _NUMERIC.fullmatch(a):
            # mdb_strtoull: past 64 bits saturates
            values[numeric.letter] = int(a[1:]) if len(a) <= 21 else (1 << 64) - 1
            i += 1
            continue
        sign = a[0] == "-"
        j = 1
        while j < len(a):
            o = spec.get(a[j])
            if o is None or (not sign and not o.plus):
                if not sign:
                    return values, argv[i:]        # '+word' is an operand
                raise UsageRequest(f"illegal option -- {a[j]}")
            if not o.takes_value:
                if o.kind == "count":
                    values[o.letter] += 1
                else:
                    values[o.letter] = sign if o.plus else True
                j += 1
                continue
            rest = a[j + 1:]
            if rest:
                val: Any = rest
            else:
                i += 1
                if i >= len(argv):
                    raise UsageRequest(f"option requires an argument -- {o.letter}")
                val = argv[i]
            if o.kind is int:
                val = to_int(val)
            elif not isinstance(val, str):
                val = to_str(val)
            if o.kind is list:
                values[o.letter].append((sign, val) if o.plus else val)
            else:
                values[o.letter] = (sign, val) if o.plus else val
            break
        i += 1
    groups: dict[str, str] = {}
    for o in spec.values():
        if o.group is not None and values[o.letter] not in (None, False, 0, []):
            if o.group in groups:
                raise UsageRequest(f"-{groups[o.group]} and -{o.letter} exclude each other")
            groups[o.group] = o.letter
    return values, argv[i:]
