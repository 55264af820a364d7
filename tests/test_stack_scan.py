"""The stack scan's child process (kdb.target.dump.stacks.StackScan): its
answer is used when it gives one, and a child that cannot fork, dies or
answers about other stacks leaves the loader to scan in-process, with the
same dump either way."""

from __future__ import annotations

import json
import os

import pytest

from kdb.target.dump import DumpError, load_bytes
from kdb.target.dump import stacks as stackmod
from kdb.tools.gen import generate


def dump_bytes() -> bytes:
    return json.dumps(generate(procs=12, threads=300, seed=3, realistic=True),
                      separators=(",", ":")).encode()


def summary(raw: bytes) -> tuple:
    d = load_bytes(raw, freeze=False)
    return ([(s.name, s.addr) for s in d.symbols],
            [t.frames for t in d.threads[:50]], [t.proc.unpack_stack.pcs(t) for t in d.threads])


@pytest.fixture
def forking(monkeypatch):
    """Scan in a child for any size of dump."""
    monkeypatch.setattr(stackmod, "FORK_MIN_BYTES", 0)
    monkeypatch.setattr(stackmod, "_can_fork", lambda: hasattr(os, "fork"))


def test_the_childs_answer_gives_the_same_dump(forking):
    raw = dump_bytes()
    expected = summary(raw)
    scan = stackmod.StackScan(raw)
    assert scan._pid                     # a child was forked
    scan.close()
    assert summary(raw) == expected


@pytest.mark.parametrize("trouble", ["no-fork", "child-dies", "other-stacks"])
def test_the_loader_scans_itself_when_the_child_fails(forking, monkeypatch, trouble):
    raw = dump_bytes()
    monkeypatch.setattr(stackmod, "FORK_MIN_BYTES", 1 << 60)
    expected = summary(raw)              # no child at all
    monkeypatch.setattr(stackmod, "FORK_MIN_BYTES", 0)
    if trouble == "no-fork":
        def no_fork():
            raise OSError("fork refused")
        monkeypatch.setattr(os, "fork", no_fork)
    elif trouble == "child-dies":
        def dies(raw):
            raise MemoryError
        monkeypatch.setattr(stackmod, "_stacks_of", dies)       # raises in the child
    else:
        real = stackmod._stacks_of
        monkeypatch.setattr(stackmod, "_stacks_of", lambda raw: real(raw)[:-1])
    assert summary(raw) == expected


def test_a_refused_dump_leaves_no_child_behind(forking):
    data = json.loads(dump_bytes())
    data["procs"][1]["threads"][0]["state"] = "slept"
    before = _children()
    with pytest.raises(DumpError):
        load_bytes(json.dumps(data).encode(), freeze=False)
    assert _children() == before


def _children() -> set[int]:
    """This process's live children (Linux /proc)."""
    me = os.getpid()
    out = set()
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == me and fields[0] != "Z":
                out.add(int(name))
    return out
