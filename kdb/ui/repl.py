"""The interactive prompt: prompt_toolkit with mdb's language and output.

* the prompt is ``> `` (kmdb: ``[cpu]> ``), emacs keys by default, vi keys
  with ``::set -o vi`` or ``--vi``;
* highlighting with :class:`kdb.ui.highlight.MdbLexer` as you type;
* completion of dcmds, walkers, options and symbols (:mod:`kdb.ui.completion`),
  on Tab, with one-line descriptions;
* history in ``$XDG_STATE_HOME/kdb/history`` (``~/.local/state/kdb/history``),
  Ctrl-R search, at most ``$HISTSIZE`` entries (1000), written atomically;
* Ctrl-C abandons the line being typed, or interrupts the running command
  and returns to the prompt; Ctrl-D on an empty line quits;
* output longer than the screen stops at ``--More--`` (or goes through
  ``$PAGER`` when it is set); ``q`` abandons the rest of it;
* a bottom toolbar names the dump. Colour only on a terminal, never with
  ``NO_COLOR``. Commands run through the same engine as batch mode.

Only this module imports prompt_toolkit: batch runs never pay for it.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Callable, Iterable

from prompt_toolkit import PromptSession
from prompt_toolkit.output import create_output
from prompt_toolkit.history import History
from prompt_toolkit.lexers import PygmentsLexer
from prompt_toolkit.styles import Style

from kdb.ui.completion import MdbCompleter
from kdb.output.sanitize import encode
from kdb.statefiles import atomic_write
from kdb.ui.prompt import prompt_for
from kdb.errors import PagerQuit, QuitSession
from kdb.ui.highlight import MdbLexer
from kdb.engine.session import InputSource, Session

DEFAULT_HISTSIZE = 1000


def history_path() -> Path:
    """``$XDG_STATE_HOME/kdb/history``, by default ``~/.local/state/kdb/history``."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "kdb" / "history"


class SafeHistory(History):
    """Command history kept across sessions, one JSON string a line.

    Each new entry is appended in one write (O_APPEND), so concurrent
    sessions merge their entries instead of overwriting each other's, and a
    crash or a SIGKILL can at worst tear the last line, which reading skips
    (as it skips any line that is not whole UTF-8 JSON). Past twice the limit
    the file is compacted to the newest LIMIT entries with an atomic rewrite.
    Only a regular file is history: a FIFO or a device there is left alone.
    """

    def __init__(self, path: Path, limit: int = DEFAULT_HISTSIZE) -> None:
        self.path = path
        self.limit = max(1, limit)
        self._entries: list[str] = []
        self._lines = 0                    # lines in the file, for compaction
        super().__init__()

    def _read(self) -> list[str] | None:
        """The entries in the file (None when it is not a regular file)."""
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        except OSError:
            return []
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return None
            data = f.read()
        entries: list[str] = []
        self._lines = 0
        for raw in data.split(b"\n"):
            if not raw:
                continue
            self._lines += 1
            try:
                value = json.loads(raw.decode("utf-8"))
            except ValueError:             # torn by a crash, or not ours: skipped
                continue
            if isinstance(value, str):
                entries.append(value)
        return entries

    def load_history_strings(self) -> Iterable[str]:
        entries = self._read() or []
        self._entries = entries[-self.limit:]
        return list(reversed(self._entries))

    def store_string(self, string: str) -> None:
        self._entries.append(string)
        self._entries = self._entries[-self.limit:]
        try:
            self._append(json.dumps(string) + "\n")
            if self._lines > 2 * self.limit:
                entries = self._read()
                if entries is not None:
                    atomic_write(self.path, "".join(json.dumps(e) + "\n" for e in entries[-self.limit:]))
                    self._lines = min(len(entries), self.limit)
        except OSError:
            pass   # history is a convenience: never fail a command over it

    def _append(self, line: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK, 0o600)
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                return
            data = line.encode("utf-8")
            if st.st_size and os.pread(fd, 1, st.st_size - 1) != b"\n":
                data = b"\n" + data       # the last entry was torn: start a line of our own
            os.write(fd, data)
            self._lines += 1
        finally:
            os.close(fd)


