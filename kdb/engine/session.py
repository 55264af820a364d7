"""The session: all mutable debugger state, and the engine that runs statements.

The :class:`Session` is the one piece of global state (dot, radix, variables,
loaded modules, the target, the output buffer). Input is fed to it a line at
a time (:meth:`Session.run_line`) with an :class:`InputSource` that says where
the line came from; that decides the location suffix of syntax errors and the
meaning of a naked expression (docs/language.md, "Commands").

A statement's pipeline runs in :mod:`kdb.engine.pipeline`, shell escapes in
:mod:`kdb.engine.shell`; internal-error reports are written by
:mod:`kdb.engine.reports`.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Any, Callable, Iterator

import attrs

from kdb.engine import pipeline, shell
from kdb.engine.inputs import InputSource
from kdb.engine.reports import write_report
from kdb.errors import ENODCMD, ENOMOD, CmdError, PagerQuit, ParseAbort, QuitSession, SyntaxFault
from kdb.lang.parser import Parser, escape_text
from kdb.lang.statements import Statement
from kdb.modapi import DCMD_ERR, DCMD_OK, Dcmd
from kdb.modapi.registry import Registry
from kdb.numbers import MASK64, numtostr
from kdb.output.iob import DEFAULT_COLS, OutputBuffer
from kdb.output.printf import mprintf, safe_text
from kdb.target.base import Target

__all__ = ["InputSource", "RunResult", "Session", "READONLY_VARS"]

BUILTIN_VARS = ("0", "1", "2", "9", "b", "d", "e", "m", "t", "_", "hits", "thread")
READONLY_VARS = {"thread"}



#: How deep ::eval and ::grep may run commands that run commands (a naked
#: expression re-runs the last command, which may be the ::grep itself).
MAX_STRING_DEPTH = 32


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
        self._write: Callable[[str], object] = write or sys.stdout.write
        self._write_err: Callable[[str], object] = write_err or sys.stderr.write
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
        self.types = self.target.types.fork()     # ::typedef is the session's (kdb.api runs many)
        self.registry = Registry(self.target.kind)
        self.module_errors: list[str] = []
        self.extensions: dict[str, Any] = {}   # per-session caches for modules
        # structured output: called with (dcmd name, record kind, record)
        self.record_sink: Callable[[str, str, dict[str, Any]], None] | None = None
        self.structured: Any = None    # kdb.output.structured.StructuredOutput with --format json
        self.records_with_text = False  # records collected and text printed too (kdb.api)
        self.macro_path = os.environ.get("KDB_MACRO_PATH") or ""     # ::set -I
        self.module_path = os.environ.get("KDB_MODULE_PATH") or ""   # ::set -L
        self.prompt: str | None = None                               # ::set -P
        if load_modules:
            self.module_errors = self.registry.load_package()
            if not shell_allowed and self.module_path:
                # --no-shell: no code from outside, modules included
                self.module_errors.append("modules in KDB_MODULE_PATH are not loaded (--no-shell)")
            elif self.module_path:
                self.module_errors += self.registry.load_path(self.module_path)
        self.target.session_init(self)

    # ------------------------------------------------------------------
    # environment for printf and the parser
    # ------------------------------------------------------------------
    @property
    def ptr_width(self) -> int:
        """``%?``: the target's pointer width in hex digits."""
        return self.target.ptr_width

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
        out = sys.stdout
        owner = getattr(self._write, "__self__", None)
        try:
            if out is not None and owner is not None and owner is out:
                out.flush()
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
        dump = self.target.dump
        report = write_report(exc, f"internal error in {what}", command=self.current_line,
                              dump=dump.path if dump is not None else None)
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
        try:
            result = self._run_line(line, src)
        except (QuitSession, KeyboardInterrupt, BrokenPipeError):
            raise
        except RecursionError:       # a command nested past Python's stack: refused, not fatal
            self._after_abort()
            self.warn("command nested too deeply to run")
            result = RunResult(parse_error=True, status=DCMD_ERR)
        except MemoryError:
            self._after_abort()
            self.warn("out of memory running the command")
            result = RunResult(parse_error=True, status=DCMD_ERR)
        except Exception as e:       # a bug: one line and a report, the session goes on
            self._after_abort()
            self.internal_error("command", e)
            result = RunResult(parse_error=True, status=DCMD_ERR)
        if self.structured is not None and line.strip():
            self.out.nlflush()
            if self.structured.finish(line, result.status) is False:    # folded: nothing to fold
                result.status = DCMD_ERR
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

    # ------------------------------------------------------------------
    # pipelines and shell escapes (kdb.engine.pipeline, kdb.engine.shell)
    # ------------------------------------------------------------------
    def run_pipeline(self, st: Statement, final: OutputBuffer | None = None) -> int:
        """Run a pipeline (forms 1 to 4) and return the last dcmd's status."""
        return pipeline.run_pipeline(self, st, final)

    def shell(self, command: str, *, capture: bool = False,
              stdin_text: str | None = None) -> str | None:
        """Run ``$SHELL -c command`` (see :func:`kdb.engine.shell.run_shell`)."""
        return shell.run_shell(self, command, capture=capture, stdin_text=stdin_text)

    @contextlib.contextmanager
    def errors_to(self, write: Callable[[str], None]) -> Iterator[None]:
        """Send what would go to stderr to WRITE for the duration."""
        saved = self._write_err
        self._write_err = write
        try:
            yield
        finally:
            self._write_err = saved
