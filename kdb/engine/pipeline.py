"""Running a statement's pipeline: mdb's semantics (docs/language.md, "Pipelines").

A stage's whole output is collected, parsed as addresses, and the next stage
runs once per address with ``DCMD_ADDRSPEC|DCMD_PIPE|DCMD_LOOP`` (and
``DCMD_LOOPFIRST`` on the first). :func:`run_pipeline` runs a whole
statement; :func:`run_stage` runs one stage into a pipe and returns the
addresses it passes on (``::explain`` uses it); :func:`call_dcmd` invokes one
dcmd once and turns its outcome into a status (``mdb_call_idcmd``).
"""

from __future__ import annotations

import re
import subprocess
from typing import TYPE_CHECKING, Any, Iterable

import attrs

from kdb.engine import shell
from kdb.engine.inputs import InputSource
from kdb.errors import (CmdError, PagerQuit, ParseAbort, QuitSession, ReadError, ShellSinkClosed,
                        SyntaxFault)
from kdb.lang.parser import Parser
from kdb.lang.statements import Stage, Statement
from kdb.modapi import (DCMD_ABORT, DCMD_ADDRSPEC, DCMD_ERR, DCMD_LOOP, DCMD_LOOPFIRST, DCMD_NEXT,
                        DCMD_OK, DCMD_PIPE, DCMD_PIPE_OUT, DCMD_USAGE, Call, Dcmd, UsageRequest)
from kdb.numbers import MASK64, numtostr
from kdb.output.iob import DEFAULT_COLS, PIPE_COLS, OutputBuffer
from kdb.output.sanitize import encode

if TYPE_CHECKING:  # pragma: no cover
    from kdb.engine.session import Session

_PIPE_FAST = re.compile(r"\s*0[xX]([0-9a-fA-F]+)\s*")


MAX_PIPE_ITEMS = 1 << 24     # lines or addresses one pipe stage may hand to the next
MAX_PIPE_CHARS = 1 << 28     # and characters of text


class PipeSink:
    """Collects what a pipe stage writes: text and directly pushed addresses.

    As in mdb, a stage's whole output is collected before the next stage
    runs; beyond MAX_PIPE_ITEMS entries (about 1.3 GB) the statement is
    abandoned rather than let a runaway repeat count exhaust memory."""

    __slots__ = ("items", "chars")

    def __init__(self) -> None:
        self.items: list[Any] = []
        self.chars = 0

    def _check(self) -> None:
        if len(self.items) > MAX_PIPE_ITEMS:
            self.items = []
            raise ParseAbort(f"pipeline stage output exceeds {MAX_PIPE_ITEMS} lines; command abandoned")
        if self.chars > MAX_PIPE_CHARS:
            self.items = []
            raise ParseAbort(f"pipeline stage output exceeds {MAX_PIPE_CHARS} bytes; command abandoned")

    def __call__(self, text: str) -> None:
        self.items.append(text)
        self.chars += len(text)
        if len(self.items) > MAX_PIPE_ITEMS or self.chars > MAX_PIPE_CHARS:
            self._check()

    def push(self, addr: int, var: str | None = None) -> None:
        self.items.append(addr if var is None else (addr, var))
        if len(self.items) > MAX_PIPE_ITEMS:
            self._check()

    def extend(self, addrs: Iterable[int]) -> None:
        self.items.extend(addrs)
        self._check()

    def replace(self, addrs: Iterable[int]) -> None:
        self.items = [int(a) for a in addrs]

    def text(self, radix: int) -> str:
        return "".join(
            i if isinstance(i, str)
            else numtostr(i if isinstance(i, int) else i[0], radix, showbase=True) + "\n"
            for i in self.items)


class AddressQueue:
    """The address list of a pipe stage, consumed FIFO (mdb_addrvec)."""

    __slots__ = ("addrs", "idx", "vars")

    def __init__(self, addrs: list[int], vars: dict[int, str] | None = None) -> None:
        self.addrs = addrs
        self.idx = 0
        self.vars = vars or {}

    def take_all(self) -> list[int]:
        rest = self.addrs[max(self.idx - 1, 0):]
        self.idx = len(self.addrs)
        return rest



def run_into_shell(s: "Session", st: Statement, proc: "subprocess.Popen[bytes]") -> int:
    """Run ST's pipeline with its output written into PROC's stdin as it comes."""
    pipe = proc.stdin
    assert pipe is not None

    def write(text: str) -> None:
        try:
            pipe.write(encode(text))
        except (BrokenPipeError, ValueError):     # the shell stopped reading
            raise ShellSinkClosed() from None

    status = DCMD_OK
    try:
        status = run_pipeline(s, attrs.evolve(st, sink=None),
                                   final=OutputBuffer(write, cols=DEFAULT_COLS))
    except ShellSinkClosed:
        pass
    finally:
        try:
            pipe.close()
        except BrokenPipeError:
            pass
        proc.wait()
    return status

