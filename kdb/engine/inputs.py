"""Where input lines come from (mdb's input sources)."""

from __future__ import annotations

import attrs


@attrs.define(slots=True)
class InputSource:
    """Where input lines come from: decides error suffixes and naked expressions."""

    name: str                 # "(string)", "(stdin)", a macro file name
    is_string: bool = False   # -e / ::eval: a naked expression only sets dot
    is_tty: bool = False      # a terminal: no " on line N of NAME" suffix
    lineno: int = 0
    abandoned: bool = False   # set by $< : stop reading this source
