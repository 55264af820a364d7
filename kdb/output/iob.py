"""The output engine: mdb's output buffer ("iob") with its exact spacing rules.

mdb never writes stdout directly. Text goes through a line buffer that knows
the page width (80 columns when stdout is not a terminal), the tab stop (8),
the 16-column indent margin used by the format verbs, and the autowrap rules
that decide where a line breaks. This module reproduces those rules; see
docs/language.md, "Repeat counts and format characters":

* INDENT: every new line starts with the 16-column margin while it is set;
* AUTOWRAP: before a formatted item of width W, break the line if it would
  pass the last column; left-justified padding that would reach the last
  column becomes a newline instead; verbatim text is split hard at the edge;
* the "nl-flush" after each command: a line holding only the margin is
  dropped, any other unfinished line gets its newline.

Completed lines are handed to ``sink`` immediately, so output streams.
"""

from __future__ import annotations

from typing import Callable, Iterable

DEFAULT_COLS = 80
TABSTOP = 8
MARGIN = 16
PIPE_COLS = 1 << 30  # pipes: autowrap off and a very wide column limit
# without autowrap a line has no edge: past this many characters its start
# goes to the sink, so a runaway line (=ffffffffc into a pipe) keeps memory flat
MAX_LINE = 1 << 16


class OutputBuffer:
    """One output stream with mdb's line discipline."""

    __slots__ = ("sink", "cols", "tabstop", "margin", "line", "indent",
                 "_autowrap_opt", "_forced_wrap", "tty", "color", "is_pipe", "_wrap")

    def __init__(self, sink: Callable[[str], object], *, cols: int = DEFAULT_COLS,
                 tty: bool = False, color: bool = False, is_pipe: bool = False) -> None:
        self.sink = sink
        self.cols = cols
        self.tabstop = TABSTOP
        self.margin = MARGIN
        self.line = ""
        self.indent = False
        self._autowrap_opt = False
        self._forced_wrap = False
        self.tty = tty
        self.color = color
        self.is_pipe = is_pipe
        self._wrap = False

    # -- state ------------------------------------------------------------
    @property
    def autowrap(self) -> bool:
        """Autowrap is on: the ``autowrap`` option, or forced for format characters."""
        return self._wrap

    @property
    def autowrap_opt(self) -> bool:
        return self._autowrap_opt

    @autowrap_opt.setter
    def autowrap_opt(self, on: bool) -> None:
        self._autowrap_opt = on
        self._wrap = (on or self._forced_wrap) and not self.is_pipe

    @property
    def forced_wrap(self) -> bool:
        return self._forced_wrap

    @forced_wrap.setter
    def forced_wrap(self, on: bool) -> None:
        self._forced_wrap = on
        self._wrap = (self._autowrap_opt or on) and not self.is_pipe

    @property
    def nbytes(self) -> int:
        return len(self.line)

    def _margin_only(self) -> bool:
        return self.indent and self.line == " " * self.margin

    def _empty(self) -> bool:
        return not self.line or self._margin_only()

    def set_indent(self, on: bool) -> None:
        """Set or clear the INDENT flag, inserting or removing the margin."""
        if on and not self.indent:
            self.indent = True
            if not self.line:
                self.line = " " * self.margin
        elif not on and self.indent:
            if self._margin_only():
                self.line = ""
            self.indent = False

    # -- primitive output -------------------------------------------------
    def nl(self) -> None:
        """End the current line."""
        line, self.line = self.line, ""
        self.sink(line + "\n")
        if self.indent:
            self.line = " " * self.margin

    def nlflush(self) -> None:
        """The newline flush that follows every command."""
        if self._margin_only() or not self.line:
            self.line = ""
            return
        self.nl()
        if self._margin_only():
            self.line = ""

    def _spill(self) -> None:
        """Send the start of an overlong unwrapped line to the sink."""
        line, self.line = self.line, ""
        self.sink(line)

    def _put(self, text: str) -> None:
        """Append text without newlines, splitting at the edge under autowrap."""
        if not self._wrap:
            self.line += text
            if len(self.line) > MAX_LINE:
                self._spill()
            return
        while text:
            room = self.cols - len(self.line)
            if room <= 0:
                self.nl()
                continue
            if len(text) <= room:
                self.line += text
                return
            self.line += text[:room]
            text = text[room:]
            self.nl()

    def write(self, text: str) -> None:
        """Write verbatim text; newlines end lines and tabs move to tab stops."""
        if "\n" not in text and "\t" not in text:
            if text:
                if self._wrap:
                    self._put(text)
                else:
                    self.line += text
                    if len(self.line) > MAX_LINE:
                        self._spill()
            return
        parts = text.split("\n")
        for i, part in enumerate(parts):
            if i:
                self.nl()
            if "\t" in part:
                chunks = part.split("\t")
                for j, chunk in enumerate(chunks):
                    if j:
                        self.tab()
                    if chunk:
                        self._put(chunk)
            elif part:
                self._put(part)

    def write_line(self, text: str) -> None:
        """A whole line of plain text (no newline or tab in it), then the newline.

        The fast path of dcmds that print many lines; identical in effect to
        ``write(text + "\\n")``.
        """
        if self._wrap:
            self.write(text + "\n")
            return
        line, self.line = self.line + text, ""
        self.sink(line + "\n")
        if self.indent:
            self.line = " " * self.margin

    def write_block(self, lines: list[str]) -> None:
        """A few plain lines, written with one call to the sink when possible."""
        if self._wrap or self.line or self.indent:
            for text in lines:
                self.write_line(text)
            return
        lines.append("")
        self.sink("\n".join(lines))

    def write_lines(self, lines: "Iterable[str]") -> None:
        """Many plain lines at once (batched into large writes when possible)."""
        if self._wrap or self.indent or self.line:
            for text in lines:
                self.write_line(text)
            return
        sink = self.sink
        batch: list[str] = []
        for text in lines:
            batch.append(text)
            if len(batch) >= 8192:
                batch.append("")
                sink("\n".join(batch))
                batch.clear()
        if batch:
            batch.append("")
            sink("\n".join(batch))

    def ws(self, n: int) -> None:
        """Padding: under autowrap, padding that would reach the edge is a newline."""
        if n <= 0:
            return
        if self._wrap and len(self.line) + n >= self.cols:
            self.nl()
            return
        while n > MAX_LINE:
            self.line += " " * MAX_LINE
            self._spill()
            n -= MAX_LINE
        self.line += " " * n

    def item(self, text: str, width: int = 0, left: bool = False,
             zero: bool = False) -> None:
        """Emit one formatted item of the given field width.

        An item holding a newline (``%s`` of a string with one) ends the
        line there, as mdb's iob does for every byte it writes."""
        if "\n" in text:
            pad = width - len(text)
            if pad > 0:
                text = ("0" * pad + text if zero and not left else
                        text + " " * pad if left else " " * pad + text)
            self.write(text)
            return
        if not self._wrap:
            pad = width - len(text)
            if pad <= 0:
                self.line += text
            elif zero and not left:
                self.line += "0" * pad + text
            elif left:
                self.line += text + " " * pad
            else:
                self.line += " " * pad + text
            if len(self.line) > MAX_LINE:
                self._spill()
            return
        w = max(len(text), width)
        if (self._wrap and not self._empty()
                and len(self.line) + w > self.cols):
            self.nl()
        pad = width - len(text)
        if pad > 0 and zero and not left:
            self._put("0" * pad + text)
            return
        if left:
            self._put(text)
            self.ws(pad)
        else:
            self.ws(pad)
            self._put(text)

    def tab_to(self, stop: int) -> None:
        """Advance to the next multiple of ``stop`` (``%T``, ``%t``, format ``t``)."""
        if stop <= 0:
            return
        rem = len(self.line) % stop
        if rem:
            self.ws(stop - rem)

    def tab(self) -> None:
        """A tab character: always moves to the next tab stop."""
        n = len(self.line)
        target = (n // self.tabstop + 1) * self.tabstop
        if self._wrap and target >= self.cols:
            self.nl()
            return
        self.line += " " * (target - n)

    def attr(self, code: str, on: bool) -> None:
        """Terminal attributes (%<b>, %<u>...): nothing unless colour is on."""
        if not self.color:
            return
        codes = {"b": "1", "u": "4", "s": "7", "r": "7", "d": "2", "a": "5"}
        c = codes.get(code)
        if c is None:
            return
        self.line += f"\x1b[{c}m" if on else "\x1b[0m"
