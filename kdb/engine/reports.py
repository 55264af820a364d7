"""Internal-error reports: what a bug in kdb leaves behind.

A bug never shows the user a traceback: the session prints one line naming
the report file this module writes (the command line or argv, the dump and
the traceback), and goes on. Used by the session (a dcmd failed) and by the
CLI (anything else); docs/robustness.md.
"""

from __future__ import annotations

import os
import tempfile
import traceback

from kdb.version import __version__


def write_report(exc: BaseException, what: str, *, command: str | None = None,
                 argv: list[str] | None = None, dump: str | None = None) -> str | None:
    """Write a report of EXC in a fresh temporary file and return its path,
    or None when it cannot be written."""
    try:
        fd, path = tempfile.mkstemp(prefix="kdb-internal-", suffix=".txt")
        with os.fdopen(fd, "w") as f:
            f.write(f"kdb {__version__} {what}\n")
            if command is not None:
                f.write(f"command: {command!r}\n")
            if argv is not None:
                f.write(f"argv: {argv!r}\n")
            if dump is not None:
                f.write(f"dump: {dump}\n")
            f.write("".join(traceback.format_exception(exc)))
        return path
    except OSError:
        return None
