"""Running a session on the real standard streams: the one place that the
CLI (``kdb``) and ``kdb exercise`` open a session and feed it input.

* :func:`open_session`: a :class:`Session` on stdout/stderr, with the
  terminal's width, colour (unless ``NO_COLOR``) and the stdout descriptor
  for shell escapes;
* :func:`run_commands`: ``-e CMDS`` (exit 1 after a parse error or a failed
  last dcmd, as mdb);
* :func:`run_stdin`: a script on stdin (exit 0 at its end, as mdb);
* :func:`run_input`: whichever of the three the streams call for, the
  interactive prompt when both are terminals.
"""

from __future__ import annotations

import os
import sys
from typing import IO, Any

from kdb.engine.inputs import InputSource
from kdb.engine.session import Session
from kdb.errors import EXIT_FAIL, EXIT_OK, QuitSession
from kdb.target.base import Target


def _fileno(stream: IO[Any]) -> int | None:
    try:
        return stream.fileno()
    except (OSError, ValueError, AttributeError):
        return None


def shell_allowed(no_shell: bool = False) -> bool:
    """Whether shell escapes are allowed: not with ``--no-shell`` (NO_SHELL)
    or ``KDB_NO_SHELL`` set to anything but ``0``."""
    return not no_shell and os.environ.get("KDB_NO_SHELL", "") in ("", "0")


def open_session(target: Target, *, pname: str = "kdb", kmdb: bool = False,
                 shell_allowed: bool = True) -> Session:
    """A session writing to the real stdout and stderr."""
    tty = sys.stdout.isatty()
    cols = None
    if tty:
        try:
            cols = os.get_terminal_size(sys.stdout.fileno()).columns
        except OSError:
            cols = None
    return Session(target, pname=pname, tty=tty, color=tty and not os.environ.get("NO_COLOR"),
                   cols=cols, kmdb=kmdb, shell_allowed=shell_allowed,
                   stdout_fd=_fileno(sys.stdout))


def run_commands(session: Session, commands: str) -> int:
    """Run ``-e`` COMMANDS; the exit status mdb gives them."""
    result = session.run_string(commands + "\n", "(string)")
    session.flush_stdout()
    if result.parse_error:
        return EXIT_FAIL
    return EXIT_FAIL if result.status != 0 else EXIT_OK


def run_stdin(session: Session) -> int:
    """Run the script on stdin to its end (or to ``$q``)."""
    src = InputSource("(stdin)")
    for line in sys.stdin:
        src.lineno += 1
        session.run_line(line.rstrip("\n"), src)
        if src.abandoned:
            break
    session.flush_stdout()
    return EXIT_OK


def run_input(session: Session, commands: str | None = None, *, vi: bool = False,
              intro: str | None = None) -> int:
    """Run COMMANDS if given, else stdin: the interactive prompt when stdin
    and stdout are terminals, a script otherwise. INTRO is printed first
    (not with COMMANDS). ``$q`` ends any of them with its status."""
    try:
        if commands is not None:
            return run_commands(session, commands)
        if intro:
            session.out.write(intro)
        if sys.stdin.isatty() and sys.stdout.isatty():
            from kdb.ui.console import interact
            return interact(session, vi=vi)
        return run_stdin(session)
    except QuitSession as q:
        session.out.nlflush()
        session.flush_stdout()
        return q.status
