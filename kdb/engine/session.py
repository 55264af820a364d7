"""The session: all mutable debugger state, and the engine that runs statements.

The :class:`Session` is the one piece of global state (dot, radix, variables,
loaded modules, the target, the output buffer). Input is fed to it a line at
a time (:meth:`Session.run_line`) with an :class:`InputSource` that says where
the line came from; that decides the location suffix of syntax errors and the
meaning of a naked expression (reference 1.2 form 5).

Pipelines follow mdb's semantics (reference 1.8): a stage's whole output is
collected, parsed as addresses, and the next stage runs once per address with
``DCMD_ADDRSPEC|DCMD_PIPE|DCMD_LOOP`` (and ``DCMD_LOOPFIRST`` on the first).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import traceback
from typing import Any, Callable, Iterable

import attrs

from kdb import __version__
from kdb.errors import (CmdError, ParseAbort, QuitSession, ReadError, SyntaxFault,
                        PagerQuit, ShellSinkClosed, ENODCMD, ENOMOD)
from kdb.output.iob import DEFAULT_COLS, PIPE_COLS, OutputBuffer
from kdb.modapi import (DCMD_ABORT, DCMD_ADDRSPEC, DCMD_ERR, DCMD_LOOP, DCMD_LOOPFIRST,
                        DCMD_NEXT, DCMD_OK, DCMD_PIPE, DCMD_PIPE_OUT, DCMD_USAGE, Call, Dcmd,
                        UsageRequest)
from kdb.numbers import MASK64, numtostr, strtonum
from kdb.lang.parser import Parser, escape_text
from kdb.output.printf import mprintf, safe_text
from kdb.modapi.registry import Registry
from kdb.lang.statements import Stage, Statement
from kdb.target.base import Target

BUILTIN_VARS = ("0", "1", "2", "9", "b", "d", "e", "m", "t", "_", "hits", "thread")
READONLY_VARS = {"thread"}

_PIPE_FAST = re.compile(r"\s*0[xX]([0-9a-fA-F]+)\s*")


#: How deep ::eval and ::grep may run commands that run commands (a naked
#: expression re-runs the last command, which may be the ::grep itself).
MAX_STRING_DEPTH = 32


@attrs.define(slots=True)
class InputSource:
    """Where input lines come from: decides error suffixes and naked expressions."""

    name: str                 # "(string)", "(stdin)", a macro file name
    is_string: bool = False   # -e / ::eval: a naked expression only sets dot
    is_tty: bool = False      # a terminal: no " on line N of NAME" suffix
    lineno: int = 0
    abandoned: bool = False   # set by $< : stop reading this source


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


@attrs.define(slots=True)
class RunResult:
    """What running some input produced, for exit statuses."""

    parse_error: bool = False
    status: int = DCMD_OK


class Session:
    """One debugging session: state plus the statement engine."""

    def __init__(self, target: Target | None = None, *, pname: str = "kdb",
                 write: Callable[[str], None] | None = None,
                 write_err: Callable[[str], None] | None = None,
                 tty: bool = False, color: bool = False, cols: int | None = None,
                 kmdb: bool = False, shell_allowed: bool = True,
                 load_modules: bool = True, stdout_fd: int | None = None) -> None:
        self.target = target or Target()
        self.pname = pname
        self.kmdb = kmdb
        self.shell_allowed = shell_allowed
        self.tty = tty
        self._write = write or sys.stdout.write
        self._write_err = write_err or sys.stderr.write
        self.stdout_fd = stdout_fd
        self.out = OutputBuffer(self._write, cols=cols or DEFAULT_COLS, tty=tty, color=color)
        self.cur_out = self.out
        self.radix = 16
        self.symdist = 0
        self.dot = 0
        self.incr = 0
        self.raddr = 0
        self.vars: dict[str, int] = {name: 0 for name in BUILTIN_VARS}
        self.tagged: set[str] = set()
        self.options: dict[str, bool] = {"autowrap": False, "repeatlast": False}
        self.last_stmt: Statement | None = None
        self.string_depth = 0            # run_string inside run_string (::eval, ::grep)
        self.current_line = ""           # the input line running, for internal-error reports
        self.string_overflow = False     # that went too deep: unwind every level
        self.status = DCMD_OK
        self._sym_cache: dict[tuple[int, int], str | None] = {}
        from kdb.target.ctype import TypeSystem
        self.types: TypeSystem = getattr(self.target, "types", None) or TypeSystem(None)
        self.registry = Registry(self.target.kind)
        self.module_errors: list[str] = []
        self.extensions: dict[str, Any] = {}   # per-session caches for modules
        # structured output: called with (dcmd name, record kind, record)
        self.record_sink: Callable[[str, str, dict[str, Any]], None] | None = None
        self.structured: Any = None    # kdb.output.structured.StructuredOutput with --format json
        if load_modules:
            self.module_errors = self.registry.load_package()
            self.module_errors += self.registry.load_path(os.environ.get("KDB_MODULE_PATH"))
        init = getattr(self.target, "session_init", None)
        if init:
            init(self)

    # ------------------------------------------------------------------
    # environment for printf and the parser
    # ------------------------------------------------------------------
    def addr2str(self, addr: int) -> str | None:
        """``%a``: ``sym+off`` in the current radix (memoized: dumps do not change)."""
        key = (addr, self.radix)
        cache = self._sym_cache
        if key in cache:
            return cache[key]
        found = self.target.lookup_by_addr(addr)
        if found is None:
            text = None
        else:
            name, value = found
            off = addr - value
            name = safe_text(name)
            text = name if not off else name + numtostr(off, self.radix, showbase=True, signpos=True)
        if len(cache) > 200_000:
            cache.clear()
        cache[key] = text
        return text

    def var_value(self, name: str) -> int:
        if name == ".":
            return self.dot
        return self.vars.get(name, 0)

    def var_get(self, name: str) -> int | None:
        if name == ".":
            return self.dot
        return self.vars.get(name)

    def lookup_symbol(self, name: str) -> int | None:
        return self.target.lookup_by_name(name)

    def read_int(self, addr: int, size: int, objfile: bool) -> int:
        return int.from_bytes(self.target.read(addr, size), "little")

    def lookup_dcmd(self, name: str) -> Dcmd:
        """Look a dcmd up while lexing; unknown names abort the statement."""
        bare = name[2:] if name.startswith("::") else name
        d = self.registry.dcmd(bare)
        if d is None:
            reason = ENODCMD
            if "`" in bare and bare.rpartition("`")[0] not in self.registry.modules:
                reason = ENOMOD
            raise ParseAbort(f"invalid command '{name}': {reason}")
        return d

    def printf(self, out: OutputBuffer, fmt: str, *args: Any) -> None:
        mprintf(out, self, fmt, *args)

    def numfmt(self, value: int) -> str:
        return numtostr(value, self.radix)

    def arg_to_int(self, arg: Any) -> int:
        """A dcmd argument as a number: immediates as is, words in the current radix."""
        if isinstance(arg, int):
            return arg
        text = str(arg)
        try:
            p = Parser(self, text)
            value = p.expr("INITIAL")
            if p.peek("INITIAL").kind not in ("NL", "EOF"):
                raise SyntaxFault("syntax error")
            return value
        except (SyntaxFault, ParseAbort):
            raise CmdError(f"failed to evaluate '{text}'") from None

    # ------------------------------------------------------------------
    # diagnostics
    # ------------------------------------------------------------------
    def warn(self, message: str) -> None:
        """``kdb: message`` on stderr (stdout is flushed first to keep order).
        Messages quote dump strings and user input: control characters are
        escaped here, so no message can drive the terminal."""
        message = safe_text(message)
        if self.structured is not None:
            self.structured.error(message)
            return
        self.flush_stdout()
        self._write_err(f"{self.pname}: {message}\n")

    def flush_stdout(self) -> None:
        try:
            if self._write is sys.stdout.write:
                sys.stdout.flush()
        except (BrokenPipeError, ValueError):
            pass

    def report_syntax(self, e: SyntaxFault, parser: Parser, src: InputSource) -> None:
        msg = e.message
        if e.suffix:
            if not src.is_tty:
                msg += f" on line {src.lineno} of {src.name}"
            msg += f' near "{escape_text(parser.near)}"'
        self.warn(msg)

    def usage_text(self, dcmd: Dcmd) -> str:
        prefix, usage = "", ""
        name0 = dcmd.name[0]
        adb = name0 in ":$"
        if dcmd.usage:
            if dcmd.usage[0] == ":":
                prefix = "address" if adb else "address::"
                usage = dcmd.usage[1:]
            elif dcmd.usage[0] == "?":
                prefix = "[address]" if adb else "[address]::"
                usage = dcmd.usage[1:]
            else:
                usage = dcmd.usage
        return f"Usage: {prefix}{dcmd.name} {usage}"

    def print_usage(self, dcmd: Dcmd) -> None:
        self.flush_stdout()
        self._write_err(self.usage_text(dcmd) + "\n")
        if dcmd.help:
            self._write_err(f"{self.pname}: try '::help {dcmd.name}' for more information\n")

    def internal_error(self, what: str, exc: BaseException) -> None:
        """A bug in kdb: one clear line, a report file, and the session goes on."""
        report = None
        try:
            import tempfile
            fd, report = tempfile.mkstemp(prefix="kdb-internal-", suffix=".txt")
            with os.fdopen(fd, "w") as f:
                f.write(f"kdb {__version__} internal error in {what}\n")
                f.write(f"command: {self.current_line!r}\n")
                dump = getattr(self.target, "dump", None)
                if dump is not None:
                    f.write(f"dump: {dump.path}\n")
                f.write("".join(traceback.format_exception(exc)))
        except OSError:
            report = None
        where = f" (report: {report})" if report else ""
        self.warn(f"internal error in {what}: {type(exc).__name__}: {exc}{where}")

    # ------------------------------------------------------------------
    # input
    # ------------------------------------------------------------------
    def run_string(self, text: str, name: str = "(string)", *, stop_on_error: bool = True,
                   is_string: bool = True) -> RunResult:
        """Run a string as mdb input (``-e``, ``::eval``)."""
        if self.string_depth >= MAX_STRING_DEPTH:
            self.string_overflow = True        # every enclosing level stops too
            return RunResult(status=1, parse_error=True)
        self.string_depth += 1
        try:
            return self._run_string(text, name, stop_on_error=stop_on_error, is_string=is_string)
        finally:
            self.string_depth -= 1
            if self.string_depth == 0 and self.string_overflow:
                self.string_overflow = False
                self.warn(f"commands evaluating commands nested more than {MAX_STRING_DEPTH} deep")

    def _run_string(self, text: str, name: str, *, stop_on_error: bool,
                    is_string: bool) -> RunResult:
        src = InputSource(name, is_string=is_string)
        result = RunResult()
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        for line in lines:
            if self.string_overflow:
                result.parse_error = True
                break
            src.lineno += 1
            r = self.run_line(line, src)
            if r.parse_error or self.string_overflow:
                result.parse_error = True
                if stop_on_error:
                    break
            result.status = r.status
            if src.abandoned:
                break
        return result

    def run_line(self, line: str, src: InputSource) -> RunResult:
        """Parse and run every statement of one input line."""
        self.current_line = line     # for internal-error reports
        result = self._run_line(line, src)
        if self.structured is not None and line.strip():
            self.out.nlflush()
            self.structured.finish(line, result.status)
        return result

    def _run_line(self, line: str, src: InputSource) -> RunResult:
        result = RunResult(status=self.status)
        parser = Parser(self, line)
        while True:
            try:
                st = parser.next()
                if st is None:
                    break
                self.execute(st, src)
                result.status = self.status
            except SyntaxFault as e:
                self.report_syntax(e, parser, src)
                result.parse_error = True
                self.status = DCMD_ERR
                result.status = DCMD_ERR
                self._after_abort()
                break
            except ParseAbort as e:
                self.warn(e.message)
                result.parse_error = True
                self.status = DCMD_ERR
                result.status = DCMD_ERR
                self._after_abort()
                break
            except PagerQuit:
                self._after_abort()
                break
        return result

    def abort_output(self) -> None:
        """After an interrupted command: reset the output state, keep the session."""
        self._after_abort()

    def _after_abort(self) -> None:
        self.cur_out = self.out
        self.out.set_indent(False)
        self.out.forced_wrap = False
        self.out.nlflush()

    # ------------------------------------------------------------------
    # statements
    # ------------------------------------------------------------------
    def execute(self, st: Statement, src: InputSource) -> None:
        if st.form == "empty":
            if self.options["repeatlast"] and not src.is_string and self.last_stmt:
                self._rerun(self.last_stmt, (self.dot + self.incr) & MASK64, None, src)
            return
        if st.form == "shell":
            self.shell(st.shell or "")
            return
        if st.form == "shellsrc":
            out = self.shell(st.shell or "", capture=True)
            self.run_string(out or "", "(shell)", is_string=True)
            return
        if st.form == "naked":
            if st.sink is not None and self.last_stmt is not None:
                stmt = attrs.evolve(self.last_stmt, sink=st.sink, sink_source=st.sink_source)
                self._rerun(stmt, st.addr, st.count, src)
                return
            if (src.is_string and st.count is None) or self.last_stmt is None:
                if st.addr is not None:
                    self.dot = st.addr
                self.incr = 0
                return
            addr = st.addr
            if addr is None:
                addr = (self.dot + self.incr) & MASK64
            self._rerun(self.last_stmt, addr, st.count, src)
            return
        self.last_stmt = st
        self.status = self.run_pipeline(st)

    def _rerun(self, stmt: Statement, addr: int | None, count: int | None,
               src: InputSource) -> None:
        again = attrs.evolve(stmt, addr=addr, count=count)
        self.status = self.run_pipeline(again)

    def _open_shell_sink(self, command: str) -> "subprocess.Popen[bytes] | None":
        """For ``pipeline ! command`` with the real stdout: start the shell now so
        output streams into it (memory stays flat, ``! head`` ends the command).
        None where the output must be captured instead (no stdout descriptor)."""
        shell = self._shell_ready()
        if self.stdout_fd is None:
            return None
        try:
            return subprocess.Popen([shell, "-c", command], stdin=subprocess.PIPE)
        except OSError as e:
            raise ParseAbort(f"failed to exec {shell}: {e.strerror}") from None

    def _run_into_shell(self, st: Statement, proc: "subprocess.Popen[bytes]") -> int:
        """Run ST's pipeline with its output written into PROC's stdin as it comes."""
        pipe = proc.stdin
        assert pipe is not None

        def write(text: str) -> None:
            try:
                pipe.write(text.encode("utf-8", "surrogateescape"))
            except (BrokenPipeError, ValueError):     # the shell stopped reading
                raise ShellSinkClosed() from None

        status = DCMD_OK
        try:
            status = self.run_pipeline(attrs.evolve(st, sink=None),
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

    def run_pipeline(self, st: Statement, final: OutputBuffer | None = None) -> int:
        """Run a pipeline (forms 1 to 4) and return the last dcmd's status;
        the last stage writes to FINAL (default: the session's output)."""
        if final is None:
            final = self.cur_out
        sink_out: OutputBuffer | None = None
        if st.sink is not None:
            stream = None if st.sink_source else self._open_shell_sink(st.sink)
            if stream is not None:
                return self._run_into_shell(st, stream)
            sink_buf: list[str] = []
            sink_out = OutputBuffer(sink_buf.append, cols=DEFAULT_COLS)
            final = sink_out
        flags0 = 0
        if st.addr is not None:
            self.dot = st.addr
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
                text = prev.text(self.radix) if prev is not None else None
                if text is None and i > 0:
                    break
                result = self.shell(stage.shell, capture=True, stdin_text=text or "")
                if result is None:
                    status = DCMD_ERR
                    break
                out.write(result)
                out.nlflush()
                status = DCMD_OK
            elif i == 0:
                status = self._loop(stage, self.dot, count,
                                    flags0 | (0 if last else DCMD_PIPE_OUT), out)
                out.nlflush()
            else:
                assert prev is not None
                parsed = self._pipe_addresses(prev)
                if parsed is None:
                    status = DCMD_ERR
                    break
                if not parsed[0]:
                    break
                status = self._pipe_loop(stage, parsed, 0 if last else DCMD_PIPE_OUT, out)
                out.nlflush()
            if last:
                ran_last = True
            if status in (DCMD_USAGE, DCMD_ABORT):
                break
            if not last:
                prev = out.sink  # type: ignore[assignment]
        if sink_out is not None and st.sink is not None:
            text = "".join(sink_buf) if ran_last else ""
            if st.sink_source:
                result = self.shell(st.sink, capture=True, stdin_text=text)
                self.run_string(result or "", "(shell)")
            else:
                self.shell(st.sink, stdin_text=text)
        return status

    def _pipe_addresses(self, sink: PipeSink) -> tuple[list[int], dict[int, str]] | None:
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
                parser = Parser(self, line, pipe_input=True)
                try:
                    while True:
                        st = parser.next()
                        if st is None:
                            break
                        if st.form == "naked" and st.addr is not None and st.count is None:
                            addrs.append(st.addr)
                            self.dot = st.addr
                        elif st.form != "empty":
                            raise SyntaxFault("syntax error")
                except SyntaxFault as e:
                    self.report_syntax(e, parser, src)
                    return False
                except ParseAbort as e:
                    self.warn(e.message)
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

    def _loop(self, stage: Stage, addr: int, count: int, flags: int, out: OutputBuffer) -> int:
        status = DCMD_OK
        for i in range(count):
            f = flags | (DCMD_LOOPFIRST if i == 0 and flags & DCMD_LOOP else 0)
            status = self.call(stage, addr, f, out, None)
            if status in (DCMD_USAGE, DCMD_ABORT):
                break
            if i < count - 1:
                nxt = self.dot + self.incr
                if nxt > MASK64:
                    raise SyntaxFault("',' would cause '.' to overflow", suffix=False)
                addr = nxt
        return status

    def _pipe_loop(self, stage: Stage, parsed: tuple[list[int], dict[int, str]], extra: int,
                   out: OutputBuffer) -> int:
        queue = AddressQueue(*parsed)
        status = DCMD_OK
        base = DCMD_ADDRSPEC | DCMD_PIPE | DCMD_LOOP | extra
        while queue.idx < len(queue.addrs):
            addr = queue.addrs[queue.idx]
            first = queue.idx == 0
            var = queue.vars.get(queue.idx)
            if var is not None:
                self.vars[var] = addr
            queue.idx += 1
            status = self.call(stage, addr, base | (DCMD_LOOPFIRST if first else 0), out, queue)
            if status in (DCMD_USAGE, DCMD_ABORT):
                break
        return status

    def call(self, stage: Stage, addr: int, flags: int, out: OutputBuffer,
             queue: AddressQueue | None) -> int:
        """Invoke one dcmd once (mdb_call_idcmd), handling its outcome."""
        dcmd: Dcmd = stage.dcmd
        self.dot = addr
        self.raddr = addr
        defs = [dcmd]
        idx = 0
        saved = self.cur_out
        self.cur_out = out
        try:
            while True:
                c = Call(self, dcmd, addr, flags, list(stage.args), out, queue)
                try:
                    rc = dcmd.func(c)
                except CmdError as e:
                    self.warn(e.message)
                    rc = DCMD_ERR
                except UsageRequest:
                    rc = DCMD_USAGE
                except ReadError as e:
                    self.warn(f"failed to read from address {e.addr:x}: {e.reason}")
                    rc = DCMD_ERR
                except (QuitSession, KeyboardInterrupt, BrokenPipeError, SyntaxFault,
                        ParseAbort, PagerQuit, RecursionError):
                    raise
                except Exception as e:  # a bug: report it, keep the session
                    out.nlflush()
                    self.internal_error(f"{'::' if dcmd.name[0].isalpha() else ''}{dcmd.name}", e)
                    rc = DCMD_ERR
                if rc is None:
                    rc = DCMD_OK
                if rc == DCMD_NEXT:
                    if idx == 0:
                        defs = self.registry.dcmd_definitions(dcmd.name)
                        idx = defs.index(dcmd) if dcmd in defs else 0
                    idx += 1
                    if idx < len(defs):
                        dcmd = defs[idx]
                        continue
                    rc = DCMD_ERR
                if rc == DCMD_USAGE:
                    out.nlflush()
                    self.print_usage(dcmd)
                return rc
        finally:
            self.cur_out = saved

    # ------------------------------------------------------------------
    # shell escapes
    # ------------------------------------------------------------------
    def _shell_ready(self) -> str:
        """The shell for an escape, once escapes are allowed and kdb's own
        output so far is out (the shell writes to the same stdout)."""
        if self.kmdb:
            raise ParseAbort("shell escape facility not available in kmdb")
        if not self.shell_allowed:
            raise ParseAbort("shell escapes are disabled (--no-shell)")
        self.out.nlflush()
        self.flush_stdout()
        return os.environ.get("SHELL") or "/bin/sh"

    def shell(self, command: str, *, capture: bool = False,
              stdin_text: str | None = None) -> str | None:
        """Run ``$SHELL -c command``; its output goes straight to stdout."""
        shell = self._shell_ready()
        inherit = not capture and self.stdout_fd is not None
        try:
            proc = subprocess.run(
                [shell, "-c", command],
                input=(stdin_text or "").encode("utf-8", "surrogateescape"),
                stdout=None if inherit else subprocess.PIPE,
                stderr=None,
            )
        except OSError as e:
            self.warn(f"failed to exec {shell}: {e.strerror}")
            return None
        if inherit:
            return ""
        text = proc.stdout.decode("utf-8", "replace")
        if capture:
            return text
        self._write(text)
        return text
