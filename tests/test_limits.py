"""Limits on dump size, nesting and string length: clear refusals, and options to raise them."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings, strategies as st

from goldenlib import run_inprocess
from kdb.limits import DEFAULT_MAX_STRING, Limits, long_string_possible, parse_size
from kdb.target.dump import DumpError, build_dump, load_dump
from test_loader import minimal


def write(tmp_path, d, name="d.json"):
    f = tmp_path / name
    f.write_text(json.dumps(d))
    return str(f)


def nested(depth):
    v: list = []
    for _ in range(depth - 1):
        v = [v]
    return v


def test_parse_size():
    assert parse_size("4096") == 4096
    assert parse_size("64k") == 64 << 10 and parse_size("8M") == 8 << 20 and parse_size("4G") == 4 << 30
    for bad in ("", "0", "-1", "1.5M", "12X", "M"):
        with pytest.raises(ValueError):
            parse_size(bad)


def test_command_line_beats_environment_beats_default():
    env = {"KDB_MAX_DEPTH": "300", "KDB_MAX_STRING": "2K", "KDB_MAX_DUMP_BYTES": "junk"}
    lim = Limits.from_env(env, max_string=99)
    assert (lim.max_depth, lim.max_string, lim.max_bytes) == (300, 99, Limits().max_bytes)
    assert Limits.from_env({}) == Limits()


@pytest.mark.parametrize("where,path", [
    (lambda d, s: d["procs"][0].__setitem__("comm", s), "$.procs[0].comm"),
    (lambda d, s: d["procs"][0]["threads"][0]["stack"].__setitem__(0, "f" * len(s)),
     "$.procs[0].threads[0].stack[0]"),
    (lambda d, s: d.__setitem__("msgbuf", ["ok", s]), "$.msgbuf[1]"),
    (lambda d, s: d["system"].__setitem__("nodename", s), "$.system.nodename"),
    (lambda d, s: d.__setitem__("x_note", {"a": [s]}), "$.x_note.a[0]"),
    (lambda d, s: d["system"].__setitem__("x_" + s, 1), "$.system"),
])
def test_long_strings_are_refused_with_their_path(tmp_path, where, path):
    d = minimal()
    where(d, "\\" * 10 + "A" * 3000)          # escapes do not hide length from the scan
    f = write(tmp_path, d)
    for load in (lambda: load_dump(f, limits=Limits(max_string=2048)),
                 lambda: build_dump(json.loads(open(f).read()), f, Limits(max_string=2048))):
        with pytest.raises(DumpError) as e:
            load()
        assert e.value.path == path
        assert e.value.rule.endswith("of 3010 characters is longer than the limit of 2048 "
                                     "(raise it with --max-string or KDB_MAX_STRING)") or path == "$.system"
    load_dump(f, limits=Limits(max_string=4096))


def test_escaped_quotes_are_counted_as_characters(tmp_path):
    d = minimal()
    d["procs"][0]["comm"] = '"' * 3000            # written as 6000 bytes of \"
    f = write(tmp_path, d)
    with pytest.raises(DumpError, match="3000 characters"):
        load_dump(f, limits=Limits(max_string=2048))


def test_default_string_limit(tmp_path):
    d = minimal()
    d["msgbuf"] = ["x" * (DEFAULT_MAX_STRING + 1)]
    with pytest.raises(DumpError, match=r"d.json: \$\.msgbuf\[0\]: .*limit of 1048576"):
        load_dump(write(tmp_path, d), limits=Limits())


@pytest.mark.parametrize("place", ["top", "proc", "object"])
def test_nesting_limit(tmp_path, place):
    d = minimal()
    deep = nested(250)
    if place == "top":
        d["x_deep"] = deep
    elif place == "proc":
        d["procs"][0]["x_deep"] = deep
    else:
        d["objects"] = [{"addr": "0x5000", "type": "int", "value": deep}]
    f = write(tmp_path, d)
    with pytest.raises(DumpError, match=r"nesting deeper than 200 levels \(raise it with --max-depth"):
        load_dump(f, limits=Limits())
    if place != "object":          # an int object with a list value is refused later, by type
        load_dump(f, limits=Limits(max_depth=300))


def test_nesting_beyond_the_parser_is_refused_not_a_crash(tmp_path):
    f = tmp_path / "d.json"
    f.write_text('{"kdb_dump": 1, "x": ' + "[" * 100000 + "]" * 100000 + "}")
    with pytest.raises(DumpError, match="nesting deeper"):
        load_dump(str(f), limits=Limits(max_depth=1 << 20))


def test_size_limit_counts_bytes_read(tmp_path):
    f = write(tmp_path, minimal())
    with pytest.raises(DumpError, match=r"more than the limit of 100 \(raise it with --max-dump-bytes"):
        load_dump(f, limits=Limits(max_bytes=100))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from('ab"\\\u00e9\x00'), max_size=80), max_size=8),
       st.integers(min_value=1, max_value=64))
def test_string_scan_has_no_false_negatives(strings, limit):
    raw = json.dumps({"k": strings, "n": list(range(5))}).encode()
    if any(len(s) > limit for s in strings):
        assert long_string_possible(raw, limit)


# -- the command line ------------------------------------------------------------------------

def test_cli_options_raise_and_lower_limits(tmp_path):
    d = minimal()
    d["procs"][0]["comm"] = "c" * 3000
    f = write(tmp_path, d)
    out, err, code = run_inprocess(["--max-string", "2K", "-e", "::ps", f], None)
    assert code == 2 and "$.procs[0].comm: a string of 3000 characters" in err
    out, err, code = run_inprocess(["--max-string=4K", "-e", "::ps", f], None)
    assert code == 0 and "c" * 3000 in out
    out, err, code = run_inprocess(["--max-depth", "many", f], None)
    assert code == 2 and "--max-depth: 'many' is not a positive size" in err


def test_check_and_triage_take_the_options(tmp_path, capsys, monkeypatch):
    from kdb.apps.check import main as check_main
    from kdb.apps.triage import main as triage_main
    d = minimal()
    d["procs"][0]["comm"] = "c" * 3000
    f = write(tmp_path, d)
    assert check_main(["--max-string", "1K", f]) == 1
    assert "limit of 1024" in capsys.readouterr().out
    assert check_main([f]) == 0
    monkeypatch.setenv("KDB_MAX_STRING", "1K")
    assert check_main([f]) == 1
    capsys.readouterr()
    assert triage_main(["--max-string", "8K", f]) == 0
    assert triage_main([f]) == 1
    assert "limit of 1024" in capsys.readouterr().out