def run_pipeline(s: "Session", st: Statement, final: OutputBuffer | None = None) -> int:
    """Run a pipeline (forms 1 to 4) and return the last dcmd's status;
    the last stage writes to FINAL (default: the session's output)."""
    if final is None:
        final = s.cur_out
    sink_out: OutputBuffer | None = None
    if st.sink is not None:
        stream = None if st.sink_source else shell.open_shell_sink(s, st.sink)
        if stream is not None:
            return run_into_shell(s, st, stream)
        sink_buf: list[str] = []
        sink_out = OutputBuffer(sink_buf.append, cols=DEFAULT_COLS)
        final = sink_out
    flags0 = 0
    if st.addr is not None:
        s.dot = st.addr
        flags0 |= DCMD_ADDRSPEC
    count = 1
    if st.count is not None:
        flags0 |= DCMD_LOOP
        count = st.count
    status = DCMD_OK
    prev: PipeSink | None = None
    stages = st.stages
    n = len(stages)
    ran_last = False
    for i, stage in enumerate(stages):
        last = i == n - 1
        if last:
            out = final
        else:
            out = OutputBuffer(PipeSink(), cols=PIPE_COLS, is_pipe=True)
        if stage.shell is not None:
            text = prev.text(s.radix) if prev is not None else None
            if text is None and i > 0:
                break
            result = shell.run_shell(s, stage.shell, capture=True, stdin_text=text or "")
            if result is None:
                status = DCMD_ERR
                break
            out.write(result)
            out.nlflush()
            status = DCMD_OK
        else:
            # --format json: the last stage's text, if it made no records, is a record
            so = s.structured if last and out is s.out else None
            mark = so.begin_call() if so is not None else None
            if i == 0:
                status = run_first_stage(s, stage, s.dot, count,
                                         flags0 | (0 if last else DCMD_PIPE_OUT), out)
            else:
                assert prev is not None
                parsed = pipe_addresses(s, prev)
                if parsed is None:
                    status = DCMD_ERR
                    break
                if not parsed[0]:
                    break
                status = run_piped_stage(s, stage, parsed, 0 if last else DCMD_PIPE_OUT, out)
            out.nlflush()
            if so is not None and mark is not None:
                so.end_call(stage.dcmd.name if stage.dcmd is not None else stage.name, mark)
        if last:
            ran_last = True
        if status in (DCMD_USAGE, DCMD_ABORT):
            break
        if not last:
            prev = out.sink  # type: ignore[assignment]
    if sink_out is not None and st.sink is not None:
        text = "".join(sink_buf) if ran_last else ""
        if st.sink_source:
            result = shell.run_shell(s, st.sink, capture=True, stdin_text=text)
            s.run_string(result or "", "(shell)")
        else:
            shell.run_shell(s, st.sink, stdin_text=text)
    return status

def pipe_addresses(s: "Session", sink: PipeSink) -> tuple[list[int], dict[int, str]] | None:
    """Parse a pipe stage's output as mdb input: one expression per line."""
    if all(i.__class__ is int for i in sink.items):
        return sink.items, {}
    addrs: list[int] = []
    vars_: dict[int, str] = {}
    pending: list[str] = []

    def flush_text() -> bool:
        if not pending:
            return True
        text = "".join(pending)
        pending.clear()
        src = InputSource("(pipe)", is_string=True)
        for line in text.split("\n"):
            src.lineno += 1
            if not line.strip():
                continue
            m = _PIPE_FAST.fullmatch(line)
            if m:
                addrs.append(int(m.group(1), 16) & MASK64)
                continue
            parser = Parser(s, line, pipe_input=True)
            try:
                while True:
                    st = parser.next()
                    if st is None:
                        break
                    if st.form == "naked" and st.addr is not None and st.count is None:
                        addrs.append(st.addr)
                        s.dot = st.addr
                    elif st.form != "empty":
                        raise SyntaxFault("syntax error")
            except SyntaxFault as e:
                s.report_syntax(e, parser, src)
                return False
            except ParseAbort as e:
                s.warn(e.message)
                return False
        return True

    for item in sink.items:
        if isinstance(item, str):
            pending.append(item)
            continue
        if not flush_text():
            return None
        if isinstance(item, tuple):
            vars_[len(addrs)] = item[1]
            addrs.append(item[0])
        else:
            addrs.append(item)
    if not flush_text():
        return None
    return addrs, vars_

