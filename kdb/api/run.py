"""Running mdb commands from Python: :class:`Result` and
:class:`DumpSession`.

A command runs in a real :class:`~kdb.engine.session.Session`, exactly as
``kdb -e`` runs it, with two collectors: the text the CLI prints on
standard output, and the records ``--format json`` prints (kdb.modapi's
``Call.emit`` renders each record's text *and* hands the record over, see
``Session.records_with_text``). Errors are the CLI's stderr lines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

import attrs

from kdb.api.html import records_table
from kdb.engine.session import Session
from kdb.errors import EXIT_FAIL, EXIT_OK
from kdb.output.sanitize import sanitize
from kdb.output.structured import json_record

if TYPE_CHECKING:
    from kdb.api.dump import Dump

__all__ = ["Result", "DumpSession"]


@attrs.frozen(slots=True)
class Result:
    """What one command line printed.

    ``text``: exactly what ``kdb -e COMMAND DUMP`` prints on standard
    output; ``records``: the records of ``kdb --format json`` (each with
    ``dcmd`` and ``kind``; addresses as ``"0x..."`` strings, as in the JSON
    output); ``errors``: the lines it prints on standard error
    (``kdb: ...``); ``status``: its exit status (0, or 1 after a syntax
    error or a failed last dcmd)."""

    command: str
    text: str
    records: tuple[dict[str, Any], ...]
    errors: tuple[str, ...]
    status: int

    @property
    def ok(self) -> bool:
        """The command ran and its last dcmd succeeded."""
        return self.status == EXIT_OK

    def __str__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        """Jupyter: the records as a table (the text where there are none),
        every value escaped."""
        return records_table(self.records, self.text, self.errors)


class _Recorder:
    """Plays ``--format json``'s collector (kdb.output.structured) beside the
    text: records as the JSON output has them; a dcmd that makes no record
    gives its text as a ``text`` record; warnings as the CLI's lines."""

    def __init__(self, text: list[str], pname: str, addresses: frozenset[str]) -> None:
        self.text = text
        self.pname = pname
        self.addresses = addresses
        self.records: list[dict[str, Any]] = []
        self.errors: list[str] = []

    def record(self, dcmd: str, kind: str, record: dict[str, Any]) -> None:
        self.records.append(json_record(dcmd, kind, record, self.addresses))

    def begin_call(self) -> tuple[int, int]:
        return len(self.records), len(self.text)

    def end_call(self, dcmd: str, mark: tuple[int, int]) -> None:
        records, texts = mark
        text = "".join(self.text[texts:])
        if len(self.records) == records and text:
            self.records.append({"dcmd": dcmd, "kind": "text", "text": text})

    def error(self, message: str) -> None:
        self.errors.append(sanitize(f"{self.pname}: {message}"))

    def finish(self, command: str, status: int) -> None:
        pass


class DumpSession:
    """A stateful session on a dump: variables, dot, ``::typedef``s and the
    other debugger state persist between :meth:`run` calls, as at the
    prompt. Shell escapes (``!``) run only where the CLI allows them
    (``KDB_NO_SHELL`` unset)."""

    def __init__(self, dump: "Dump") -> None:
        from kdb.engine.runner import shell_allowed
        self._dump = dump
        self._text: list[str] = []
        pname = "kmdb" if dump.kmdb else "kdb"
        self._session = Session(dump._target, pname=pname, write=self._text.append,
                                write_err=self._text_err, kmdb=dump.kmdb, shell_allowed=shell_allowed())
        self._recorder = _Recorder(self._text, pname, self._session.registry.address_fields())
        self._session.record_sink = self._recorder.record
        self._session.structured = self._recorder
        self._session.records_with_text = True
        for err in self._session.module_errors:
            self._session.warn(err)
        self._recorder.errors.clear()

    def _text_err(self, text: str) -> None:
        # what bypasses warn (a shell escape's stderr, internal errors): as written
        self._recorder.errors.extend(sanitize(line) for line in text.splitlines() if line)

    def run(self, command: str) -> Result:
        """Run COMMAND (one or more lines, ``;``-separated statements) and
        return what it printed."""
        from kdb.errors import QuitSession
        self._text.clear()
        self._recorder.records.clear()
        self._recorder.errors.clear()
        try:
            r = self._session.run_string(command.rstrip("\n") + "\n", "(string)")
            status = EXIT_FAIL if r.parse_error or r.status != 0 else EXIT_OK
        except QuitSession as q:
            status = q.status
        self._session.out.nlflush()
        # what the CLI's one sanitising writer (kdb.output.sanitize) would write
        return Result(command, sanitize("".join(self._text)), tuple(self._recorder.records),
                      tuple(self._recorder.errors), status)

    def lines(self, command: str) -> Iterator[str]:
        """The text lines COMMAND prints (without their newlines)."""
        return iter(self.run(command).text.splitlines())
