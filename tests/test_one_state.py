"""One kernel state: a blocked thread's wait channel, sync object, turnstile
and blocking frames are one fact, however the dump's author wrote it.

Generated dumps (kdb-gen) are written three ways for every thread blocked
on a declared sync object: with ``sobj`` only, with ``wchan`` only, and with
both. Every view must say the same in all three: ::thread -b, ::findstack -v,
::print kthread_t, ::stacks -s, ::mutex, ::rwlock, ::wchaninfo and triage.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kdb.analysis.locks import wait_for_graph
from kdb.apps.triage import analyse
from kdb.engine.session import Session
from kdb.target.dump import build_dump
from kdb.target.kernel import KernelTarget
from kdb.tools.gen import generate


def _variant(dump: dict[str, Any], how: str) -> dict[str, Any]:
    d = copy.deepcopy(dump)
    declared = {s["addr"] for s in d.get("sobjs", [])}
    for p in d["procs"]:
        for t in p.get("threads", []):
            so = t.get("sobj")
            if so is None or so["addr"] not in declared:
                continue
            if how == "sobj":
                t.pop("wchan", None)
            elif how == "wchan":
                t["wchan"] = so["addr"]
                del t["sobj"]
            else:
                t["wchan"] = so["addr"]
    return d


def _views(dump: dict[str, Any]) -> dict[str, str]:
    target = KernelTarget(build_dump(json.loads(json.dumps(dump)), "<gen>"))
    out: list[str] = []
    s = Session(target, write=out.append, write_err=out.append)
    blocked = [t for t in target.dump.threads if t.sobj is not None]
    locks = sorted({t.sobj_addr for t in blocked if t.sobj_type in ("mutex", "rwlock")})
    views = {}
    commands = ["::stacks -s mutex", "::stacks -s rwlock", "::stacks -s cv", "::wchaninfo -v"]
    commands += [f"{t.addr:x}::thread -b" for t in blocked[:40]]
    commands += [f"{t.addr:x}::findstack -v" for t in blocked[:40]]
    commands += [f"{t.addr:x}::print kthread_t t_wchan t_sobj_ops t_ts t_state" for t in blocked[:40]]
    commands += [f"{a:x}::mutex" for a in locks if target.dump.sobj_by_addr[a].type == "mutex"]
    commands += [f"{a:x}::rwlock" for a in locks if target.dump.sobj_by_addr[a].type == "rwlock"]
    for c in commands:
        out.clear()
        s.run_string(c + "\n")
        s.out.nlflush()
        views[c] = "".join(out)
    g = wait_for_graph(target.dump)
    views["wait-for"] = repr((sorted(g.edges.items()), g.cycles(), g.chains(3)))
    report = analyse(target.dump)
    views["triage"] = json.dumps({k: report[k] for k in ("deadlocks", "wait_chains", "contended")})
    return views


@settings(max_examples=4, deadline=None)
@given(st.integers(0, 10_000), st.booleans())
def test_every_view_agrees_however_the_dump_says_it(seed: int, panic: bool) -> None:
    dump = generate(procs=12, threads=300, seed=seed, panic=panic)
    base = _views(_variant(dump, "both"))
    assert any("_sobj_" in v for v in base.values())     # not vacuous: blocked threads shown
    for how in ("sobj", "wchan"):
        got = _views(_variant(dump, how))
        for cmd, text in base.items():
            assert got[cmd] == text, (how, cmd)


def test_blocked_thread_facts_are_derived() -> None:
    """Only wchan given: the thread gets its sobj, turnstile, ops vector and
    the lock as its blocking frames' argument."""
    dump = generate(procs=6, threads=120, seed=7)
    d = _variant(dump, "wchan")
    for p in d["procs"]:            # frames as compact strings: no arguments given
        for t in p.get("threads", []):
            t["stack"] = [f if isinstance(f, str) else f["pc"] for f in t.get("stack", [])]
    target = KernelTarget(build_dump(d, "<gen>"))
    t = next(t for t in target.dump.threads if t.sobj_type == "mutex")
    out: list[str] = []
    s = Session(target, write=out.append, write_err=out.append)
    s.run_string(f"{t.addr:x}::findstack -v\n{t.addr:x}::print kthread_t t_sobj_ops t_ts\n")
    s.out.nlflush()
    text = "".join(out)
    assert f"mutex_vector_enter+0x261({t.sobj_addr:x})" in text
    assert f"turnstile_block+0x76b({t.ts:x}, 0, {t.sobj_addr:x}, " in text
    assert "t_sobj_ops = mutex_sobj_ops" in text and t.ts != 0