class Pager:
    """mdb's pager: stop at ``--More--`` after a screenful, per command.

    With ``$PAGER`` set, a command's output is collected and, if it does not
    fit on the screen, shown through ``$PAGER`` instead.
    """

    def __init__(self, write: Callable[[str], object], rows: Callable[[], int],
                 read_key: Callable[[], str], pager_cmd: str | None = None,
                 write_own: Callable[[str], object] | None = None) -> None:
        self.write_out = write
        # the pager's own prompt and its erasing \r: kdb's, not a dump's, so
        # past the sanitising writer
        self.write_own = write_own or write
        self.rows = rows
        self.read_key = read_key
        self.pager_cmd = pager_cmd
        self.lines = 0
        self.limit = 0
        self.buffer: list[str] | None = None
        self.active = False

    def start(self) -> None:
        self.lines = 0
        self.limit = max(1, self.rows() - 1)
        self.buffer = [] if self.pager_cmd else None
        self.active = True

    def finish(self) -> None:
        self.active = False
        if self.buffer is not None:
            text = "".join(self.buffer)
            self.buffer = None
            if text.count("\n") > self.limit and self.pager_cmd:
                try:
                    subprocess.run(self.pager_cmd, shell=True, input=encode(text))
                    return
                except OSError:
                    pass
            self.write_out(text)

    def write(self, text: str) -> None:
        if not self.active:
            self.write_out(text)
            return
        if self.buffer is not None:
            self.buffer.append(text)
            return
        while text:
            if self.lines >= self.limit:
                self._more()
            nl = text.find("\n")
            if nl < 0:
                self.write_out(text)
                return
            self.write_out(text[:nl + 1])
            self.lines += 1
            text = text[nl + 1:]

    def _more(self) -> None:
        self.write_own("--More--")
        try:
            key = self.read_key()
        finally:
            self.write_own("\r        \r")
        if key in ("q", "Q", "\x03", "\x04"):
            raise PagerQuit()
        if key in ("\r", "\n"):
            self.limit = self.lines + 1
        else:
            self.lines = 0
            self.limit = max(1, self.rows() - 1)


def _own_writer() -> Callable[[str], object] | None:
    """A writer for kdb's own terminal controls: the stream beneath the
    sanitising writer, once what went through that writer is out."""
    safe = sys.stdout
    real = getattr(safe, "stream", None)
    if real is None:
        return None

    def write(text: str) -> None:
        safe.flush()
        real.write(text)
        real.flush()
    return write


def _read_key_from_tty() -> str:
    """One keystroke from the terminal, in raw mode."""
    import termios
    import tty
    fd = sys.stdin.fileno()
    old = termios.tcgetattr(fd)
    try:
        tty.setraw(fd)
        return os.read(fd, 1).decode("latin-1")
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, old)


def toolbar_text(session: Session) -> str:
    dump = session.target.dump
    if dump is None:
        return " kdb: no target "
    s = dump.system
    state = "panic" if dump.panic else ("crash dump" if s.dump == "crash" else "live/hang")
    parts = [s.nodename, f"{s.sysname} {s.release} {s.version}", state,
             f"{len(dump.procs)} procs, {len(dump.threads)} threads"]
    if session.kmdb:
        parts.append(f"kmdb CPU {session.target.kmdb_cpu}")
    return " " + " | ".join(parts) + " "


def make_prompt_session(session: Session, *, history: History | None = None,
                        color: bool = True) -> PromptSession:
    """The prompt_toolkit session kdb uses (also built by tests and benchmarks)."""
    style = Style.from_dict({"bottom-toolbar": "reverse"}) if color else None
    # prompt_toolkit draws the prompt itself (its escapes are its own): it
    # writes to the stream beneath kdb's sanitising writer
    real = getattr(sys.stdout, "stream", None)
    output = create_output(stdout=real) if real is not None else None
    return PromptSession(
        output=output,
        lexer=PygmentsLexer(MdbLexer) if color else None,
        completer=MdbCompleter(session),
        complete_while_typing=False,
        history=history,
        enable_history_search=True,
        bottom_toolbar=(lambda: toolbar_text(session)),
        style=style,
        include_default_pygments_style=color,
    )


def run_repl(session: Session, *, vi: bool = False, history: History | None = None) -> int:
    """The interactive loop; returns the exit status."""
    if vi:
        session.extensions["editmode"] = "vi"
    color = session.out.color
    if history is None:
        limit = os.environ.get("HISTSIZE", "")
        history = SafeHistory(history_path(), int(limit) if limit.isdigit() else DEFAULT_HISTSIZE)
    ps = make_prompt_session(session, history=history, color=color)
    pager = Pager(session._write, lambda: shutil.get_terminal_size().lines, _read_key_from_tty,
                  os.environ.get("PAGER") or None, write_own=_own_writer())
    session.out.sink = pager.write
    session._write = pager.write
    src = InputSource("(stdin)", is_tty=True)
    while True:
        try:
            text = ps.prompt(prompt_for(session), vi_mode=session.extensions.get("editmode") == "vi")
        except KeyboardInterrupt:
            continue                      # Ctrl-C abandons the line being typed
        except EOFError:
            return 0                      # Ctrl-D on an empty line
        session.out.cols = shutil.get_terminal_size().columns
        for line in text.split("\n"):
            src.lineno += 1
            pager.start()
            try:
                session.run_line(line, src)
            except KeyboardInterrupt:
                session.abort_output()    # Ctrl-C: back to the prompt, session intact
                pager.write_out("\n")
                break
            except PagerQuit:
                session.abort_output()
                break
            except QuitSession as q:
                pager.finish()
                return q.status
            finally:
                if pager.active:
                    try:
                        pager.finish()
                    except PagerQuit:
                        pass
                session.flush_stdout()
