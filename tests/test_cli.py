"""End-to-end runs of the real ``kdb`` executable."""

import os
import subprocess
import sys
from pathlib import Path

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
    a = subprocess.run([exe, "-e", "-1,10=J"], capture_output=True, text=True, timeout=60)
    b = run(["-e", "-1,10=J"])
    assert a.stdout == b.stdout and a.returncode == b.returncode == 0


def test_closed_pipe_ends_quietly():
    p = subprocess.Popen(KDB + ["-e", "! 'seq 100000' | ::map ."], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        first = p.stdout.readline()
        p.stdout.close()
        err = p.stderr.read()
        p.wait(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
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
    assert r.stderr.count("\n") == 1
    assert r.stdout.strip() == "1"
    report = r.stderr.split("(report: ")[1].split(")")[0]
    text = open(report).read()
    os.unlink(report)
    assert "command: '::buggy; 1=D'" in text and "Traceback" in text and "1 // 0" in text


SEED = """\
stack pointer for thread ffffff0934cbce20: ffffff003c57dc80
[ ffffff003c57dc80 _resume_from_idle+0xf1() ]
  ffffff003c57dcc0 swtch+0x221()
  ffffff003c57dd00 sema_p+0x26f(ffffff0935930648)
  ffffff003c57dd60 hwc_parse+0x88(ffffff09357aeb80, ffffff003c57dd90, ffffff003c57dd88)
  ffffff003c57ddb0 impl_make_parlist+0xab(e4)
  ffffff003c57de00 i_ddi_load_drvconf+0x72(ffffffff)
  ffffff003c57de30 modctl_load_drvconf+0x37(ffffffff)
  ffffff003c57deb0 modctl+0x1ba(12, ffffffff, 3, 8079000, 8047e14, 0)
  ffffff003c57df00 sys_syscall32+0x1fc()
"""


def test_seed_acceptance_transcript():
    r = run(["-e", "0t100015::pid2proc | ::walk thread | ::findstack -v", "jurassic"])
    assert r.stdout == SEED and r.returncode == 0, r.stderr
    r = run(["-e", "e4::major2name", "jurassic"])
    assert r.stdout == "ii\n"


def test_seed_session_through_stdin_in_kmdb_mode():
    r = run(["--kmdb", "jurassic"], stdin="0t100015::pid2proc | ::walk thread | ::findstack -v\n"
                                          "e4::major2name\n")
    assert r.stdout == ("kmdb: target stopped at:\nkmdb_enter+0xb: movq   %rax,%rdi\n" + SEED + "ii\n")


def test_ddi_prop_walk_counts_in_seconds():
    r = run(["-e", "e4::walk ddi_prop ! wc -l", "jurassic"])
    assert r.stdout.strip() == str(262144 + 5)


def test_kmdb_prompt():
    from kdb.ui.console import prompt_for
    from kdb.target.kernel import open_dump
    from kdb.engine.session import Session
    s = Session(open_dump("jurassic", kmdb=True), kmdb=True, pname="kmdb")
    assert prompt_for(s) == "[12]> "
    assert prompt_for(Session()) == "> "


def test_bad_dump_exits_2(tmp_path):
    f = tmp_path / "bad.json"
    f.write_text('{"kdb_dump": 1, "system": {"nodename": "x"}, "procs": [], "bogus": 1}')
    r = run(["-e", "::status", str(f)])
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == f"kdb: {f}: $.bogus: unknown key (not in the format; use an x_ prefix for notes)\n"
    r = run(["-e", "::status", "nosuchdump"])
    assert r.returncode == 2 and "no such file or bundled dump" in r.stderr


def test_non_editable_install_carries_modules_and_dumps(tmp_path):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True,
                   timeout=300)
    pip = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                          "--disable-pip-version-check", root],
                         capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert pip.returncode == 0, pip.stderr
    r = subprocess.run([str(venv / "bin" / "kdb"), "-e", "e4::major2name; ::stacks -c hwc_parse ! head -2",
                        "jurassic"], capture_output=True, text=True, cwd=tmp_path,
                       env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, timeout=60)
    assert r.stdout == "ii\nTHREAD           STATE    SOBJ                COUNT\nffffff0934cbce20 SLEEP    SEMA                    2\n", r.stderr


@pytest.mark.parametrize("how", ["option", "env"])
def test_no_shell_refuses_every_shell_escape(tmp_path, how):
    marker = tmp_path / "ran"
    args = ["--no-shell"] if how == "option" else []
    env = dict(os.environ, KDB_NO_SHELL="1") if how == "env" else None
    for cmds in (f"!touch {marker}", f"::walk proc ! touch {marker}",
                 f"! 'touch {marker}' | ::map .", f"::ps !< touch {marker}"):
        r = run(args + ["-e", cmds, "jurassic"], env=env)
        assert not marker.exists(), cmds
        assert r.returncode == 1, cmds
        assert "kdb: shell escapes are disabled (--no-shell)" in r.stderr, (cmds, r.stderr)


