"""The Python API (kdb.api, docs/api.md): what it gives is what the CLI
prints and what the dcmds see."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest

import kdb
from goldenlib import GOLDEN_DIR, all_cases, parse
from kdb.errors import KdbError, ReadError

ROOT = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=None)
def dump(name: str) -> kdb.Dump:
    return kdb.open(name)


def _cli_cases() -> list[Path]:
    """The golden transcripts of ``kdb -e CMDS DUMP`` (no other flag, no
    stdin, no environment): the API must print what they print."""
    out = []
    for p in all_cases():
        c = parse(p)
        argv = c["argv"]
        if len(argv) == 3 and argv[0] == "-e" and not c["stdin"] and not c["env"] and "stdout" in c:
            out.append(p)
    return out


CLI_CASES = _cli_cases()


def test_most_goldens_are_plain_e_runs():
    assert len(CLI_CASES) > 400


@pytest.mark.parametrize("path", CLI_CASES, ids=lambda p: str(p.relative_to(GOLDEN_DIR)))
def test_run_prints_what_the_cli_prints(path):
    """Result.text is the golden's stdout byte for byte, .errors its stderr
    lines, .status its exit status; records alongside change no byte."""
    case = parse(path)
    _, command, name = case["argv"]
    r = dump(name).run(command)
    assert r.text == case["stdout"]
    assert "".join(e + "\n" for e in r.errors) == case["stderr"]
    assert r.status == case["exit"] and r.ok == (case["exit"] == 0)


JSON_COMMANDS = ["::ps", "::stacks", "::walk thread | ::findstack -v", "::cpuinfo -v", "::status",
                 "::echo hi; ::status", "e4::major2name", "::nosuch", "::kmastat"]


@pytest.mark.parametrize("name", ["jurassic", "deadlock", "leak"])
def test_records_are_the_json_outputs_records(name):
    """One CLI run with --format json per dump: each command line's records
    equal Result.records."""
    cli = subprocess.run([sys.executable, "-m", "kdb", "--format", "json", "-e", "\n".join(JSON_COMMANDS),
                          name], capture_output=True, text=True, timeout=120)
    docs = [json.loads(d) for d in re.split(r"\n(?=\{\n)", cli.stdout.strip()) if d]
    by_command = {d["command"]: d["records"] for d in docs}
    for c in JSON_COMMANDS:
        if c in by_command:
            assert list(dump(name).run(c).records) == by_command[c], c
    errors = [json.loads(line)["error"] for line in cli.stderr.splitlines()]
    ran = [c for c in JSON_COMMANDS if c in by_command]
    assert [e.removeprefix("kdb: ") for c in ran for e in dump(name).run(c).errors] == errors
    assert "::nosuch" in ran


def test_a_session_keeps_state_and_a_run_does_not():
    d = dump("jurassic")
    s = d.session()
    assert s.run("0t42=X").text.split() == ["2a"]
    assert s.run('::typedef "struct mything { int a; }" mytype_t').ok
    assert s.run("::sizeof mytype_t").text == "sizeof (mytype_t) = 4\n"
    assert s.run("1234>myvar").ok and s.run("<myvar=D").text.split() == ["4660"]
    assert not d.run("::sizeof mytype_t").ok          # a fresh session each time


def test_the_model_is_what_the_dcmds_print():
    d = dump("deadlock")
    ps = [r for r in d.run("::ps").records if r["kind"] == "proc"]
    assert sorted((p.pid, p.comm, p.ppid, f"0x{p.addr:x}") for p in d.procs) == \
        sorted((r["pid"], r["comm"], r["ppid"], r["addr"]) for r in ps)
    walk = d.run("::walk thread").text.split()
    assert [f"0x{t.addr:x}" for t in d.threads] == walk
    for t in d.threads[:40]:
        dollar_c = d.run(f"{t.addr:x}::findstack").text.splitlines()
        frames = [line.split()[1].removesuffix("()") for line in dollar_c if line.startswith("  ")]
        assert [f.symbol for f in t.stack] == frames
        assert dollar_c[0].split("(", 1)[1].rsplit(")", 1)[0] == t.description \
            or t.description not in dollar_c[0] and "(" not in dollar_c[0]
    p = d.proc(ps[-1]["pid"])
    assert p is not None and p.threads and all(t.proc == p for t in p.threads)
    assert d.proc(999999) is None and d.thread(1) is None


def test_blocked_on_and_the_wait_for_graph_name_the_deadlock():
    d = dump("deadlock")
    (cycle,) = d.deadlocks()
    assert len(cycle) == 2
    for t in cycle:
        so = t.blocked_on
        assert so is not None and so.type == "mutex" and so.holder in cycle and so.holder != t
        assert t in so.waiters
        assert d.run(f"{so.addr:x}::mutex").records[0]["owner"] == f"0x{so.holder.addr:x}"
    report = d.triage()
    assert report["deadlocks"] and report["signature"]["text"].startswith("deadlock")
    cli = json.loads(subprocess.run([sys.executable, "-m", "kdb", "triage", "--format", "json", "deadlock"],
                                    capture_output=True, text=True, timeout=120).stdout)
    assert report == cli["dumps"][0]


def test_stack_groups_are_stacks_groups():
    d = dump("jurassic")
    groups = d.stack_groups()
    text = d.run("::stacks").text
    heads = [line.split() for line in text.splitlines() if re.match(r"^[0-9a-f]{16} ", line)]
    assert [(f"{g.threads[0].addr:x}", g.state, g.sobj, g.count) for g in groups] == \
        [(h[0], h[1], h[2], int(h[3])) for h in heads]
    assert sum(g.count for g in groups) == len(d.threads)


def test_symbols_frames_and_modules():
    d = dump("jurassic")
    s = d.symbol("cv_wait")
    assert s is not None and s.module == "genunix" and d.symbol(s.addr + 1) == s
    assert d.symbol("genunix`cv_wait") == s and d.symbol("no_such_symbol") is None
    t = next(t for t in d.threads if t.stack and t.stack[0].function == "swtch")
    f = t.stack[0]
    assert f.symbol == f"swtch+0x{f.offset:x}" and f.module == "unix"
    assert d.run(f"{f.pc:x}=a").text.strip() == f.symbol + ":"
    assert {m.name for m in d.modules} >= {"unix", "genunix"}


def test_typed_memory_reads_what_print_shows():
    d = dump("jurassic")
    p = d.proc(0)
    assert p is not None
    o = d.object(p.addr, "proc_t")
    assert o.p_user.u_comm.string() == "sched" == p.comm
    assert int(o.p_pidp.pid_id) == 0 or o.p_pidp.deref().type_name
    assert str(o) == d.run(f"0x{p.addr:x}::print proc_t").text
    assert "p_user" in o.members() and len(o.p_user.u_comm) == 17
    with pytest.raises(AttributeError):
        o.no_such_member
    with pytest.raises(KdbError):
        d.object(p.addr, "no_such_t")
    with pytest.raises(ReadError):
        int(d.object(0x10, "int"))


def test_hostile_input_at_the_api_gives_the_clis_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"kdb_dump": 1, "system": {"nodename": 7}}')
    with pytest.raises(KdbError) as e:
        kdb.open(str(bad))
    cli = subprocess.run([sys.executable, "-m", "kdb", "-e", "::status", str(bad)], capture_output=True,
                         text=True, timeout=120)
    assert cli.stderr == f"kdb: {e.value}\n"
    with pytest.raises(KdbError):
        kdb.open(str(tmp_path / "missing.json"))
    with pytest.raises(KdbError) as small:
        kdb.open("jurassic", limits={"max_bytes": 1000})
    assert "more than the limit of 1000" in str(small.value)
    with pytest.raises(TypeError, match="unknown limit 'max_threads'"):
        kdb.open("jurassic", limits={"max_threads": 10})
    d = dump("jurassic")
    for command in ("::nosuch", "$<<", "0::print proc_t", "::walk thread | ::findstack -v -v -q",
                    "\x1b[2J::status", "::eval '::eval ::eval'"):
        r = d.run(command)
        assert isinstance(r.text, str) and all(isinstance(e, str) for e in r.errors)
        assert "\x1b" not in r.text + "".join(r.errors)


def test_a_dumps_control_characters_reach_the_text_escaped_as_the_cli_writes_them(tmp_path):
    src = json.loads((ROOT / "dumps" / "deadlock.json").read_text())
    src["procs"][-1]["comm"] = "\x1b]0;pwned\x07\x9bevil"
    (tmp_path / "d.json").write_text(json.dumps(src))
    d = kdb.open(str(tmp_path / "d.json"))
    r = d.run("::ps")
    cli = subprocess.run([sys.executable, "-m", "kdb", "-e", "::ps", str(tmp_path / "d.json")],
                         capture_output=True, timeout=120)
    assert r.text.encode() == cli.stdout and "\\x1b]0;pwned\\x07\\x9bevil" in r.text
    assert not any(c in r.text for c in "\x1b\x07\x9b")
    assert any(rec.get("comm") == "\x1b]0;pwned\x07\x9bevil" for rec in r.records)   # data, as JSON has it


def test_notebook_tables_escape_what_the_dump_says(tmp_path):
    src = json.loads((ROOT / "dumps" / "deadlock.json").read_text())
    src["procs"][-1]["comm"] = "<script>x</script>"
    (tmp_path / "d.json").write_text(json.dumps(src))
    d = kdb.open(str(tmp_path / "d.json"))
    page = d.run("::ps").__repr__() and d.run("::ps")._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<table>" in d.stack_groups()._repr_html_()
    assert "<pre>" in d.run("::echo <b>")._repr_html_() and "&lt;b&gt;" in d.run("::echo <b>")._repr_html_()
    assert str(d.run("::status")) == d.run("::status").text


def test_import_kdb_stays_cheap():
    """The CLI imports kdb: the API loads only when asked for."""
    code = "import sys, kdb; print('kdb.api' in sys.modules, 'kdb.target.kernel' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    assert out.split() == ["False", "False"]
