"""The dump loader: valid dumps load, every broken rule is refused with its path."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from kdb.tools.gen import generate
from kdb.target.dump import DumpError, build_dump, load_bytes, load_dump

ROOT = Path(__file__).parent.parent
JURASSIC = ROOT / "dumps" / "jurassic.json"


def minimal() -> dict:
    return {
        "kdb_dump": 1,
        "system": {"nodename": "tiny"},
        "cpus": [{"id": 0, "addr": "0xfffffffffbc4f0c0", "thread": "0xffffff0001000000"}],
        "procs": [{"addr": "0xfffffffffbc28c30", "pid": 0, "comm": "sched", "threads": [
            {"addr": "0xffffff0001000000", "state": "onproc", "cpu": 0, "sp": "0xffffff0000fffe00",
             "stack": ["idle+0x102", "thread_start+8"]}]}],
    }


def refuse(data) -> DumpError:
    with pytest.raises(DumpError) as e:
        build_dump(data, "t.json")
    return e.value


def test_jurassic_and_generated_dumps_load():
    d = load_dump(str(JURASSIC))
    assert d.system.nodename == "jurassic" and len(d.cpus) == 16
    assert d.major_by_num[0xE4].name == "ii" and d.major_by_num[0xE4].prop_count == 262149
    for f in (ROOT / "tests" / "data").glob("*.json"):
        load_dump(str(f))


def test_minimal_dump_defaults():
    d = build_dump(minimal())
    assert d.system.dump == "live" and d.zones[0].name == "global"
    p = d.procs[0]
    assert (p.state, p.pgid, p.psargs) == ("run", 0, "sched")
    t = d.threads[0]
    assert [d.symbols.containing(f.pc).name for f in t.frames] == ["idle", "thread_start"]
    assert t.frames[0].fp == 0xFFFFFF0000FFFE40


def test_synthesized_symbols_are_deterministic():
    a = build_dump(minimal())
    b = build_dump(json.loads(json.dumps(minimal())))
    assert [(s.name, s.addr) for s in a.symbols] == [(s.name, s.addr) for s in b.symbols]


@pytest.mark.parametrize("mutate,path,rule", [
    (lambda d: d.update(kdb_dump=2), "$.kdb_dump", "is not a supported format version"),
    (lambda d: d.pop("system"), "$.system", "required key is missing"),
    (lambda d: d["system"].update(nodenme="x"), "$.system.nodenme", "unknown key"),
    (lambda d: d["procs"][0].update(pid="0"), "$.procs[0].pid", "'0' is not a number"),
    (lambda d: d["procs"][0]["threads"][0].update(state="slept"), "$.procs[0].threads[0].state",
     "'slept' is not one of sleep, run, onproc, zomb, stopped, wait, free"),
    (lambda d: d["procs"][0]["threads"][0].update(addr="0xzz"), "$.procs[0].threads[0].addr",
     "is not an address"),
    (lambda d: d["procs"][0]["threads"][0].update(cpu=7), "$.procs[0].threads[0].cpu",
     "CPU 7 is not a CPU of this dump"),
    (lambda d: d["cpus"][0].update(thread="0xdead"), "$.cpus[0].thread",
     "0xdead is not a thread of this dump"),
    (lambda d: d["procs"].append({"addr": "0x1000", "pid": 0, "comm": "dup"}), "$.procs[1].pid",
     "duplicate pid 0 (also $.procs[0].pid)"),
    (lambda d: d["procs"].append({"addr": "0xfffffffffbc28c30", "pid": 5, "comm": "dup"}),
     "$.procs[1].addr", "duplicate address 0xfffffffffbc28c30 (also $.procs[0].addr)"),
    (lambda d: d["procs"][0]["threads"][0].update(thraeds=1), "$.procs[0].threads[0].thraeds",
     "unknown key"),
    (lambda d: d["procs"][0]["threads"][0].update(stack=["not a location!"]),
     "$.procs[0].threads[0].stack[0]", "is not a code location"),
    (lambda d: d["procs"][0]["threads"][0].pop("sp"), "$.procs[0].threads[0].sp", "required key"),
    (lambda d: d.update(panic={"message": "x", "thread": "0x1"}), "$.panic.thread",
     "is not a thread of this dump"),
    (lambda d: d.update(sobjs=[{"addr": "0x10", "type": "mutex", "owner": "0x20"}]),
     "$.sobjs[0].owner", "is not a thread of this dump"),
    (lambda d: d.update(sobjs=[{"addr": "0x10", "type": "sema", "owner": None}]),
     "$.sobjs[0].owner", "not a field of a sema"),
    (lambda d: d["procs"][0].update(zone="nowhere"), "$.procs[0].zone", "is not a zone of this dump"),
    (lambda d: d["system"].update(time="May 12 2008"), "$.system.time", "ISO 8601"),
    (lambda d: d["system"].update(time="2008-05-12T17:39:00"), "$.system.time", "no time zone"),
    (lambda d: d["procs"][0].update(addr=1 << 60), "$.procs[0].addr", "out of range"),
    (lambda d: d.update(majors=[{"major": 1, "name": "a"}, {"major": 1, "name": "b"}]),
     "$.majors[1].major", "duplicate major 1"),
    (lambda d: d.update(devinfo=[{"addr": "0x50", "name": "x", "major": 9}]), "$.devinfo[0].major",
     "9 is not a major of this dump"),
    (lambda d: d.update(taskqs=[{"addr": "0x60"}]), "$.taskqs[0].name", "required key is missing"),
    (lambda d: d.update(taskqs=[{"addr": "0x60", "name": "q" * 32}]), "$.taskqs[0].name",
     "1 to 31 printable characters"),
    (lambda d: d.update(taskqs=[{"addr": "0xffffff0001000000", "name": "q"}]), "$.taskqs[0]",
     "duplicate address 0xffffff0001000000"),
    (lambda d: d.update(taskqs=[{"addr": "0x60", "name": "q", "threads": ["0x99"]}]),
     "$.taskqs[0].threads[0]", "is not a kernel thread of this dump"),
    (lambda d: d.update(taskqs=[{"addr": "0x60", "name": "a", "threads": ["0xffffff0001000000"]},
                                {"addr": "0x160", "name": "b", "threads": ["0xffffff0001000000"]}]),
     "$.taskqs[1].threads[0]", "already a thread of $.taskqs[0]"),
    (lambda d: d.update(taskqs=[{"addr": "0x60", "name": "q", "queue": [{"func": "not a place"}]}]),
     "$.taskqs[0].queue[0].func", "is not a code location"),
    (lambda d: d.update(taskqs=[{"addr": "0x60", "name": "q", "queue": [{"fn": "f"}]}]),
     "$.taskqs[0].queue[0].fn", "unknown key"),
    (lambda d: d.update(taskqs=[{"addr": "0x60", "name": "q", "instance": -1}]),
     "$.taskqs[0].instance", "-1 is less than 0"),
    (lambda d: d.update(callouts=[{"func": "f"}]), "$.callouts[0].expires", "required key is missing"),
    (lambda d: d.update(callouts=[{"func": "f", "expires": 1, "cpu": 3}]), "$.callouts[0].cpu",
     "CPU 3 is not a CPU of this dump"),
    (lambda d: d.update(callouts=[{"func": "f", "expires": 1 << 41}]), "$.callouts[0].expires",
     "is greater than 1099511627776"),
    (lambda d: d.update(callouts=[{"func": "+0x1", "expires": 1}]), "$.callouts[0].func",
     "is not a code location"),
    (lambda d: d.update(callouts=[{"func": "f", "expires": 1, "realtime": "yes"}]),
     "$.callouts[0].realtime", "expected true or false"),
])
def test_broken_rules_are_refused_with_path_and_rule(mutate, path, rule):
    d = minimal()
    mutate(d)
    e = refuse(d)
    assert e.path == path, str(e)
    assert rule in e.rule, str(e)
    assert str(e).startswith(f"t.json: {path}: ")


def test_x_keys_are_ignored():
    d = minimal()
    d["x_note"] = {"anything": [1, 2]}
    d["procs"][0]["x_why"] = "because"
    build_dump(d)


def test_invalid_and_truncated_json(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"kdb_dump": 1,,}')
    with pytest.raises(DumpError, match=r"\$: invalid JSON: .* \(line 1, column 16\)"):
        load_dump(str(bad))
    text = JURASSIC.read_text()
    trunc = tmp_path / "trunc.json"
    trunc.write_text(text[: len(text) // 2])
    with pytest.raises(DumpError, match=r"truncated JSON"):
        load_dump(str(trunc))
    notjson = tmp_path / "bin.json"
    notjson.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(DumpError, match="not UTF-8"):
        load_dump(str(notjson))


def test_file_size_limit(tmp_path):
    with pytest.raises(DumpError, match="more than the limit"):
        load_dump(str(JURASSIC), max_bytes=1000)


def test_cli_refuses_bad_dump_with_exit_2(tmp_path):
    from goldenlib import run_inprocess
    d = minimal()
    d["procs"][0]["threads"][0]["state"] = "slept"
    f = tmp_path / "x.json"
    f.write_text(json.dumps(d))
    out, err, code = run_inprocess(["-e", "::ps", str(f)], None)
    assert code == 2 and out == ""
    assert err == f"kdb: {f}: $.procs[0].threads[0].state: 'slept' is not one of sleep, run, onproc, zomb, stopped, wait, free\n"


def test_kdb_check(tmp_path, capsys):
    from kdb.apps.check import main
    d = minimal()
    d["cpus"][0]["thread"] = "0x1"
    f = tmp_path / "x.json"
    f.write_text(json.dumps(d))
    assert main(["jurassic", str(f)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("jurassic: ok (jurassic, hang/live, 27 processes, 439 threads, 16 CPUs)")
    assert out[1] == f"{f}: $.cpus[0].thread: 0x1 is not a thread of this dump"


def test_generator_is_deterministic_and_valid():
    a = generate(10, 200, 4, panic=True)
    b = generate(10, 200, 4, panic=True)
    assert a == b
    d = build_dump(a)
    assert len(d.threads) == 200 and d.panic is not None


# -- property tests ------------------------------------------------------------

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=False),
                    st.text(max_size=20), st.just("0xffffff0934cbce20"), st.just("swtch+0x221"),
                    st.just([]), st.just({}))


def paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from paths(v, prefix + (i,))


def mutate(d: dict, mutations) -> dict:
    """Apply (path, value, op) mutations to D: op "set" a value, "del" a key or
    item, "dup" append a copy of a list item (so its addresses repeat)."""
    for path, value, op in mutations:
        parent = d
        try:
            for k in path[:-1]:
                parent = parent[k]
            key = path[-1]
            if op == "set":
                parent[key] = value
            elif op == "del":
                del parent[key]
            elif isinstance(parent, list):
                parent.append(copy.deepcopy(parent[key]))
        except (KeyError, IndexError, TypeError):
            continue
    return d


BASE = generate(3, 12, 2, panic=True)
ALL_PATHS = [p for p in paths(BASE) if p]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(ALL_PATHS), SCALARS, st.sampled_from(["set", "del", "dup"])),
                min_size=1, max_size=4))
def test_mutated_dumps_load_or_are_refused(mutations):
    d = mutate(copy.deepcopy(BASE), mutations)
    slow = fast = None
    try:
        build_dump(copy.deepcopy(d), "m.json")
        slow = "ok"
    except DumpError as e:
        assert e.path.startswith("$") and e.rule
        slow = e.path
    # the typed fast path must agree with the field-by-field checker
    import tempfile, os
    fd, name = tempfile.mkstemp(suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(d, f)
    try:
        load_dump(name)
        fast = "ok"
    except DumpError as e:
        fast = e.path
    finally:
        os.unlink(name)
    assert (slow == "ok") == (fast == "ok"), (slow, fast, mutations)


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=4000))
def test_truncation_anywhere_is_refused(tmp_path_factory, cut):
    text = json.dumps(BASE)
    cut = min(cut, len(text) - 1)
    f = tmp_path_factory.mktemp("t") / "t.json"
    f.write_text(text[:cut])
    with pytest.raises(DumpError):
        load_dump(str(f))


# ---------------------------------------------------------------------------
# integers in the units people write
# ---------------------------------------------------------------------------
HEX_DUMP = {
    "kdb_dump": 1, "system": {"nodename": "hexbox", "hz": "0t100"},
    "cpus": [{"id": "0x0", "addr": "0xffffff0800000000", "flags": "0x1b", "nrun": "0t0"}],
    "procs": [{"addr": "0x1000", "pid": "0x0", "comm": "sched", "flags": "0x42000000",
               "threads": [{"addr": "0x2000", "state": "sleep", "pri": "0t60", "tid": "0x1",
                            "cpu": "0x0", "flags": "0x8", "wchan": "0x3000", "sp": "0x4000",
                            "stack": ["swtch+0x10", "cv_wait+0x40"]}]},
              {"addr": "0x1100", "pid": "0t100015", "ppid": "0x0", "comm": "hwc", "uid": "0i0",
               "threads": [{"addr": "0x2100", "state": "run", "pri": "-0x1"}]}],
    "sobjs": [{"addr": "0x3000", "type": "cv", "name": "hwc_cv"},
              {"addr": "0x3040", "type": "sema", "count": "0o0"}],
    "majors": [{"major": "0xe4", "name": "ii"}],
}


def test_integers_may_be_written_in_mdb_notation():
    import json
    for d in (build_dump(json.loads(json.dumps(HEX_DUMP))),
              load_bytes(json.dumps(HEX_DUMP).encode())):
        assert d.proc_by_pid[100015].addr == 0x1100
        assert d.procs[0].flags == 0x42000000
        assert d.threads[0].pri == 60 and d.threads[1].pri == -1
        assert d.major_by_num[0xE4].name == "ii" and d.cpus[0].flags == 0x1B
        assert d.system.hz == 100
        assert d.threads[0].sobj_type == "cv"       # derived from the declared wchan


@pytest.mark.parametrize("bad", ["0x", "0xg1", "42", "0t4.2", "ten", "0x" + "f" * 70, ""])
def test_integer_strings_that_are_not_numbers_are_refused(bad):
    import json
    d = json.loads(json.dumps(HEX_DUMP))
    d["procs"][1]["pid"] = bad
    with pytest.raises(DumpError) as e:
        build_dump(d)
    assert "$.procs[1].pid" in str(e.value) and "is not a number" in str(e.value)


# ---------------------------------------------------------------------------
# kdb check as a teacher's tool
# ---------------------------------------------------------------------------
def _check(capsys, *args):
    from kdb.apps.check import main
    code = main(list(args))
    return code, capsys.readouterr()


def test_kdb_check_lists_every_independent_error_with_a_fix(tmp_path, capsys):
    d = minimal()
    d["system"]["hz"] = "fast"
    d["procs"][0]["threads"][0]["state"] = "slept"
    d["cpus"][0]["bogus"] = 1
    d["zones"] = [{"id": 0, "name": "global", "statuz": "running"}]
    f = tmp_path / "bad.json"
    f.write_text(json.dumps(d))
    code, cap = _check(capsys, str(f))
    lines = cap.out.splitlines()
    assert code == 1
    for path in ("$.system.hz", "$.procs[0].threads[0].state", "$.cpus[0].bogus", "$.zones[0].statuz"):
        assert any(l.startswith(f"{f}: {path}: ") for l in lines), (path, lines)
    assert sum(l.startswith("  fix: ") for l in lines) == 4
    assert not any("warning" in l for l in lines)


def test_kdb_check_does_not_report_consequences_of_an_error(tmp_path, capsys):
    d = minimal()
    d["procs"][0]["threads"][0]["state"] = "slept"           # the thread is pruned...
    d["cpus"][0]["thread"] = d["procs"][0]["threads"][0]["addr"]   # ...so this is no new error
    f = tmp_path / "bad.json"
    f.write_text(json.dumps(d))
    code, cap = _check(capsys, str(f))
    assert code == 1 and cap.out.count(f"{f}: $.") == 1, cap.out


def test_kdb_check_warns_and_strict_fails(tmp_path, capsys):
    d = minimal()
    t = d["procs"][0]["threads"][0]
    t.update(state="sleep", wchan="0x3000", sobj={"type": "cv", "addr": "0x3040"})
    d["cpus"][0]["state"] = ["running", "sleepy"]
    f = tmp_path / "warn.json"
    f.write_text(json.dumps(d))
    code, cap = _check(capsys, str(f))
    assert code == 0 and f"{f}: ok (" in cap.out
    assert f"{f}: warning: $.procs[0].threads[0]: wchan 0x3000 and sobj.addr 0x3040 disagree" in cap.out
    assert f"{f}: warning: $.cpus[0].state[1]: 'sleepy' is not a CPU state" in cap.out
    code, _ = _check(capsys, "--strict", str(f))
    assert code == 1


def test_kdb_check_takes_a_directory_and_refuses_unknown_options(tmp_path, capsys):
    (tmp_path / "a.json").write_text(json.dumps(minimal()))
    (tmp_path / "b.json").write_text("{not json")
    code, cap = _check(capsys, str(tmp_path))
    assert code == 1 and cap.out.count(": ok (") == 1 and "b.json: $: invalid JSON" in cap.out
    code, cap = _check(capsys, "--frobnicate", str(tmp_path))
    assert code == 2 and "unknown option '--frobnicate'" in cap.err
    empty = tmp_path / "empty"
    empty.mkdir()
    code, cap = _check(capsys, str(empty))
    assert code == 1 and "no dumps found" in cap.err


def test_bundled_dumps_pass_kdb_check_strict(capsys):
    code, cap = _check(capsys, "--strict", "jurassic", "panic", "deadlock", "donutshop", "rwstarve",
                       "nfshang")
    assert code == 0 and "warning" not in cap.out, cap.out


# -- the stack scan (kdb.target.dump.stacks): what it vouches for is valid ----------------

_LOCS = ["swtch+0x221", "cv_wait+0x61", "unix`mutex_enter", "genunix`a.b$c-1f", "thread_start+8",
         "0xfffffffffb800000", "0X1f", "bad loc", "0x", "0xzz", "caf\u00e9", "x+", "mod`", "1abc",
         "a\nb", "a\"b", "a\\b", "fp", "sym+0x12345678901234567"]
_ADDRS = ["0x1", "0xffffffffffffffff", "0x1ffffffffffffffff", "0X1f", "0x", "1234", "0xg", "0x-1",
          "0x1 ", " 0x1", "0xfffffe0000000000"]
_loc = st.sampled_from(_LOCS) | st.text(max_size=8)
_addr = st.sampled_from(_ADDRS) | st.integers(-1, 2 ** 64) | st.none()


@st.composite
def _frame(draw):
    if draw(st.booleans()):
        return draw(_loc)
    items = [("pc", draw(_loc | st.integers(0, 2 ** 60)))]
    if draw(st.booleans()):
        items.append(("fp", draw(_addr)))
    if draw(st.booleans()):
        items.append(("args", draw(st.lists(_addr, max_size=4))))
    if draw(st.integers(0, 9)) == 0:
        items.append(("extra", 1))
    if draw(st.booleans()):
        items = draw(st.permutations(items))
    return dict(items)


def _frame_ok(f) -> bool:
    from kdb.target.dump.checks import location
    from kdb.target.dump.procs import ProcessChecks
    try:
        if isinstance(f, str):
            location(f, "$")
        else:
            ProcessChecks("t").frame(f, "$")
    except DumpError:
        return False
    return True


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_frame(), max_size=6), st.booleans())
def test_the_stack_scan_vouches_only_for_valid_stacks(stack, compact):
    from kdb.target.dump.stacks import decode, vouch
    text = json.dumps(stack, separators=(",", ":") if compact else None).encode()
    got = vouch([text])
    valid = all(_frame_ok(f) for f in stack)
    if got is not None:
        assert valid, stack
        assert decode(text) is not None or stack == []
        pcs = {f if isinstance(f, str) else f["pc"] for f in stack}
        assert got == {p for p in pcs if isinstance(p, str) and not p[:2].lower() == "0x"}
    canonical = compact and text.isascii() and b"\\" not in text and all(
        isinstance(f, str) or (list(f) == [k for k in ("pc", "fp", "args") if k in f]
                               and isinstance(f["pc"], str) and isinstance(f.get("fp", ""), str)
                               and all(isinstance(a, str) for a in f.get("args", [])))
        for f in stack)
    if valid and canonical:
        assert got is not None, stack        # the fast path takes what writers write


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_frame(), max_size=5), st.booleans())
def test_a_dump_loads_the_same_by_either_path(stack, compact):
    """A dump whose stack is valid loads to the same frames by the fast path
    (the scan or typed decoding) as by the field-by-field checker; one whose
    stack is not is refused by both, each naming a frame that breaks a rule
    (with several, the bulk checks may name another one than the checker)."""
    data = minimal()
    data["procs"][0]["threads"][0]["stack"] = stack
    raw = json.dumps(data, separators=(",", ":") if compact else None).encode()
    try:
        slow = build_dump(json.loads(raw))
    except DumpError as e:
        with pytest.raises(DumpError) as fast_err:
            load_bytes(raw)
        bad = tuple(f"$.procs[0].threads[0].stack[{k}]" for k, f in enumerate(stack) if not _frame_ok(f))
        assert e.path.startswith(bad) and fast_err.value.path.startswith(bad), (e, fast_err.value)
        if len(bad) == 1:
            assert fast_err.value.path == e.path
        return
    fast = load_bytes(raw)
    assert fast.threads[0].frames == slow.threads[0].frames
    assert [(s.name, s.addr) for s in fast.symbols] == [(s.name, s.addr) for s in slow.symbols]