def run_first_stage(s: "Session", stage: Stage, addr: int, count: int, flags: int, out: OutputBuffer) -> int:
    status = DCMD_OK
    for i in range(count):
        f = flags | (DCMD_LOOPFIRST if i == 0 and flags & DCMD_LOOP else 0)
        status = call_dcmd(s, stage, addr, f, out, None)
        if status in (DCMD_USAGE, DCMD_ABORT):
            break
        if i < count - 1:
            nxt = s.dot + s.incr
            if nxt > MASK64:
                raise SyntaxFault("',' would cause '.' to overflow", suffix=False)
            addr = nxt
    return status

def run_piped_stage(s: "Session", stage: Stage, parsed: tuple[list[int], dict[int, str]], extra: int,
               out: OutputBuffer) -> int:
    queue = AddressQueue(*parsed)
    status = DCMD_OK
    base = DCMD_ADDRSPEC | DCMD_PIPE | DCMD_LOOP | extra
    while queue.idx < len(queue.addrs):
        addr = queue.addrs[queue.idx]
        first = queue.idx == 0
        var = queue.vars.get(queue.idx)
        if var is not None:
            s.vars[var] = addr
        queue.idx += 1
        status = call_dcmd(s, stage, addr, base | (DCMD_LOOPFIRST if first else 0), out, queue)
        if status in (DCMD_USAGE, DCMD_ABORT):
            break
    return status

def call_dcmd(s: "Session", stage: Stage, addr: int, flags: int, out: OutputBuffer,
         queue: AddressQueue | None) -> int:
    """Invoke one dcmd once (mdb_call_idcmd), handling its outcome."""
    dcmd: Dcmd = stage.dcmd
    s.dot = addr
    s.raddr = addr
    defs = [dcmd]
    idx = 0
    saved = s.cur_out
    s.cur_out = out
    try:
        while True:
            c = Call(s, dcmd, addr, flags, list(stage.args), out, queue)
            try:
                c.opts, c.args = dcmd.parse_args(s, c.args)
                rc = dcmd.func(c)
            except CmdError as e:
                s.warn(e.message)
                rc = DCMD_ERR
            except UsageRequest:
                rc = DCMD_USAGE
            except ReadError as e:
                s.warn(f"failed to read from address {e.addr:x}: {e.reason}")
                rc = DCMD_ERR
            except (QuitSession, KeyboardInterrupt, BrokenPipeError, SyntaxFault,
                    ParseAbort, PagerQuit, RecursionError):
                raise
            except Exception as e:  # a bug: report it, keep the session
                out.nlflush()
                s.internal_error(f"{'::' if dcmd.name[0].isalpha() else ''}{dcmd.name}", e)
                rc = DCMD_ERR
            if rc is None:
                rc = DCMD_OK
            if rc == DCMD_NEXT:
                if idx == 0:
                    defs = s.registry.dcmd_definitions(dcmd.name)
                    idx = defs.index(dcmd) if dcmd in defs else 0
                idx += 1
                if idx < len(defs):
                    dcmd = defs[idx]
                    continue
                rc = DCMD_ERR
            if rc == DCMD_USAGE:
                out.nlflush()
                s.print_usage(dcmd)
            return rc
    finally:
        s.cur_out = saved



def run_stage(s: "Session", st: Statement, index: int, prev: list[int] | None) -> list[int] | None:
    """Run stage INDEX of ST into a pipe, quietly, and return the addresses it
    passes on (PREV: the addresses it receives); None if it failed. The
    session's dot is left where the stage leaves it."""
    stage = st.stages[index]
    out = OutputBuffer(PipeSink(), cols=PIPE_COLS, is_pipe=True)
    with s.errors_to(lambda text: None):
        if index == 0:
            flags = DCMD_PIPE_OUT | (DCMD_ADDRSPEC if st.addr is not None else 0)
            if st.addr is not None:
                s.dot = st.addr
            if st.count is not None:
                flags |= DCMD_LOOP
            status = run_first_stage(s, stage, s.dot, st.count or 1, flags, out)
        else:
            status = run_piped_stage(s, stage, (prev or [], {}), DCMD_PIPE_OUT, out)
        out.nlflush()
        if status == DCMD_USAGE:
            return None
        assert isinstance(out.sink, PipeSink)
        parsed = pipe_addresses(s, out.sink)
    return None if parsed is None else list(parsed[0])
