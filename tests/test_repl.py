"""The interactive REPL: prompt_toolkit pipe input with a dummy output,
the pager and history units, the lexer, and tmux end-to-end."""

from __future__ import annotations

import asyncio
import os
import stat
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from kdb.errors import PagerQuit
from kdb.target.kernel import open_dump
from kdb.ui.repl import Pager, SafeHistory, make_prompt_session, run_repl
from kdb.engine.session import Session

ROOT = Path(__file__).parent.parent


def jurassic_session(out: list[str]) -> Session:
    return Session(open_dump("jurassic"), write=out.append, write_err=out.append)


def test_tab_completion_of_fi_offers_findstack():
    session = jurassic_session([])

    async def go() -> list[str]:
        with create_pipe_input() as inp, create_app_session(input=inp, output=DummyOutput()):
            ps = make_prompt_session(session, color=False)
            task = asyncio.ensure_future(ps.prompt_async("> "))
            await asyncio.sleep(0.05)
            inp.send_text("0t100015::pid2proc | ::walk thread | ::fi")
            await asyncio.sleep(0.05)
            inp.send_text("\t")
            buf = ps.app.current_buffer
            for _ in range(500):
                if buf.complete_state and buf.complete_state.completions or buf.text.endswith("findstack"):
                    break
                await asyncio.sleep(0.01)
            got = [c.text for c in buf.complete_state.completions] if buf.complete_state else [buf.text]
            ps.app.exit(result="")
            await task
            return got

    got = asyncio.run(go())
    # ::findleaks and ::findstack share "find": the menu offers what follows it
    assert any(g.endswith("findstack") for g in got) or {"stack", "leaks"} <= set(got), got


def test_repl_runs_commands_and_history_survives(tmp_path):
    hist = tmp_path / "history"
    out: list[str] = []
    session = jurassic_session(out)
    with create_pipe_input() as inp, create_app_session(input=inp, output=DummyOutput()):
        inp.send_text("e4::major2name\r0t100015::pid2proc\r\x04")
        assert run_repl(session, history=SafeHistory(hist)) == 0
    text = "".join(out)
    assert "ii\n" in text and "ffffff0934c5e388\n" in text
    again = SafeHistory(hist)
    assert list(again.load_history_strings()) == ["0t100015::pid2proc", "e4::major2name"]


def test_ctrl_c_interrupts_a_long_walk_and_the_session_goes_on(tmp_path):
    out: list[str] = []
    session = jurassic_session(out)
    timer = threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT))
    # the suite may run with SIGINT ignored (trap "" INT): Python's handler, for this test
    saved = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with create_pipe_input() as inp, create_app_session(input=inp, output=DummyOutput()):
            inp.send_text("::walk ddi_prop | ::grep '.==0'\r0t42=D\r\x04")
            timer.start()
            t0 = time.monotonic()
            status = run_repl(session, history=SafeHistory(tmp_path / "h"))
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, saved)
    assert status == 0
    assert time.monotonic() - t0 < 20      # the walk (262,149 evaluations) was cut short
    assert " " * 16 + "42" in "".join(out)


def test_quit_from_the_prompt(tmp_path):
    session = jurassic_session([])
    with create_pipe_input() as inp, create_app_session(input=inp, output=DummyOutput()):
        inp.send_text("$q\r")
        assert run_repl(session, history=SafeHistory(tmp_path / "h")) == 0


def test_pager_stops_at_more_and_q_abandons():
    written: list[str] = []
    keys = iter([" ", "\r", "q"])
    p = Pager(written.append, rows=lambda: 5, read_key=lambda: next(keys))
    p.start()
    with pytest.raises(PagerQuit):
        p.write("".join(f"line {i}\n" for i in range(30)))
    text = "".join(written)
    assert text.count("--More--") == 3
    # a page is rows - 1 lines, Enter shows one more line, q stops
    assert text.replace("--More--\r        \r", "|").split("|")[0].count("\n") == 4
    assert "line 8\n" in text and "line 9\n" not in text


def test_pager_does_not_stop_short_output():
    written: list[str] = []
    p = Pager(written.append, rows=lambda: 5, read_key=lambda: pytest.fail("no prompt expected"))
    p.start()
    p.write("a\nb\nc\nd\n")
    p.finish()
    assert "".join(written) == "a\nb\nc\nd\n"


