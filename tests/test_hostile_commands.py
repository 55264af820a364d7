"""Hostile commands: mdb's error texts, bounded memory, and Ctrl-C stops anything.

Random tokens are in test_properties.py and the coverage-guided fuzz in
test_fuzz_atheris.py; here are the named shapes of hostile input (giant
repeat counts, deep parentheses, unterminated quotes, thousands of pipeline
stages, huge lines) and the real CLI interrupted with SIGINT while it runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from goldenlib import run_inprocess
from kdb.errors import QuitSession
from kdb.engine.inputs import InputSource
from kdb.target.kernel import open_dump
from kdb.engine.session import Session

KDB = [sys.executable, "-m", "kdb"]


@pytest.mark.parametrize("line,err", [
    ("(" * 5000 + "1" + ")" * 5000 + "=K", "syntax error: expression nested more than 100 deep"),
    ("-" * 5000 + "1=K", "syntax error: expression nested more than 100 deep"),
    ("::echo \"abc", 'syntax error: " unmatched'),
    ("'ab=K", "syntax error: ' unmatched"),
    ("'abcdefghi'=K", "character constant may not exceed 8 bytes"),
    ("0t" + "9" * 400 + "=K", "specified value exceeds maximum immediate value"),
    ("f" * 400 + "=K", "specified value exceeds maximum immediate value"),
    ("1%0=K", "attempted to divide by zero"),
    ("$[" + "1+" * 3000, "syntax error"),
    ("::echo " + "|" * 3000, "syntax error"),
    ("::nosuchdcmd", "invalid command '::nosuchdcmd': unknown dcmd name"),
    ("::eval '::eval \"::grep .\"'", ""),
])
def test_hostile_lines_get_mdbs_errors(line, err):
    out, stderr, code = run_inprocess(["-e", line], None)
    assert "internal error" not in stderr and "Traceback" not in stderr
    assert err in stderr
    if err:
        assert code == 1


def test_thousands_of_pipeline_stages():
    stages = " | ::map ." * 3000
    out, err, code = run_inprocess(["-e", "::echo 0x10" + stages], None)
    assert (out, err, code) == ("10\n", "", 0) or (err == "" and out.strip() == "10")


def test_thousands_of_statements_and_a_megabyte_line():
    out, err, code = run_inprocess(["-e", "1=K;" * 20000], None)
    assert code == 0 and out.count("1 ") == 20000
    out, err, code = run_inprocess(["-e", "::echo " + "a" * (1 << 20)], None)
    assert code == 0 and len(out) > 1 << 20


def test_an_endless_line_into_a_pipe_is_abandoned_at_the_byte_limit(monkeypatch):
    import kdb.engine.pipeline as session_mod
    monkeypatch.setattr(session_mod, "MAX_PIPE_CHARS", 1_000_000)
    errors: list[str] = []
    s = Session(open_dump("jurassic"), write=lambda t: None, write_err=errors.append)
    assert s.run_string("41=777777777777777c | ::map .\n").parse_error
    assert errors == ["kdb: pipeline stage output exceeds 1000000 bytes; command abandoned\n"]


def test_unwrapped_lines_reach_the_sink_in_pieces():
    from kdb.output.iob import MAX_LINE, OutputBuffer
    chunks: list[str] = []
    out = OutputBuffer(chunks.append, is_pipe=True)
    for _ in range(5 * MAX_LINE):
        out.item("x")
    out.ws(3 * MAX_LINE + 5)
    out.nl()
    assert "".join(chunks) == "x" * 5 * MAX_LINE + " " * (3 * MAX_LINE + 5) + "\n"
    assert max(map(len, chunks)) <= 2 * MAX_LINE + 1


def test_runaway_pipeline_stage_is_abandoned_not_unbounded(monkeypatch):
    import kdb.engine.pipeline as session_mod
    monkeypatch.setattr(session_mod, "MAX_PIPE_ITEMS", 5000)
    errors: list[str] = []
    s = Session(open_dump("jurassic"), write=lambda t: None, write_err=errors.append)
    r = s.run_string(",ffffffffffff::echo 1 | ::map .\n")
    assert r.parse_error and "pipeline stage output exceeds 5000 lines; command abandoned" in "".join(errors)
    errors.clear()
    s.run_string("::walk thread | ::findstack\n")          # the session goes on
    assert errors == []


# -- SIGINT and memory through the real CLI ----------------------------------------------

def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


LONG_RUNNING = [
    ",ffffffffffff=K",
    "0x1000,ffffffffffff/K",
    "0,ffffffffffff::walk thread",
    ",ffffffffffff::stacks",
    "::typedef -c lp64; 0::array int fffffffffffff",
    ",ffffffffffff::ps -f ! cat",
    "=" + "K" * 50 + ";" + "::walk thread | ::findstack -v; " * 2 + ",ffffffffffff::echo x",
    "1=" + "8" * 9 + "K",
    "41=777777777777777c",                         # one endless line (used to be a MemoryError)
    "41=777777777777777c | ::map .",               # the same into a pipe
]


def default_sigint() -> None:
    """In the child: SIGINT at its default, so Python turns it into
    KeyboardInterrupt even when the suite runs with SIGINT ignored
    (`bash -c 'trap "" INT; make test'`: children inherit the ignore)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs /proc")
