"""The one sanitising writer every byte kdb writes goes through
(docs/robustness.md, "Terminal safety").

:class:`SafeWriter` wraps stdout and stderr for the whole run of the ``kdb``
command (``kdb.apps.cli.main`` installs it), so no code path, a subcommand's
report or a dcmd's layout alike, can send a dump's control characters to a
terminal, a pipe or a file: C0 controls but tab and newline, DEL and C1 are
written as ``\\xNN``; a character the stream cannot encode (a lone surrogate
from a hostile dump) as ``\\udcNN``. kdb's own terminal attributes (``%<u>``
and friends: ``ESC [ N m``, N one of 0 1 2 4 5 7) are the one exception.
The pager and the pipes into shell commands use :func:`sanitize` too.
"""

from __future__ import annotations

import io
import re
from typing import IO, Any

#: control characters (C0 but tab and newline, DEL, C1) -> ``\xNN``
CONTROL_ESCAPES = {c: "\\x%02x" % c for c in list(range(0x20)) + list(range(0x7F, 0xA0)) if c not in (9, 10)}
#: the attribute sequences kdb itself writes (kdb.output.iob OutputBuffer.attr)
_OWN_SGR = re.compile(r"(\x1b\[[012457]m)")


def sanitize(text: str) -> str:
    """TEXT with every control character escaped, kdb's own attributes kept."""
    if _plain(text):
        return text
    if "\x1b" not in text:
        return text.translate(CONTROL_ESCAPES)
    parts = _OWN_SGR.split(text)
    return "".join(p if i % 2 else p.translate(CONTROL_ESCAPES) for i, p in enumerate(parts))


def _plain(text: str) -> bool:
    """No control character at all (newlines and tabs aside): the common case."""
    return text.replace("\n", "").replace("\t", "").isprintable()


def encode(text: str, encoding: str = "utf-8") -> bytes:
    """Sanitised TEXT as bytes; what the encoding cannot hold, escaped."""
    return sanitize(text).encode(encoding, "backslashreplace")


class SafeWriter(io.TextIOBase):
    """A text stream that sanitises what it is given and writes it to STREAM
    (through its binary buffer when it has one)."""

    def __init__(self, stream: IO[str]) -> None:
        super().__init__()
        self.stream = stream
        self.buffer: Any = getattr(stream, "buffer", None)
        self._encoding: str = getattr(stream, "encoding", None) or "utf-8"

    def write(self, s: str) -> int:
        if self.buffer is not None:
            self.stream.flush()                      # what went straight to the stream first
            self.buffer.write(encode(s, self._encoding))
            if "\n" in s and getattr(self.stream, "line_buffering", False):
                self.buffer.flush()                  # a terminal sees each line at once
        else:
            self.stream.write(encode(s, self._encoding).decode(self._encoding))
        return len(s)

    def flush(self) -> None:
        if self.buffer is not None:
            self.buffer.flush()
        self.stream.flush()

    def fileno(self) -> int:
        return self.stream.fileno()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def writable(self) -> bool:
        return True
