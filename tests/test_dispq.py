"""Run queues: one fact (a CPU's runnable threads) read by ::cpuinfo -v and
by the cpu_dispq walker through the disp_t images (kdb.target.dispq)."""

from __future__ import annotations

from kdb.engine.session import Session
from kdb.target.dump import build_dump
from kdb.target.kernel import KernelTarget


def _dump() -> dict:
    run = [{"addr": f"0xffffff000100{i}000", "state": "run", "cpu": 0, "pri": pri, "tid": i + 1,
            "sp": f"0xffffff000200{i}000", "stack": ["swtch+0x10"]}
           for i, pri in enumerate([10, 60, 10, 99])]
    return {"kdb_dump": 1, "system": {"nodename": "q"},
            "cpus": [{"id": 0, "addr": "0xfffffffffbc4f0c0", "thread": "0xffffff0009000000",
                      "idle_thread": "0xffffff0009000000"}],
            "procs": [{"addr": "0xfffffffffbc28c30", "pid": 0, "comm": "sched", "threads": [
                {"addr": "0xffffff0009000000", "state": "onproc", "cpu": 0, "sp": "0xffffff0008fffe00",
                 "stack": ["idle+0x102", "thread_start+8"]}]},
                      {"addr": "0xffffff0900000000", "pid": 7, "comm": "w", "threads": run}]}


def _run(cmd: str) -> str:
    out: list[str] = []
    s = Session(KernelTarget(build_dump(_dump())), write=out.append, write_err=out.append)
    s.run_string(cmd + "\n")
    s.out.nlflush()
    return "".join(out)


def test_the_walk_climbs_priorities_first_come_first_within_one():
    walked = [w.removeprefix("0x") for w in _run("fffffffffbc4f0c0::walk cpu_dispq").split()]
    assert walked == ["ffffff0001000000", "ffffff0001002000", "ffffff0001001000", "ffffff0001003000"]


def test_cpuinfo_lists_the_same_queue_highest_first_and_the_images_agree():
    out = _run("::cpuinfo -v")
    rows = [line.split() for line in out.splitlines() if "ffffff000100" in line]
    assert [r[-3] for r in rows] == ["99", "60", "10", "10"]
    assert "disp_nrunnable = 0x4" in _run("fffffffffbc4f0c0::print cpu_t cpu_disp | ::print disp_t disp_nrunnable")
    assert "cpu_disp_nrunnable = 0x4" in _run("fffffffffbc4f0c0::print cpu_t cpu_disp_nrunnable")
