"""Every validation, image-building and analysis pass is linear in the dump.

Ten times the threads, processes, objects and memory sections must cost at
most about ten times the work. Work is counted, not timed (no timing in
tests): the events of a profile hook and a trace hook, one per Python call,
per call into C and per line of Python executed, over the same steps a user takes: open the dump (decoding, checks, model,
types, objects), lay its memory out, read typed memory of every thread
(``::walk thread | ::print kthread_t t_state``), ``::stacks``,
``::findstack`` of every thread and the triage analysis. A pass that scanned
siblings per thread, or checked each object against every other one, counts
a hundred times the work here. Quadratic work hidden inside one C call (a
list insertion moving n pointers) does not count as events; the address
space and object placement no longer insert (see kdb/target/memory.py), and
``benchmarks/linearity.py`` times the same steps at 20,000 and 200,000
threads (benchmarks/RESULTS.md).
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from typing import Any, Callable

from kdb.apps.triage import analyse
from kdb.engine.session import Session
from kdb.target.kernel import open_dump
from kdb.tools.gen import generate

SMALL = 400
FACTOR = 10
SLACK = 1.15     # sorts and dict growth are n log n at worst: a little over 10x


def dump_of(n: int, seed: int = 7) -> dict[str, Any]:
    """A generated dump of N threads and N/2 processes (all children of
    init, as on a busy server), with N/4 typed objects in a shuffled order
    and N/20 memory sections."""
    d = generate(max(2, n // 2), n, seed)
    d["types"] = ["struct rec { long v; struct rec *next; char tag[8]; }"]
    addrs = [0x7000_0000 + 0x40 * i for i in range(n // 4)]
    random.Random(seed).shuffle(addrs)
    d["objects"] = [{"addr": hex(a), "type": "struct rec", "value": {"v": i, "next": hex(a), "tag": "x"}}
                    for i, a in enumerate(addrs)]
    d["memory"] = [{"addr": hex(0x6000_0000 + 0x1000 * i), "hex": "ab" * 64} for i in range(n // 20)]
    return d


def work(step: Callable[[], Any]) -> int:
    """Events while STEP runs: every call into Python or C (a profile hook)
    and every line of Python executed (a trace hook: a loop inside one
    function or generator counts each time round)."""
    count = 0

    def hook(frame: Any, event: str, arg: Any) -> None:
        nonlocal count
        count += 1

    def trace(frame: Any, event: str, arg: Any) -> Any:
        nonlocal count
        count += 1
        return trace

    sys.setprofile(hook)
    sys.settrace(trace)
    try:
        step()
    finally:
        sys.settrace(None)
        sys.setprofile(None)
    return count


def steps(path: Path) -> dict[str, int]:
    """The work of each step a user takes on the dump at PATH."""
    out: dict[str, int] = {}
    box: dict[str, Any] = {}
    out["open"] = work(lambda: box.setdefault("t", open_dump(str(path))))
    target = box["t"]
    sink: list[str] = []
    s = Session(target, write=sink.append, write_err=sink.append)
    out["lay out memory"] = work(lambda: target.read(target.dump.threads[0].addr, 1))
    for line in ("::walk thread | ::print kthread_t t_state", "::stacks", "::walk thread | ::findstack",
                 "::walk proc | ::print proc_t p_pidp"):
        sink.clear()
        out[line] = work(lambda line=line: s.run_string(line))
        assert len(sink) >= len(target.dump.threads) // 10, (line, sink[:3])
    out["triage"] = work(lambda: analyse(target.dump))
    return out


def test_ten_times_the_dump_is_at_most_ten_times_the_work(tmp_path: Path) -> None:
    small, big = tmp_path / "small.json", tmp_path / "big.json"
    small.write_text(json.dumps(dump_of(SMALL)))
    big.write_text(json.dumps(dump_of(SMALL * FACTOR)))
    a, b = steps(small), steps(big)
    ratios = {k: b[k] / a[k] for k in a}
    slow = {k: round(r, 2) for k, r in ratios.items() if r > FACTOR * SLACK}
    assert not slow, (slow, a, b)


def test_the_counter_sees_quadratic_work() -> None:
    """The measure can fail: a pass over every pair is a hundred times the work."""
    def pairs(n: int) -> Callable[[], int]:
        return lambda: sum(1 for i in range(n) for j in range(i) if (i ^ j) & 1)
    assert work(pairs(10 * SMALL)) > 50 * work(pairs(SMALL))
