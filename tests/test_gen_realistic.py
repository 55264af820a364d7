"""kdb-gen --realistic: stacks as real captures give them (the benchmarks'
default dumps, benchmarks/RESULTS.md)."""

from __future__ import annotations

import collections
import json

from kdb.target.dump import build_dump
from kdb.tools.gen import FAMILIES, generate


def test_realistic_dumps_are_deterministic_and_valid() -> None:
    a = generate(20, 2000, 5, realistic=True, panic=True)
    b = generate(20, 2000, 5, realistic=True, panic=True)
    assert json.dumps(a) == json.dumps(b)
    dump = build_dump(json.loads(json.dumps(a)), "realistic.json")
    assert len(dump.threads) == 2000


def test_most_frames_carry_fp_and_args_and_every_pc_is_inside_its_symbol() -> None:
    d = generate(20, 2000, 5, realistic=True)
    frames = [f for p in d["procs"] for t in p["threads"] for f in t["stack"]]
    objects = [f for f in frames if isinstance(f, dict)]
    assert len(objects) > 0.8 * len(frames)
    assert sum(1 for f in objects if f["args"]) > 0.7 * len(objects)
    dump = build_dump(json.loads(json.dumps(d)), "realistic.json")
    assert not any(s.synthetic for s in dump.symbols if s.kind == "func" and s.module != "unix"
                   and not s.name.endswith("_sobj_ops"))
    for t in dump.threads:
        for f in t.frames:
            sym = dump.symbols.containing(f.pc)
            assert sym is not None and sym.addr <= f.pc < sym.addr + sym.size


def test_stack_shapes_spread_like_zipf() -> None:
    d = generate(50, 5000, 9, realistic=True)
    shapes = collections.Counter(
        tuple(f if isinstance(f, str) else f["pc"] for f in t["stack"])
        for p in d["procs"] for t in p["threads"])
    assert len(shapes) > 4 * len(FAMILIES)           # many shapes, not one per family
    top, *rest = sorted(shapes.values(), reverse=True)
    assert top > 5 * rest[len(rest) // 2]            # a few very common, many rare
