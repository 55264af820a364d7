"""Error classes, mirroring the three ways mdb reports a problem.

* :class:`SyntaxFault` is mdb's ``yyerror``: a parse error that gets the
  `` on line N of NAME`` / `` near "TOKEN"`` suffix and aborts the statement.
* :class:`ParseAbort` is mdb's ``yyperror``: a message (already complete)
  that aborts the statement without a location suffix.
* :class:`CmdError` is ``mdb_warn`` followed by ``return (DCMD_ERR)``: a dcmd
  failed, the message is printed and the session goes on.
"""

from __future__ import annotations

#: exit statuses of the command line (mdb's, docs/language.md "Exit status")
EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2

# errno texts used by mdb (mdb_err.c)
ENOSYM = "unknown symbol name"
ENOOBJ = "unknown object file name"
ENOMAP = "no mapping for address"
ENODCMD = "unknown dcmd name"
ENOWALK = "unknown walk name"
ENOMOD = "specified module is not loaded"
ENOTSUP = "operation not supported by target"
ERDONLY = "target is not open for writing"
ENOMEMBER = "no such member of structure or union"
EFAILED = "failed to evaluate command"
EDCMDFAIL = "dcmd failed"


class KdbError(Exception):
    """Base class of every error kdb reports to its user."""


class SyntaxFault(KdbError):
    """A lexer/parser error (mdb ``yyerror``)."""

    def __init__(self, message: str, *, suffix: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.suffix = suffix


class ParseAbort(KdbError):
    """A complete message that aborts parsing (mdb ``yyperror``)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CmdError(KdbError):
    """A dcmd failure: the message is printed and the dcmd returns DCMD_ERR."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ReadError(KdbError):
    """A target memory read failed; ``reason`` is the errno text."""

    def __init__(self, addr: int, reason: str = ENOMAP) -> None:
        super().__init__(reason)
        self.addr = addr
        self.reason = reason


class QuitSession(Exception):
    """Raised by ``$q`` / ``::quit`` to leave the session."""

    def __init__(self, status: int = 0) -> None:
        super().__init__(status)
        self.status = status


class PagerQuit(Exception):
    """The user answered ``q`` at the pager: abandon the rest of the output."""


class ShellSinkClosed(PagerQuit):
    """The shell reading a ``pipeline ! command`` exited: stop the output."""
