"""Shell escapes: ``! cmd``, ``pipeline ! cmd``, ``! cmd | dcmd`` and ``!<``.

Every escape goes through :func:`shell_ready`, which refuses them under
kmdb and ``--no-shell`` and flushes kdb's own output first (the shell writes
to the same stdout).
"""

from __future__ import annotations

import os
import subprocess
from typing import TYPE_CHECKING

from kdb.errors import ParseAbort
from kdb.output.sanitize import encode

if TYPE_CHECKING:  # pragma: no cover
    from kdb.engine.session import Session


def shell_ready(s: "Session") -> str:
    """The shell for an escape, once escapes are allowed and kdb's own
    output so far is out (the shell writes to the same stdout)."""
    if s.kmdb:
        raise ParseAbort("shell escape facility not available in kmdb")
    if not s.shell_allowed:
        raise ParseAbort("shell escapes are disabled (--no-shell)")
    s.out.nlflush()
    s.flush_stdout()
    return os.environ.get("SHELL") or "/bin/sh"


def run_shell(s: "Session", command: str, *, capture: bool = False,
              stdin_text: str | None = None) -> str | None:
    """Run ``$SHELL -c command``; its output goes straight to stdout."""
    shell = shell_ready(s)
    inherit = not capture and s.stdout_fd is not None
    try:
        proc = subprocess.run(
            [shell, "-c", command],
            input=encode(stdin_text or ""),
            stdout=None if inherit else subprocess.PIPE,
            stderr=None,
        )
    except OSError as e:
        s.warn(f"failed to exec {shell}: {e.strerror}")
        return None
    if inherit:
        return ""
    text = proc.stdout.decode("utf-8", "replace")
    if capture:
        return text
    s._write(text)
    return text


def open_shell_sink(s: "Session", command: str) -> "subprocess.Popen[bytes] | None":
    """For ``pipeline ! command`` with the real stdout: start the shell now so
    output streams into it (memory stays flat, ``! head`` ends the command).
    None where the output must be captured instead (no stdout descriptor)."""
    shell = shell_ready(s)
    if s.stdout_fd is None:
        return None
    try:
        return subprocess.Popen([shell, "-c", command], stdin=subprocess.PIPE)
    except OSError as e:
        raise ParseAbort(f"failed to exec {shell}: {e.strerror}") from None