@pytest.mark.parametrize("cmd", LONG_RUNNING)
def test_sigint_stops_a_long_command_and_memory_stays_flat(cmd):
    p = subprocess.Popen(KDB + ["-e", cmd, "jurassic"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         env={**os.environ, "KDB_NO_SHELL": "0"}, preexec_fn=default_sigint)
    try:
        time.sleep(1.5)
        assert p.poll() is None, f"{cmd!r} ended by itself: {p.stderr.read()!r}"
        first = rss_kb(p.pid)
        time.sleep(1.5)
        second = rss_kb(p.pid)
        p.send_signal(signal.SIGINT)
        code = p.wait(timeout=10)
    finally:
        if p.poll() is None:
            p.kill()
    err = p.stderr.read().decode()
    assert code == 130, (cmd, code, err)
    assert "internal error" not in err and "Traceback" not in err, err
    assert second - first < 8 * 1024, f"{cmd!r}: RSS grew from {first} to {second} kB while running"


def test_sigint_at_a_script_ends_it_and_the_next_session_is_unharmed(tmp_path):
    hist = tmp_path / "h"
    p = subprocess.Popen(KDB + ["jurassic"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, env={**os.environ, "KDB_HISTFILE": str(hist)},
                         preexec_fn=default_sigint)
    try:
        assert p.stdin is not None
        p.stdin.write(b",ffffffffffff=K\n")
        p.stdin.flush()
        time.sleep(1)
        p.send_signal(signal.SIGINT)
        assert p.wait(timeout=10) == 130
    finally:
        if p.poll() is None:
            p.kill()
    assert b"Traceback" not in p.stderr.read()
    r = subprocess.run(KDB + ["-e", "::status", "jurassic"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "jurassic" in r.stdout


def test_interrupted_commands_leave_the_session_usable():
    """Ctrl-C at any moment of any command: the next command works (the REPL's case)."""
    out: list[str] = []
    s = Session(open_dump("jurassic"), write=out.append, write_err=out.append)
    for cmd in LONG_RUNNING[:5]:
        signal.signal(signal.SIGALRM, lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        try:
            s.run_string(cmd + "\n")
        except KeyboardInterrupt:
            s.abort_output()
        except QuitSession:
            pass
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        out.clear()
        s.run_string("e4::major2name\n")
        assert "".join(out) == "ii\n", (cmd, out)


# -- issue 15's reproductions: no command ends a session or is an internal error --------
SURVIVED = [
    "::typedef -c lp64\n" + "".join(
        f'::typedef "struct s{i} {{ struct s{i - 1} a; }}"\n' if i else '::typedef "struct s0 { int x; }"\n'
        for i in range(500)) + "::print struct s499",
    "0t100015::pid2proc | ::print proc_t p_user.u_comm[08]",
    "::walk proc | ::head -" + "9" * 5000,
    "::print 'long double'",
]


@pytest.mark.parametrize("cmds", SURVIVED, ids=["typedef-chain", "index-08", "head-digits", "long-double"])
def test_a_hostile_command_never_ends_the_session(cmds):
    out: list[str] = []
    s = Session(open_dump("jurassic"), write=out.append, write_err=out.append)
    for line in cmds.split("\n"):
        s.run_line(line, InputSource("(test)"))
    s.run_line("::status", InputSource("(test)"))
    s.out.nlflush()
    text = "".join(out)
    assert "operating system: 5.11 snv_89" in text
    assert "internal error" not in text, text[-400:]


def test_a_format_count_of_thousands_of_digits_saturates_as_strtoull():
    from kdb.lang.parser import Parser
    s = Session(open_dump("jurassic"), write=lambda t: None, write_err=lambda t: None)
    st = Parser(s, "1=" + "9" * 4400 + "K").next()
    assert st is not None and st.stages[0].args[0].count == (1 << 64) - 1
