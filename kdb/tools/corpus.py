"""Corpora of generated dumps drawn from a few bug templates, for testing triage.

Each dump is a kdb.tools.gen system with its own size, seed and noise, and one
bug planted in it: a driver panic (kdb.tools.gen's own), an ABBA mutex deadlock,
or threads hung on an empty semaphore. Triage must bucket a corpus into
exactly one signature per template. Used by tests/test_triage.py and
benchmarks/triage_corpus.py.
"""
from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from kdb.tools.gen import generate

TEMPLATES = ("panic", "deadlock", "semahang")


def _deadlock(d: dict[str, Any], rng: random.Random) -> None:
    """Two qfs threads, each holding the mutex the other wants."""
    threads = [t for p in d["procs"][1:] for t in p["threads"]]
    a, b = threads[0], threads[1]
    for t, held, want in ((a, "0xffffff0b00000000", "0xffffff0b00000040"),
                          (b, "0xffffff0b00000040", "0xffffff0b00000000")):
        t["state"] = "sleep"
        t["sobj"] = {"type": "mutex", "addr": want}
        t.pop("wchan", None)
        t["stack"] = ["swtch+0x141", "turnstile_block+0x21a", "mutex_vector_enter+0x3a3",
                      "qfs`qfs_lock+0x4c",
                      "qfs`qfs_rename+0x11e" if t is a else "qfs`qfs_link+0x9c", "fop_rename+0xcb",
                      "sys_syscall+0x17b"]
    d["sobjs"] += [{"addr": "0xffffff0b00000000", "type": "mutex", "owner": a["addr"]},
                   {"addr": "0xffffff0b00000040", "type": "mutex", "owner": b["addr"]}]


def _semahang(d: dict[str, Any], rng: random.Random) -> None:
    """3 to 6 threads asleep on an empty blkdev semaphore nobody will post."""
    threads = [t for p in d["procs"][1:] for t in p["threads"]][: 3 + rng.randrange(4)]
    for t in threads:
        t["state"] = "sleep"
        t["sobj"] = {"type": "sema", "addr": "0xffffff0c00000000"}
        t["wchan"] = "0xffffff0c00000000"
        t["stack"] = ["swtch+0x141", "sema_p+0x26f", "blkdev`bd_strategy_wait+0x31",
                      "blkdev`bd_strategy+0x8a", "bdev_strategy+0x64", "sys_syscall+0x17b"]
    d["sobjs"].append({"addr": "0xffffff0c00000000", "type": "sema", "count": 0})


def make_corpus(directory: Path | str, count: int = 30) -> dict[str, int]:
    """Write COUNT noisy dumps, the templates in turn, into DIRECTORY; return dumps per template."""
    expected: dict[str, int] = {}
    for i in range(count):
        kind = TEMPLATES[i % len(TEMPLATES)]
        d = generate(5 + i % 7, 80 + 13 * i, 1000 + i, panic=kind == "panic", nodename=f"host{i}")
        rng = random.Random(i)
        if kind == "deadlock":
            _deadlock(d, rng)
        elif kind == "semahang":
            _semahang(d, rng)
        d["system"]["time"] = f"2026-01-{1 + i % 28:02d}T12:00:00Z"
        (Path(directory) / f"{kind}-{i:03d}.json").write_text(json.dumps(d))
        expected[kind] = expected.get(kind, 0) + 1
    return expected
