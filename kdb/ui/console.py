"""The interactive loop when stdin and stdout are terminals.

Uses the prompt_toolkit REPL (:mod:`kdb.ui.repl`) when it is available, else a
minimal line reader. Both feed the same engine as batch mode.
"""

from __future__ import annotations

from kdb.errors import QuitSession
from kdb.engine.session import InputSource, Session
from kdb.ui.prompt import prompt_for


def interact(session: Session, *, vi: bool = False) -> int:
    try:
        from kdb.ui.repl import run_repl
    except ImportError:         # no prompt_toolkit: the plain loop
        return simple_loop(session)
    return run_repl(session, vi=vi)


def simple_loop(session: Session) -> int:
    """A plain ``input()`` loop: Ctrl-C abandons the line, Ctrl-D quits."""
    src = InputSource("(stdin)", is_tty=True)
    while True:
        try:
            line = input(prompt_for(session))
        except EOFError:
            session.out.nlflush()
            print()
            return 0
        except KeyboardInterrupt:
            print()
            continue
        src.lineno += 1
        try:
            session.run_line(line, src)
        except KeyboardInterrupt:
            session.out.nlflush()
            session.flush_stdout()
            print()
        except QuitSession as q:
            return q.status
