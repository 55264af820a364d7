"""End-to-end runs of the real ``kdb`` executable."""

import os
import subprocess
import sys

import pytest

KDB = [sys.executable, "-m", "kdb"]


def run(args, stdin=None, env=None):
    e = dict(os.environ, **(env or {}))
    return subprocess.run(KDB + args, input=stdin, capture_output=True, text=True, env=e,
                          timeout=60)


def test_issue_examples():
    r = run(["-e", "0t2 << 0t10=K"])
    assert r.stdout == " " * 16 + "800" + " " * 13 + "\n" and r.returncode == 0
    r = run(["-e", "::nosuch"])
    assert r.returncode == 1
    assert r.stderr == "kdb: invalid command '::nosuch': unknown dcmd name\n"
    r = run(["-e", "! 'seq 3' | ::map ."])
    assert r.stdout == "1\n2\n3\n"
    assert run(["-e", "0t20::map ."]).stdout == "14\n"


def test_stdin_script_exits_zero_after_errors():
    r = run([], stdin="::nosuch\n1$d\n")
    assert r.returncode == 0
    assert r.stderr.count("kdb: ") == 2


def test_python_dash_m_and_console_script_agree():
    exe = os.path.join(os.path.dirname(sys.executable), "kdb")
    if not os.path.exists(exe):
        pytest.skip("console script not installed")
    a = subprocess.run([exe, "-e", "-1,10=J"], capture_output=True, text=True)
    b = run(["-e", "-1,10=J"])
    assert a.stdout == b.stdout and a.returncode == b.returncode == 0


def test_closed_pipe_ends_quietly():
    p = subprocess.Popen(KDB + ["-e", "! 'seq 100000' | ::map ."], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    first = p.stdout.readline()
    p.stdout.close()
    err = p.stderr.read()
    p.wait(timeout=60)
    assert first == b"1\n"
    assert b"Traceback" not in err and b"Broken pipe" not in err


def test_bad_option_exits_2():
    r = run(["--bogus"])
    assert r.returncode == 2 and "usage:" in r.stderr


def test_dash_e_takes_a_leading_minus():
    assert run(["-e", "-5%2=e"]).stdout.strip() == "-2"


def test_module_path_and_load(tmp_path):
    mod = tmp_path / "hello.py"
    mod.write_text(
        "from kdb.modapi import Module\n"
        "module = Module('hello')\n"
        "@module.dcmd('hello', '?', 'say hello', help='Greets.')\n"
        "def hello(call):\n"
        "    call.printf('hello %p\\n', call.addr)\n"
        "@module.walker('nums', 'three numbers')\n"
        "def nums(walk):\n"
        "    yield from (1, 2, 3)\n")
    r = run(["-e", "::walk nums | ::hello; ::which hello"], env={"KDB_MODULE_PATH": str(tmp_path)})
    assert r.stdout == "hello 1\nhello 2\nhello 3\nhello is a dcmd from hello\n", r.stderr
    r = run(["-e", f"::load {mod}; 5::hello; ::dmods"])
    assert r.stdout == "Loaded module hello\nhello 5\nhello\nkdb\n", r.stderr


def test_broken_module_does_not_kill_session(tmp_path):
    (tmp_path / "bad.py").write_text("raise RuntimeError('boom')\n")
    r = run(["-e", "1=D"], env={"KDB_MODULE_PATH": str(tmp_path)})
    assert r.returncode == 0 and "failed to load module" in r.stderr


def test_internal_error_is_one_line(tmp_path):
    (tmp_path / "buggy.py").write_text(
        "from kdb.modapi import Module\nmodule = Module('buggy')\n"
        "@module.dcmd('buggy', None, 'crash')\ndef buggy(call):\n    return 1 // 0\n")
    r = run(["-e", "::buggy; 1=D"], env={"KDB_MODULE_PATH": str(tmp_path)})
    assert "Traceback" not in r.stderr
    assert r.stderr.startswith("kdb: internal error in ::buggy: ZeroDivisionError")
    assert r.stdout.strip() == "1"
