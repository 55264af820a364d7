"""Completion for the interactive prompt: dcmds, walkers, options, symbols.

:func:`complete` is the engine (pure, fast, testable without a terminal);
:class:`MdbCompleter` adapts it to prompt_toolkit. Everything offered comes
from the registrations (names and one-line descriptions) and the target's
symbol table, kept sorted so a prefix is found by bisection even for a
large kernel's symbols.
"""

from __future__ import annotations

import bisect
import re
from typing import TYPE_CHECKING, Iterable, NamedTuple

if TYPE_CHECKING:  # pragma: no cover
    from kdb.engine.session import Session

_WORD = re.compile(r"[A-Za-z_.$`0-9]*$")
_CMD = re.compile(r"(?:::|\$|:)([A-Za-z0-9_.`$<>?]*)$")


class Candidate(NamedTuple):
    """One completion: the text to insert, what to show, and its description."""

    text: str
    display: str
    meta: str
    start: int          # negative offset from the cursor where ``text`` replaces


def _statement_tail(line: str) -> str:
    """The text of the statement the cursor is in (after the last ``;``/``|``)."""
    depth = 0
    cut = 0
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
            continue
        if ch in "'\"":
            quote = ch
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth = max(0, depth - 1)
        elif ch in ";|" and depth == 0:
            cut = i + 1
    return line[cut:]


class SymbolIndex:
    """Sorted symbol names for prefix lookup."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = sorted(set(names))

    def prefixed(self, prefix: str, limit: int = 200) -> list[str]:
        i = bisect.bisect_left(self.names, prefix)
        out: list[str] = []
        while i < len(self.names) and self.names[i].startswith(prefix) and len(out) < limit:
            out.append(self.names[i])
            i += 1
        return out


def complete(session: "Session", line: str, symbols: SymbolIndex | None = None) -> list[Candidate]:
    """Completions for the text before the cursor."""
    reg = session.registry
    tail = _statement_tail(line).lstrip()
    # ::name or $x at the start of a command (after an address expression)
    m = _CMD.search(tail)
    if m and (m.start() == 0 or tail[m.start() - 1] in " \t,0123456789abcdefABCDEF.()+-*%#&^~<>="):
        typed = tail[m.start():]
        if typed.startswith("::"):
            prefix = typed[2:]
            out = []
            for d in sorted(reg.all_dcmds(), key=lambda d: d.name):
                if d.name.startswith(prefix) and d.name[0] not in "$:/=\\?>@":
                    out.append(Candidate(d.name, "::" + d.name, d.descr, -len(prefix)))
            return out
        if typed[:1] in "$:" and not typed.startswith("::"):
            out = []
            for d in sorted(reg.all_dcmds(), key=lambda d: d.name):
                if d.name.startswith(typed) and d.name[0] in "$:":
                    out.append(Candidate(d.name, d.name, d.descr, -len(typed)))
            return out
    words = tail.split()
    ends_blank = tail[-1:] in (" ", "\t")
    current = "" if ends_blank or not words else words[-1]
    cmd_index = next((i for i, w in enumerate(words) if "::" in w), None)
    if cmd_index is not None:
        name = words[cmd_index].split("::", 1)[1]
        args = words[cmd_index + 1:]
        nargs_done = len(args) - (0 if ends_blank else 1)
        if name == "walk" and nargs_done == 0:
            return [Candidate(w.name, w.name, w.descr, -len(current))
                    for w in sorted(reg.all_walkers(), key=lambda w: w.name)
                    if w.name.startswith(current)]
        if name in ("help", "which", "whence") and nargs_done >= 0:
            return [Candidate(d.name, d.name, d.descr, -len(current))
                    for d in sorted(reg.all_dcmds(), key=lambda d: d.name)
                    if d.name.startswith(current)]
        if name in ("print", "sizeof", "offsetof", "list", "array") and not current.startswith("-"):
            got = _complete_types(session, [a for a in args if not a.startswith("-")], current, ends_blank)
            if got is not None:
                return got
        dcmd = reg.dcmd(name)
        if dcmd is not None and current[:1] in ("-", "+"):
            flags = [(f"{sign}{o.letter}", o.descr) for o in dcmd.options
                     for sign in ("-", "+") if sign == "-" or o.plus]
            return [Candidate(flag, flag, text, -len(current)) for flag, text in flags
                    if flag.startswith(current)]
        if current and symbols is not None and not current[0].isdigit():
            # an argument such as ::stacks -c FUNC or ::nm MODULE: symbol names
            return [Candidate(n, n, "symbol", -len(current)) for n in symbols.prefixed(current)]
        return []
    # an expression: symbol names
    sm = _WORD.search(tail)
    word = sm.group(0) if sm else ""
    if word and not word[0].isdigit() and symbols is not None:
        return [Candidate(n, n, "symbol", -len(word)) for n in symbols.prefixed(word)]
    return []


def _complete_types(session: "Session", args: list[str], current: str,
                    ends_blank: bool) -> list[Candidate] | None:
    """Type names for the first argument, then members of that type (a.b paths too)."""
    ts = getattr(session, "types", None)
    if ts is None or ts.model is None:
        return None
    done = args if ends_blank else args[:-1]
    if not done:
        names = sorted(n for n in ts.types if not n.startswith(("struct ", "union ", "enum ")))
        return [Candidate(n, n, ts.types[n].resolve().kind, -len(current))
                for n in names if n.startswith(current)]
    t = ts.find(done[0])
    if t is None:
        return []
    head, _, last = current.rpartition(".")
    cur = t
    for part in head.split(".") if head else []:
        m = cur.member(part)
        if m is None:
            return []
        cur = m.type
    return [Candidate(f"{head}.{m.name}" if head else m.name, m.name, m.type.name, -len(current))
            for m in cur.resolve().members if m.name and m.name.startswith(last)]


try:  # the adapter needs prompt_toolkit; the engine above does not
    from prompt_toolkit.completion import CompleteEvent, Completer, Completion
    from prompt_toolkit.document import Document

    class MdbCompleter(Completer):
        """prompt_toolkit completer over :func:`complete`."""

        def __init__(self, session: "Session") -> None:
            self.session = session
            self._symbols: SymbolIndex | None = None

        @property
        def symbols(self) -> SymbolIndex:
            if self._symbols is None:
                self._symbols = SymbolIndex(self.session.target.symbol_names())
            return self._symbols

        def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
            for c in complete(self.session, document.text_before_cursor, self.symbols):
                yield Completion(c.text, start_position=c.start, display=c.display,
                                 display_meta=c.meta)
except ImportError:  # pragma: no cover
    MdbCompleter = None  # type: ignore[assignment,misc]
