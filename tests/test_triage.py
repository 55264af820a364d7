"""kdb triage: causes named on the scenarios, signatures that bucket a corpus, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from kdb.gen import generate


def triage(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "kdb", "triage", *args], capture_output=True,
                          text=True, timeout=300, cwd=cwd)


def test_jurassic_names_the_semaphore_and_the_ii_property_list():
    r = triage("jurassic")
    assert r.returncode == 0, r.stderr
    assert "0xffffff0935930648 sema hwc_parse_mutex: 2 waiters" in r.stdout
    assert "driver ii (major 0xe4) has 262149 global properties" in r.stdout
    assert "signature: 635dc59e68c7  hang: sema in hwc_parse < impl_make_parlist" in r.stdout


def test_deadlock_names_the_cycle_and_its_two_threads():
    r = triage("--format", "json", "deadlock")
    d = json.loads(r.stdout)["dumps"][0]
    (cycle,) = d["deadlocks"]
    assert sorted(x["thread"] for x in cycle) == ["0xffffff01e4a28640", "0xffffff01e4a28d00"]
    assert {x["object"] for x in cycle} == {"acct_dir_lock", "acct_entry_lock"}
    assert d["signature"]["text"] == "deadlock: acct_lock_dir < acct_link / acct_lock_entry < acct_rename"


def test_panic_names_the_faulting_frame():
    d = json.loads(triage("--format", "json", "panic").stdout)["dumps"][0]
    assert d["panic"]["fault_frame"] == "mydrv_ioctl" and d["panic"]["fault_module"] == "mydrv"
    assert d["panic"]["process"] == "mydrvstat"


def test_exit_codes(tmp_path):
    assert triage("deadlock").returncode == 0
    assert triage("--fail-on", "deadlock", "deadlock").returncode == 3
    assert triage("--fail-on", "panic", "deadlock").returncode == 0
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    r = triage(str(bad), "panic")
    assert r.returncode == 1 and "failed to load" in r.stdout and "signature:" in r.stdout
    assert triage("--jobs").returncode == 2 and triage().returncode == 2


# -- a corpus from bug templates ------------------------------------------------------
def _deadlock(d, rng):
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


def _semahang(d, rng):
    threads = [t for p in d["procs"][1:] for t in p["threads"]][: 3 + rng.randrange(4)]
    for t in threads:
        t["state"] = "sleep"
        t["sobj"] = {"type": "sema", "addr": "0xffffff0c00000000"}
        t["wchan"] = "0xffffff0c00000000"
        t["stack"] = ["swtch+0x141", "sema_p+0x26f", "blkdev`bd_strategy_wait+0x31",
                      "blkdev`bd_strategy+0x8a", "bdev_strategy+0x64", "sys_syscall+0x17b"]
    d["sobjs"].append({"addr": "0xffffff0c00000000", "type": "sema", "count": 0})


def make_corpus(tmp_path, per_template=10):
    import random
    expected = {}
    for i in range(per_template * 3):
        kind = ("panic", "deadlock", "semahang")[i % 3]
        d = generate(5 + i % 7, 80 + 13 * i, 1000 + i, panic=kind == "panic", nodename=f"host{i}")
        rng = random.Random(i)
        if kind == "deadlock":
            _deadlock(d, rng)
        elif kind == "semahang":
            _semahang(d, rng)
        d["system"]["time"] = f"2026-01-{1 + i % 28:02d}T12:00:00Z"
        (tmp_path / f"{kind}-{i:03d}.json").write_text(json.dumps(d))
        expected[kind] = expected.get(kind, 0) + 1
    return expected


def test_a_corpus_of_three_templates_triages_into_three_buckets(tmp_path):
    expected = make_corpus(tmp_path)
    one = json.loads(triage("--format", "json", str(tmp_path)).stdout)
    two = json.loads(triage("--format", "json", "--jobs", "2", str(tmp_path)).stdout)
    assert one["buckets"] == two["buckets"]
    buckets = {b["signature"].split(":")[0]: b["count"] for b in one["buckets"]}
    assert len(one["buckets"]) == 3, [b["signature"] for b in one["buckets"]]
    assert buckets == {"panic": expected["panic"], "deadlock": expected["deadlock"],
                       "hang": expected["semahang"]}
    first = next(b for b in one["buckets"] if b["signature"].startswith("panic"))
    assert first["first_seen"] <= first["last_seen"] and len(first["examples"]) == 3
