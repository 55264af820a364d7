"""The parsed form of one mdb statement (the output of :mod:`kdb.lang.parser`).

Expressions are evaluated while parsing, as mdb's yacc actions do, so a
statement carries values, not expression trees: the address, the repeat
count and each stage's arguments.
"""

from __future__ import annotations

from typing import Any

import attrs


@attrs.define(slots=True, frozen=True)
class FmtChar:
    """One format character of a format list (``X``, ``J``, ``+``...)."""

    char: str


@attrs.define(slots=True, frozen=True)
class FmtText:
    """A quoted literal string in a format list, escapes already processed."""

    text: str


@attrs.define(slots=True, frozen=True)
class FmtCount:
    """A repeat count for the next format character (decimal or ``$[E]``)."""

    count: int


@attrs.define(slots=True)
class Stage:
    """One stage of a pipeline: a dcmd (format verbs are dcmds) or a shell command."""

    name: str                 # as typed: "::walk", "$d", "/", "=", ">"
    dcmd: Any = None          # the registry entry (kdb.modapi.Dcmd)
    args: list[Any] = attrs.Factory(list)   # str words, int immediates, Fmt* items
    shell: str | None = None  # a quoted shell command used as a stage


@attrs.define(slots=True)
class Statement:
    """One statement: forms 1 to 10 of mdb's grammar (docs/language.md, "Commands")."""

    form: str                 # "empty", "naked", "pipeline", "shell", "shellsrc"
    addr: int | None = None
    count: int | None = None
    stages: list[Stage] = attrs.Factory(list)
    sink: str | None = None   # "! cmd": the pipeline's output goes to a shell
    sink_source: bool = False  # "!< cmd": ...and the shell's output is run as commands
    shell: str | None = None  # forms 8 and 9: the command for "! cmd" / "!< cmd"
