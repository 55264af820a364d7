"""Turnstiles derived from blocked threads (kdb.target.turnstiles): queues in
sleepq order, priority inheritance, t_prioinv lists and the hash chains
::sobj2ts follows, as the dcmds read them from memory."""

from __future__ import annotations

import json

from kdb.engine.session import Session
from kdb.target.dump import build_dump
from kdb.target.kernel import KernelTarget
from kdb.target.turnstiles import TURNSTILE_HASH_SIZE, sobj_hash

OWNER = "0xffffff0001001000"
M1, M2 = "0xffffff0002000000", "0xffffff0002000200"


def _thread(addr: str, pri: int, sobj: str | None = None, cpu: int | None = None) -> dict:
    t = {"addr": addr, "state": "sleep" if sobj else "run", "pri": pri, "sp": "0xffffff0003000000",
         "stack": ["swtch+0x221", "turnstile_block+0x76b", "mutex_vector_enter+0x261", "foo+0x10"]}
    if sobj:
        t["sobj"] = {"type": "mutex", "addr": sobj}
    return t


def inversion() -> dict:
    """A pri-60 owner of two mutexes; a pri-99 and a pri-70 waiter on the
    first, a pri-50 waiter on the second (no inheritance there)."""
    return {
        "kdb_dump": 1, "system": {"nodename": "pi"},
        "cpus": [{"id": 0, "addr": "0xfffffffffbc4f0c0"}],
        "sobjs": [{"addr": M1, "type": "mutex", "kind": "adaptive", "owner": OWNER},
                  {"addr": M2, "type": "mutex", "kind": "adaptive", "owner": OWNER}],
        "procs": [{"addr": "0xfffffffffbc28c30", "pid": 0, "comm": "sched", "threads": [
            _thread(OWNER, 60),
            _thread("0xffffff0001002000", 70, M1),
            _thread("0xffffff0001003000", 99, M1),
            _thread("0xffffff0001004000", 50, M2)]}],
    }


def run(cmds: str) -> tuple[str, list[str]]:
    out: list[str] = []
    err: list[str] = []
    s = Session(KernelTarget(build_dump(json.loads(json.dumps(inversion())), "pi.json")),
                write=out.append, write_err=err.append)
    s.run_string(cmds + "\n")
    return "".join(out), err


def test_a_higher_priority_waiter_lends_its_priority_to_the_owner():
    out, err = run("::turnstile")
    assert not err
    lines = out.splitlines()
    assert lines[0].split() == ["ADDR", "SOBJ", "WTRS", "EPRI", "ITOR", "PRIOINV"]
    first, second = (line.split() for line in lines[1:])
    # M1: two waiters, the highest DISP_PRIO (99) above the owner's 60
    assert first[1:] == ["ffffff0002000000", "2", "99", "ffffff0001001000", "0"]
    # M2: its waiter (50) is below the owner: no inheritance
    assert second[1:] == ["ffffff0002000200", "1", "0", "0", "0"]


def test_sleepq_order_prioinv_list_and_chains_are_in_memory():
    out, err = run("ffffff0001001000::print kthread_t t_prioinv t_ts; "
                   "ffffff0960000000::print turnstile_t ts_sleepq; "
                   "ffffff0001003000::print kthread_t t_sleepq t_link; "
                   "ffffff0002000000::sobj2ts; ffffff0002000200::sobj2ts; "
                   "ffffff0002000000::walk blocked")
    assert not err, err
    assert "t_prioinv = 0xffffff0960000000" in out and "t_ts = 0" in out
    # the pri-99 waiter sleeps first on the writer queue, then the pri-70 one
    assert "sq_first = 0xffffff0001003000" in out
    assert "t_sleepq = 0xffffff0960000030" in out and "t_link = 0xffffff0001002000" in out
    assert "ffffff0960000000\nffffff0960000040\n" in out
    assert out.endswith("ffffff0001002000\nffffff0001003000\n")     # the thread walk's order


def test_the_hash_is_turnstile_sobj_hash():
    # (((int)sobj >> 2) + ((int)sobj >> 9)) & 127, on the low 32 bits as an int
    a = 0xFFFFFF01E3F20C08
    low = a & 0xFFFFFFFF
    low -= 1 << 32
    assert sobj_hash(a) == ((low >> 2) + (low >> 9)) & (TURNSTILE_HASH_SIZE - 1)
    assert 0 <= sobj_hash(0x1000) < TURNSTILE_HASH_SIZE