def test_no_shell_env_zero_allows_shell_escapes():
    r = run(["-e", "!echo hi"], env=dict(os.environ, KDB_NO_SHELL="0"))
    assert r.stdout == "hi\n" and r.returncode == 0


@pytest.mark.parametrize("expr", ["(" * 5000 + "1" + ")" * 5000, "-" * 5000 + "1",
                                  "1" + "+(1" * 300 + ")" * 300, "1" + "*(~1|-*" * 300 + ")" * 300])
def test_deep_nesting_is_a_syntax_error_not_a_crash(expr):
    r = run(["-e", expr + "=K"])
    assert r.returncode == 1
    assert r.stderr.startswith("kdb: syntax error: expression nested more than 100 deep"), r.stderr
    assert "internal error" not in r.stderr


def test_nesting_up_to_the_limit_evaluates():
    r = run(["-e", "(" * 99 + "1" + ")" * 99 + "=K"])
    assert (r.returncode, r.stdout.strip()) == (0, "1")


@pytest.mark.parametrize("cmds", ["+::grep +,0i101", "::eval '+::grep +,3'"])
def test_commands_that_evaluate_themselves_stop_with_one_message(cmds):
    r = run(["-e", cmds])
    assert r.returncode == 1
    assert r.stderr.count("kdb: commands evaluating commands nested more than 32 deep") == 1, r.stderr
    assert "internal error" not in r.stderr


def test_a_read_only_dump_opens_and_is_never_modified(tmp_path):
    import hashlib
    import shutil
    import stat

    from kdb.target.kernel import bundled_dumps
    dump = tmp_path / "deadlock.json"
    shutil.copyfile(bundled_dumps()["deadlock"], dump)
    dump.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    before = (hashlib.sha256(dump.read_bytes()).hexdigest(), dump.stat().st_mtime_ns)
    r = run(["-e", "::ps; ::walk thread | ::findstack; ::stacks; ::msgbuf", str(dump)])
    assert r.returncode == 0, r.stderr
    assert (hashlib.sha256(dump.read_bytes()).hexdigest(), dump.stat().st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deadlock.json"]


def _using_it_commands() -> list[str]:
    text = open(os.path.join(os.path.dirname(os.path.dirname(__file__)), "README.md"),
                encoding="utf-8").read()
    block = text.split("## Using it", 1)[1].split("Examples:", 1)[0]
    return [line.split("#", 1)[0].strip() for line in block.splitlines()
            if line.startswith("    kdb")]


@pytest.mark.parametrize("line", _using_it_commands())
def test_every_command_of_the_readme_works(line, tmp_path):
    """The README's 'Using it' commands, as a user types them once kdb is on
    PATH (the venv's bin first, as '. .venv/bin/activate' does)."""
    bindir = os.path.dirname(sys.executable)
    if not os.path.exists(os.path.join(bindir, "kdb")):
        pytest.skip("console scripts not installed")
    script = tmp_path / "script.mdb"
    script.write_text("::status\n")
    cmd = (line.replace("'CMDS'", "'::status'").replace("DUMP|DIR...", "jurassic")
           .replace("DUMP...", "jurassic").replace("DUMP", "jurassic")
           .replace("--threads N", "--threads 50").replace("-o F", f"-o {tmp_path / 'gen.json'}")
           .replace("script.mdb", str(script))
           .replace("CAPTURE", str(Path(__file__).parent / "data" / "captures" / "seed-jurassic-kmdb.txt")))
    env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""),
               XDG_STATE_HOME=str(tmp_path))
    r = subprocess.run(["sh", "-c", cmd], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       env=env, cwd=tmp_path, timeout=120)
    assert r.returncode == 0, (cmd, r.stdout[-500:], r.stderr[-500:])
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr


def test_no_shell_refuses_code_from_outside(tmp_path):
    """--no-shell: no ::load, no KDB_MODULE_PATH, in kdb and in kdb exercise."""
    mod = tmp_path / "m.py"
    mod.write_text("import os\nopen(os.environ['MARK'], 'w').write('ran')\n"
                   "from kdb.modapi import Module\nmodule = Module('m')\n")
    mark = tmp_path / "ran"
    env = {"MARK": str(mark)}
    r = run(["--no-shell", "-e", f"::load {mod}", "jurassic"], env=env)
    assert r.returncode == 1 and "loading modules is disabled (--no-shell)" in r.stderr
    r = run(["--no-shell", "-e", "::status", "jurassic"], env={**env, "KDB_MODULE_PATH": str(tmp_path)})
    assert "modules in KDB_MODULE_PATH are not loaded (--no-shell)" in r.stderr
    r = run(["exercise", "jurassic", "--no-shell", "-e", f"::load {mod}"],
            env={**env, "XDG_STATE_HOME": str(tmp_path)})
    assert "loading modules is disabled" in r.stderr
    r = run(["exercise", "jurassic", "-e", "! echo hi"],
            env={**env, "KDB_NO_SHELL": "1", "XDG_STATE_HOME": str(tmp_path)})
    assert "shell escapes are disabled" in r.stderr
    assert not mark.exists()
