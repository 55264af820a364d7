"""Hostile dumps: every mutation of a valid dump is loaded or refused with a
JSON path, never a traceback or a hang; what loads can be debugged without an
internal error and without a raw control byte reaching the terminal.

The mutations are the ones broken machines and strangers produce: wrong
types, huge numbers, deep nesting, long strings, NUL and escape bytes,
dangling and duplicated addresses, cycles through pointers, and truncation
at every offset of a small dump.
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings, strategies as st

from kdb.errors import QuitSession
from kdb.target.kernel import KernelTarget
from kdb.limits import Limits
from kdb.target.dump import DumpError, build_dump, load_dump
from kdb.engine.session import Session
from test_loader import minimal, mutate, paths

ROOT = Path(__file__).parent.parent
LIMITS = Limits(max_depth=40, max_string=300)   # small, so the fuzz reaches them


def kitchen_sink() -> dict:
    """jurassic (kmdb, majors, devinfo, zones, locks) with typed objects and memory."""
    d = json.loads((ROOT / "dumps" / "jurassic.json").read_text())
    extra = json.loads((ROOT / "tests" / "data" / "objects.json").read_text())
    for k in ("types", "objects", "memory"):
        d[k] = extra[k]
    # a task queue with its own thread and pending tasks, and machine code
    tq = [t["addr"] for t in d["procs"][0]["threads"] if t.get("name") == "tq:acpi_taskq"][:1]
    d["taskqs"] = [{"addr": "0xffffff0931a30000", "name": "acpi_taskq", "instance": 2, "threads": tq,
                    "maxq": 4, "queue": [{"func": "acpi_ev_gpe_dispatch", "arg": "0x10"},
                                         {"func": "genunix`taskq_thread+0x10", "arg": "0x20"}]}]
    d["memory"] = d["memory"] + [{"addr": "0x3000", "hex": "554889e5c9c3"}]
    d["callouts"] = [{"func": "ts_update", "cpu": 0, "realtime": True, "expires": 4},
                     {"func": "ip`tcp_timer_callback", "arg": "0x40", "cpu": 2, "expires": -30,
                      "executing": True, "hrestime": True}]
    # the allocator: audited caches, a chain root, a leak, a write after free
    d["kmem"] = {"caches": [
        {"name": "kmem_alloc_64", "size": 64, "flags": ["KMF_AUDIT", "KMF_DEADBEEF", "KMF_REDZONE"],
         "allocated": [{"count": 6, "root": "mydrv`kept", "thread": tq[0] if tq else 0},
                       {"count": 2, "stack": ["mydrv`lose_it+0x10"], "time": 5000}],
         "freed": [{"count": 1, "stack": ["mydrv`req_free+0x1e"], "written": {"offset": 8, "value": "0x2"}}]},
        {"name": "vn_cache", "size": 200, "allocated": [{"count": 3, "root": "genunix`vn_pool"}], "free": 2}],
        "pages": {"physmem": 4096, "kernel": 1024, "anon": 12}}
    return d


BASE = kitchen_sink()
build_dump(copy.deepcopy(BASE), "base", LIMITS)       # the base itself is valid
ALL_PATHS = [p for p in paths(BASE) if p]
ADDRESSES = sorted({v for v in (json.dumps(BASE).split('"')) if v.startswith("0x")})

NESTED = st.integers(min_value=1, max_value=60).map(lambda n: json.loads("[" * n + "]" * n))
HOSTILE = st.one_of(
    st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=False),
    st.sampled_from([2**53, 2**53 - 1, 2**64, -1, 1e308, "0x" + "f" * 16, "0x" + "f" * 17, "0x",
                     "\x00", "nul\x00in", "\x1b[2J\x1b]0;pwned\x07", "\x9b31m", "\ud7ff\ufffd",
                     "swtch+0x221", "unix`swtch", "mod`", "+0x1", "0xdeadbeef", [], {}]),
    st.sampled_from(ADDRESSES),                    # a pointer to some other object: duplicates, cycles
    st.integers(min_value=250, max_value=400).map(lambda n: "s" * n),   # around the string limit
    st.text(max_size=30), NESTED,
)

COMMANDS = ["::status", "::ps -f", "::threadlist", "::stacks", "::walk thread | ::findstack -v",
            "::msgbuf", "::cpuinfo -v", "::zone", "::prtconf", "::devbindings -q",
            "::panicinfo", "::walk proc | ::ps", "1000::list node_t next", "1000::print node_t",
            "::walk wchan", "::walk cpu | ::print cpu_t cpu_thread", "e4::major2name",
            "::walk thread | ::wchaninfo", "::nm ! head -3", "::taskq -t",
            "::walk taskq_cache | ::walk taskq_entry | ::taskq_entry", "3000::dis -n 4", "2000,2/i",
            "::callout", "::callout -L -v", "::callout -A | ::walk callouts_bytime",
            "::walk deathrow | ::thread", "::walk cpu | ::walk cpu_dispq",
            "::kmastat", "::kmem_cache", "::walk kmem_cache | ::walk bufctl | ::bufctl -v", "::memstat",
            "::vmem", "::kmem_verify", "::findleaks -fd", "::walk kmem_cache | ::walk freemem | ::whatis",
            "mydrv`kept/K"]


def run_battery(dump) -> None:
    """Run COMMANDS on DUMP: no internal error, no raw control byte, bounded output."""
    out: list[str] = []
    err: list[str] = []
    try:
        target = KernelTarget(dump)          # lays out types and objects: may refuse too
    except DumpError as e:
        assert e.path.startswith("$.") and e.rule
        return
    s = Session(target, write=out.append, write_err=err.append, shell_allowed=True)
    for cmd in COMMANDS:
        try:
            s.run_string(cmd + "\n")
        except QuitSession:
            pass
    text = "".join(out) + "".join(err)
    assert not any("internal error" in e for e in err), err
    assert not any(c in text for c in "\x1b\x07\x00\x9b"), "raw control byte in the output"
    assert len(text) < 5_000_000


def load_both(d: dict):
    """(slow verdict, fast verdict, dump): the field-by-field checker and the
    typed fast path must agree; a verdict is 'ok' or the refused JSON path."""
    dump = None
    try:
        dump = build_dump(copy.deepcopy(d), "m.json", LIMITS)
        slow = "ok"
    except DumpError as e:
        assert e.path.startswith("$") and e.rule, e
        slow = e.path
    fd, name = tempfile.mkstemp(suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(d, f)
    try:
        load_dump(name, limits=LIMITS)
        fast = "ok"
    except DumpError as e:
        assert e.path.startswith("$") and e.rule, e
        fast = e.path
    finally:
        os.unlink(name)
    return slow, fast, dump


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(ALL_PATHS), HOSTILE, st.sampled_from(["set", "set", "del", "dup"])),
                min_size=1, max_size=4))
def test_hostile_mutations_load_or_are_refused_and_loaded_ones_debug_cleanly(mutations):
    d = mutate(copy.deepcopy(BASE), mutations)
    slow, fast, dump = load_both(d)
    assert (slow == "ok") == (fast == "ok"), (slow, fast, mutations)
    event("loaded" if dump is not None else "refused")
    if dump is not None:
        run_battery(dump)


def test_base_battery_is_meaningful():
    """The battery really exercises the dump (so a silent failure would show)."""
    out: list[str] = []
    s = Session(KernelTarget(build_dump(copy.deepcopy(BASE), "b", LIMITS)), write=out.append,
                write_err=out.append)
    s.run_string("::walk thread | ::findstack -v\n1000::list node_t next\n::prtconf\n")
    text = "".join(out)
    assert "stack pointer for thread" in text and "i86pc" in text
    assert "list cycle detected" not in text or "1000" in text


def test_truncation_at_every_offset_of_a_small_dump(tmp_path):
    raw = json.dumps(minimal()).encode()
    f = tmp_path / "t.json"
    for cut in range(len(raw)):
        f.write_bytes(raw[:cut])
        with pytest.raises(DumpError) as e:
            load_dump(str(f))
        assert e.value.path == "$" and e.value.rule, cut


@pytest.mark.parametrize("payload", [b"\x00" * 64, b"\xef\xbb\xbf{}", b"[]", b"null", b"1e999999",
                                     b'{"kdb_dump": 1, "procs": []' + b" " * 10, b"{" * 5000,
                                     b'"' + b"a" * 1000])
def test_garbage_files_are_refused(tmp_path, payload):
    f = tmp_path / "g.json"
    f.write_bytes(payload)
    with pytest.raises(DumpError) as e:
        load_dump(str(f))
    assert e.value.path.startswith("$")


# -- loops and corruption in memory -------------------------------------------------------

def session_on(d: dict) -> tuple[Session, list[str], list[str]]:
    out: list[str] = []
    err: list[str] = []
    s = Session(KernelTarget(build_dump(json.loads(json.dumps(d)), "c.json")), write=out.append,
                write_err=err.append)
    return s, out, err


def nodes(links: dict[int, int]) -> dict:
    d = minimal()
    d["types"] = ["struct node { struct node *next; int value; }", "typedef struct node node_t"]
    d["objects"] = [{"addr": hex(a), "type": "node_t", "value": {"next": hex(n), "value": a}}
                    for a, n in links.items()]
    return d


def test_list_cycle_is_reported_and_circular_lists_stop_at_the_start():
    s, out, err = session_on(nodes({0x1000: 0x1020, 0x1020: 0x1040, 0x1040: 0x1020}))
    s.run_string("1000::list node_t next\n")
    assert "".join(out) == "1000\n1020\n1040\n" and err == ["kdb: list cycle detected at 1020\n"]
    s, out, err = session_on(nodes({0x1000: 0x1020, 0x1020: 0x1000}))      # circular: mdb stops
    s.run_string("1000::list node_t next\n")
    assert "".join(out) == "1000\n1020\n" and err == []
    s, out, err = session_on(nodes({0x1000: 0x1000}))                        # points at itself
    s.run_string("1000::list node_t next | ::print node_t value\n")
    assert "".join(out) == "value = 0x1000\n" and err == []


def test_dangling_list_pointer_reports_the_read_failure():
    s, out, err = session_on(nodes({0x1000: 0x1020, 0x1020: 0xdead0000}))
    s.run_string("1000::list node_t next\n::echo after\n")
    assert "".join(out) == "1000\n1020\ndead0000\nafter \n"
    assert err == ["kdb: failed to read list element at dead0000: no mapping for address\n"]


def test_process_tree_cycle_is_reported_once_not_followed():
    d = json.loads((ROOT / "dumps" / "nfshang.json").read_text())
    a, b = d["procs"][3], d["procs"][4]
    a["ppid"], b["ppid"] = b["pid"], a["pid"]
    s, out, err = session_on(d)
    s.run_string(f"{a['addr']}::walk proc\n::walk proc ! wc -l\n")
    assert "".join(out).split() == [a["addr"], b["addr"], str(len(d["procs"]))]
    assert err == [f"kdb: walk proc: cycle in the process tree at {int(a['addr'], 16):x} (pid {a['pid']})\n"]


def test_deep_process_chain_is_walked_without_recursion():
    d = json.loads((ROOT / "dumps" / "nfshang.json").read_text())
    last = d["procs"][-1]
    for i in range(3000):
        d["procs"].append({"addr": hex(0xFFFFFE0000000000 + i * 0x1000), "pid": 50000 + i,
                           "ppid": 50000 + i - 1 if i else last["pid"], "comm": "chain"})
    s, out, err = session_on(d)
    s.run_string(f"{last['addr']}::walk proc\n")
    assert len("".join(out).split()) == 3001 and err == []


def test_unreadable_stacks_print_their_reason_and_the_output_goes_on():
    d = json.loads((ROOT / "dumps" / "nfshang.json").read_text())
    threads = [t for p in d["procs"] for t in p.get("threads", [])]
    threads[3]["stack_error"] = "thread not in memory"
    threads[3].pop("stack", None)
    threads[5]["stack_error"] = "no consistent stack found"
    threads[5]["stack"] = []
    s, out, err = session_on(d)
    s.run_string("::walk thread | ::findstack\n")
    text = "".join(out)
    assert "  thread not in memory\n" in text and "  no consistent stack found\n" in text
    assert text.count("stack pointer for thread") == len(threads) and err == []
    out.clear()
    s.run_string("::walk thread | ::stack\n")
    bad = {int(threads[3]["addr"], 16), int(threads[5]["addr"], 16)}
    assert sorted(err) == sorted(f"kdb: failed to read stack of thread {a:x}: {r}\n" for a, r in
                                 zip(sorted(bad), ["thread not in memory", "no consistent stack found"]))
    assert "thread_start+8()" in "".join(out)         # the other threads' stacks still print
    out.clear()
    s.run_string("::stacks\n")
    assert "                 thread not in memory\n" in "".join(out)


def test_a_struct_that_holds_itself_is_refused():
    """Found by the atheris loader harness: an anonymous member of the struct's
    own type made member lookup recurse without end."""
    d = nodes({0x1000: 0x1000})
    d["types"][0] = "struct node { struct node ; int value; }"
    d["objects"] = [{"addr": "0x1000", "type": "node_t", "value": {"value": 1}}]
    with pytest.raises(DumpError) as e:
        KernelTarget(build_dump(d, "self.json"))
    assert e.value.path == "$.types[0]" and "incomplete type struct node" in e.value.rule


# -- issue 15's reproductions: refused with the path, never a crash; triage goes on ----
def _minimal(**system):
    return {"kdb_dump": 1, "system": {"nodename": "x", **system},
            "procs": [{"addr": "0x1000", "pid": 0, "comm": "s"}]}


@pytest.mark.parametrize("text,rule", [
    ('{"kdb_dump":1,"system":{"nodename":"x","hz":NaN},"procs":[]}', "NaN is not JSON"),
    ('{"kdb_dump":1,"system":{"nodename":"x","hz":Infinity},"procs":[]}', "Infinity is not JSON"),
    ('{"kdb_dump":1,"system":{"nodename":"x","hz":' + "9" * 4400 + '},"procs":[]}', "number too long"),
])
def test_numbers_json_has_not_are_refused(tmp_path, text, rule):
    f = tmp_path / "d.json"
    f.write_text(text)
    with pytest.raises(DumpError) as e:
        load_dump(str(f))
    assert rule in str(e.value) and str(f) in str(e.value)


@pytest.mark.parametrize("decl", ["struct b { void x : 3; }", "struct c { unsigned char x : 64; }"])
def test_hostile_types_are_refused_not_crashed(tmp_path, decl):
    from kdb.target.kernel import open_dump
    d = _minimal()
    d["types"] = [decl]
    f = tmp_path / "t.json"
    f.write_text(json.dumps(d))
    with pytest.raises(DumpError):
        open_dump(str(f))


def test_a_fifo_is_refused_at_once(tmp_path):
    fifo = tmp_path / "f.json"
    os.mkfifo(fifo)
    with pytest.raises(DumpError) as e:
        load_dump(str(fifo))
    assert "not a regular file" in str(e.value)


def test_one_hostile_dump_is_one_failed_row_of_triage(tmp_path):
    from kdb.apps.triage import main
    bad = _minimal()
    bad["types"] = ["struct b { void x : 3; }"]
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    (tmp_path / "nan.json").write_text('{"kdb_dump":1,"system":{"nodename":"x","hz":NaN},"procs":[]}')
    (tmp_path / "good.json").write_text(json.dumps(_minimal()))
    assert main(["--format", "json", str(tmp_path)]) == 1      # some failed; the rest reported


def test_a_pointer_of_forty_thousand_levels_is_refused_at_once(tmp_path):
    """Each pointer level's type name holds the one below: 40,000 '*' built
    800 MB of names. Declarators are bounded at 32 levels."""
    d = _minimal()
    d["types"] = ["struct p { int " + "*" * 40000 + "p; }"]
    f = tmp_path / "p.json"
    f.write_text(json.dumps(d))
    from kdb.target.kernel import open_dump
    with pytest.raises(DumpError) as e:
        open_dump(str(f))
    assert "$.types[0]: more than 32 levels of pointer" in str(e.value)


def test_a_duplicate_thread_address_far_down_is_named(tmp_path):
    """One walk names both places (this took 39 s at 20,000 processes when
    each thread's path was searched for; now 0.4 s)."""
    from kdb.target.dump import load_bytes
    from kdb.tools.gen import generate
    d = generate(procs=3000, threads=6000, seed=3)
    d["procs"][-1]["threads"][-1]["addr"] = d["procs"][1]["threads"][0]["addr"]
    with pytest.raises(DumpError) as e:
        load_bytes(json.dumps(d).encode())
    n = len(d["procs"][-1]["threads"]) - 1
    assert str(e.value).endswith(f"$.procs[2999].threads[{n}].addr: duplicate address "
                                 f"{d['procs'][1]['threads'][0]['addr']} (also $.procs[1].threads[0].addr)")


def test_a_huge_object_is_refused_unless_the_limit_is_raised(tmp_path):
    """A 218-byte dump declaring one 1 GiB object took 2 GB to lay out."""
    from kdb.target.kernel import open_dump
    d = _minimal()
    d["types"] = ["struct big { char x[0x40000000]; }"]
    d["objects"] = [{"addr": "0x5000000", "type": "struct big", "value": {}}]
    f = tmp_path / "big.json"
    f.write_text(json.dumps(d))
    with pytest.raises(DumpError) as e:
        open_dump(str(f))
    assert "$.objects[0].type: struct big is 1073741824 bytes, more than the limit of 67108864" \
        in str(e.value) and "--max-object-bytes" in str(e.value)


def _with_objects(objects, memory=()):
    d = _minimal()
    d["types"] = ["struct n { long v; }"]
    d["objects"] = [{"addr": hex(a), "type": "struct n", "value": {"v": 1}} for a in objects]
    d["memory"] = [{"addr": hex(a), "hex": "00" * n} for a, n in memory]
    return d


@pytest.mark.parametrize("objects,memory,where", [
    ([0x5000], [(0x1000, 0x8000), (0x2000, 0x100)], "$.memory[0]"),   # not the nearest section
    ([0x2000, 0x2004], [], "$.objects[0]"),
    ([0x3000, 0x1000, 0x2ffc], [], "$.objects[0]"),
])
def test_overlapping_objects_are_refused_with_the_range_they_hit(tmp_path, objects, memory, where):
    from kdb.target.kernel import open_dump
    f = tmp_path / "o.json"
    f.write_text(json.dumps(_with_objects(objects, memory)))
    with pytest.raises(DumpError) as e:
        open_dump(str(f))
    assert str(e.value).endswith(f"overlaps {where}"), str(e.value)


def test_twenty_thousand_objects_are_placed(tmp_path):
    """Each object is checked against its neighbours, not every range (the
    check was quadratic in objects)."""
    from kdb.target.kernel import open_dump
    f = tmp_path / "o.json"
    f.write_text(json.dumps(_with_objects([0x100000 + 0x10 * i for i in reversed(range(20000))],
                                          [(0x10, 0x100)])))
    t = open_dump(str(f))
    assert t.read(0x100000 + 0x10 * 19999, 8) == (1).to_bytes(8, "little")


@pytest.mark.parametrize("addr", ["0x-f20", "0x+10", "0x 10", "0x1_0", "0x-0"])
def test_an_address_is_hex_digits_only(tmp_path, addr):
    """int() takes a sign, spaces and underscores after 0x: the atheris
    fuzzer found "0x-f20" loaded as a negative object address, and laying
    the object out then failed outside the loader's checks."""
    from kdb.target.kernel import open_dump
    d = _with_objects([0x1000])
    d["objects"][0]["addr"] = addr
    f = tmp_path / "a.json"
    f.write_text(json.dumps(d))
    with pytest.raises(DumpError) as e:
        open_dump(str(f))
    assert e.value.path == "$.objects[0].addr" and "is not an address" in str(e.value)
    d = _with_objects([0x1000])
    d["procs"][0]["addr"] = addr
    f.write_text(json.dumps(d))
    with pytest.raises(DumpError) as e:
        open_dump(str(f))
    assert e.value.path == "$.procs[0].addr"


@pytest.mark.parametrize("zone,path", [
    ({"refs": -1}, "$.zones[0].refs"), ({"refs": "many"}, "$.zones[0].refs"),
    ({"cred_refs": 1 << 40}, "$.zones[0].cred_refs"), ({"cred_refs": 1.5}, "$.zones[0].cred_refs"),
])
def test_zone_reference_counts_are_checked(tmp_path, zone, path):
    from kdb.target.kernel import open_dump
    d = _minimal()
    d["zones"] = [{"id": 0, "name": "global", **zone}]
    f = tmp_path / "z.json"
    f.write_text(json.dumps(d))
    with pytest.raises(DumpError) as e:
        open_dump(str(f))
    assert e.value.path == path


@pytest.mark.parametrize("value", ["yes", 1, None, [True]])
def test_the_domain_flag_is_a_boolean(tmp_path, value):
    from kdb.target.kernel import open_dump
    f = tmp_path / "d.json"
    f.write_text(json.dumps(_minimal(domain=value)))
    with pytest.raises(DumpError) as e:
        open_dump(str(f))
    assert e.value.path == "$.system.domain"