def test_pager_uses_PAGER_only_when_output_overflows(tmp_path):
    got = tmp_path / "paged"
    written: list[str] = []
    p = Pager(written.append, rows=lambda: 5, read_key=lambda: "q", pager_cmd=f"cat > {got}")
    p.start()
    p.write("x\n" * 10)
    p.finish()
    assert got.read_text() == "x\n" * 10 and written == []
    p.start()
    p.write("short\n")
    p.finish()
    assert written == ["short\n"]


def test_history_is_bounded_atomic_and_tolerates_damage(tmp_path):
    path = tmp_path / "sub" / "history"
    h = SafeHistory(path, limit=3)
    for cmd in ("a", "b", "c", "d", "e", "f", "g"):
        h.store_string(cmd)                          # appended; compacted past 2 x 3 lines
    assert path.read_text().splitlines() == ['"e"', '"f"', '"g"']
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".history")]  # no temp left
    for cmd in ("b", "c", "d"):
        h.store_string(cmd)
    path.write_text(path.read_text() + "{broken\n")
    assert list(SafeHistory(path, limit=3).load_history_strings()) == ["d", "c", "b"]


def test_history_path_follows_xdg(monkeypatch, tmp_path):
    from kdb.ui.repl import history_path
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert history_path() == tmp_path / "kdb" / "history"
    monkeypatch.delenv("XDG_STATE_HOME")
    assert history_path() == Path.home() / ".local" / "state" / "kdb" / "history"


def test_lexer_tokens():
    from pygments.token import Keyword, Name, Number, Operator, String

    from kdb.ui.highlight import MdbLexer
    toks = [(t, v) for t, v in MdbLexer().get_tokens("0t100015::pid2proc | ::walk thread | ::findstack -v\n")]
    assert (Number.Integer, "0t100015") in toks
    assert (Name.Function, "::pid2proc") in toks
    assert (Name.Class, "thread") in toks
    assert (Name.Attribute, "-v") in toks
    toks = list(MdbLexer().get_tokens("-1,10=J ! wc -l // comment\n"))
    assert (Keyword, "=") in toks and (String.Other, "J") in toks
    assert any(t in String.Backtick for t, v in toks)
    assert (Operator, "-") in toks


def test_pygmentize_finds_the_mdb_lexer():
    """pygmentize (python -m pygments) finds the lexer through the entry point."""
    r = subprocess.run([sys.executable, "-m", "pygments", "-l", "mdb", "-f", "terminal"], timeout=60,
                       input="> 0t100015::pid2proc\n", capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "\x1b[" in r.stdout and "pid2proc" in r.stdout


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_tmux_end_to_end_seed_session(tmp_path):
    """Type the seed's commands into kdb in a real terminal and read the screen."""
    kdb = Path(sys.executable).parent / "kdb"
    name = f"kdbtest{os.getpid()}"
    env = dict(os.environ, XDG_STATE_HOME=str(tmp_path), TERM="xterm-256color")
    env.pop("PAGER", None)

    def tmux(*args: str) -> str:
        return subprocess.run(["tmux", *args], capture_output=True, text=True, env=env,
                              timeout=30).stdout

    def screen() -> str:
        return tmux("capture-pane", "-p", "-t", name, "-S", "-200")

    def wait_for(text: str, timeout: float = 20) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            s = screen()
            if text in s:
                return s
            time.sleep(0.1)
        raise AssertionError(f"{text!r} not on screen:\n{screen()}")

    tmux("kill-session", "-t", name)
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "100", "-y", "30",
                    f"{kdb} --kmdb jurassic"], env=env, check=True, timeout=30)
    try:
        tmux("set-option", "-t", name, "remain-on-exit", "on")
        wait_for("[12]>")
        tmux("send-keys", "-t", name, "0t100015::pid2proc | ::walk thread | ::findstack -v", "Enter")
        s = wait_for("sys_syscall32+0x1fc()")
        assert "kmdb: target stopped at:" in s and "kmdb_enter+0xb: movq   %rax,%rdi" in s
        assert "  ffffff003c57dd00 sema_p+0x26f(ffffff0935930648)" in s
        tmux("send-keys", "-t", name, "e4::major2name", "Enter")
        wait_for("\nii\n")
        tmux("send-keys", "-t", name, "::walk thread", "Enter")
        wait_for("--More--")
        tmux("send-keys", "-t", name, "q")
        end = time.monotonic() + 20          # the pager gives the terminal back
        while "--More--" in screen() and time.monotonic() < end:
            time.sleep(0.1)
        assert "--More--" not in screen()     # q abandoned the rest of the output
        time.sleep(0.5)
        tmux("send-keys", "-t", name, "::quit", "Enter")
    finally:
        tmux("kill-session", "-t", name)


@pytest.mark.skipif(shutil.which("tmux") is None or shutil.which("make") is None,
                    reason="tmux or make is not installed")
def test_make_run_survives_ctrl_c(tmp_path):
    """`make run`, Ctrl-C in a long command, then $q: make exits 0 (kdb
    handles the interrupt; $q ends it with status 0)."""
    root = Path(__file__).resolve().parent.parent
    name = f"kdbmake{os.getpid()}"
    env = dict(os.environ, XDG_STATE_HOME=str(tmp_path), TERM="xterm-256color")
    env.pop("PAGER", None)
    out = tmp_path / "status"

    def tmux(*args: str) -> str:
        return subprocess.run(["tmux", *args], capture_output=True, text=True, env=env,
                              timeout=30).stdout

    def wait_for(text: str, timeout: float = 60) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if text in tmux("capture-pane", "-p", "-t", name):
                return
            time.sleep(0.1)
        raise AssertionError(f"{text!r} not on screen:\n{tmux('capture-pane', '-p', '-t', name)}")

    tmux("kill-session", "-t", name)
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "100", "-y", "30",
                    f"cd {root} && make -s run BIN={Path(sys.executable).parent}; echo $? > {out}"],
                   env=env, check=True, timeout=30)
    try:
        wait_for("live/hang")                 # the toolbar: the prompt is up
        tmux("send-keys", "-t", name, ",ffffffffffff=K", "Enter")
        time.sleep(1.5)
        tmux("send-keys", "-t", name, "C-c")
        time.sleep(0.5)
        tmux("send-keys", "-t", name, "::status", "Enter")
        wait_for("operating system: 5.11 snv_89")
        tmux("send-keys", "-t", name, "$q", "Enter")
        end = time.monotonic() + 30
        while not out.exists() and time.monotonic() < end:
            time.sleep(0.1)
        assert out.read_text().strip() == "0"
    finally:
        tmux("kill-session", "-t", name)


def test_history_skips_bad_bytes_and_keeps_the_rest(tmp_path):
    path = tmp_path / "h"
    path.write_bytes(b'"one"\n\xff\xfe not utf-8\n{"not": "a string"}\n"two"\n"thr')
    h = SafeHistory(path)
    assert list(h.load_history_strings()) == ["two", "one"]
    h.store_string("three")                         # starts a line of its own after the torn one
    assert list(SafeHistory(path).load_history_strings())[:3] == ["three", "two", "one"]


def test_two_sessions_merge_their_history(tmp_path):
    path = tmp_path / "h"
    a, b = SafeHistory(path), SafeHistory(path)
    a.load_history_strings()
    b.load_history_strings()
    a.store_string("from a")
    b.store_string("from b")                        # b never saw a's entry: it must not erase it
    a.store_string("a again")
    assert list(reversed(list(SafeHistory(path).load_history_strings()))) == ["from a", "from b",
                                                                             "a again"]


def test_history_is_compacted_past_twice_its_limit(tmp_path):
    path = tmp_path / "h"
    h = SafeHistory(path, limit=10)
    for i in range(25):
        h.store_string(f"c{i}")
    lines = path.read_text().splitlines()
    assert len(lines) <= 20 and lines[-1] == '"c24"'
    assert list(SafeHistory(path, limit=10).load_history_strings())[0] == "c24"


def test_a_fifo_is_never_history(tmp_path):
    path = tmp_path / "h"
    os.mkfifo(path)
    h = SafeHistory(path)
    assert list(h.load_history_strings()) == []      # returns at once: no wedged REPL
    h.store_string("x")                              # and writes nothing into it
    assert stat.S_ISFIFO(os.stat(path).st_mode)
