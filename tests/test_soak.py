"""Soak: 10,000 random valid commands against each bundled dump in one
session, with the session's memory checked to stay flat.

The commands are drawn (seeded, so a failure replays) from templates filled
with the dump's own processes, threads, locks, CPUs, symbols and majors:
the commands a long triage script or a day at the prompt would run. After
a warm-up that fills the caches every dump legitimately keeps (one resolved
stack per thread, the ::stacks grouping), the resident size must not grow.
"""

from __future__ import annotations

import gc
import random

import pytest

from kdb.errors import QuitSession
from kdb.target.kernel import open_dump
from kdb.engine.session import Session

COMMANDS_PER_DUMP = 10_000


def rss_kb() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4


def templates(dump) -> list:
    """Callables rng -> command line, over the dump's entities."""
    procs = [f"{p.addr:x}" for p in dump.procs]
    pids = [f"0t{p.pid}" for p in dump.procs]
    threads = [f"{t.addr:x}" for t in dump.threads]
    sobjs = [f"{o.addr:x}" for o in dump.sobjs] or threads
    cpus = [f"{c.addr:x}" for c in dump.cpus]
    funcs = sorted({sym.name for t in dump.threads[:200] for f in t.frames
                    if (sym := dump.symbols.containing(f.pc)) is not None}) or ["swtch"]
    majors = [f"{m.major:x}" for m in dump.majors] or ["0"]
    names = [m.name for m in dump.majors] or ["cn"]
    comms = sorted({p.comm for p in dump.procs})
    mods = sorted({m.name for m in dump.modules}) or ["unix"]     # an unknown one is an error
    syms = [f"{s.name}" for m in dump.modules for s in m.symbols][:200] or ["swtch"]
    c = random.Random.choice
    return [
        lambda r: "::status", lambda r: "::ps", lambda r: "::ps -f", lambda r: "::ps -z",
        lambda r: f"{c(r, procs)}::ps", lambda r: f"{c(r, pids)}::pid2proc",
        lambda r: f"{c(r, pids)}::pid2proc | ::walk thread | ::findstack -v",
        lambda r: f"{c(r, threads)}::findstack", lambda r: f"{c(r, threads)}::findstack -v",
        lambda r: f"{c(r, threads)}::thread", lambda r: f"{c(r, threads)}\\$C",
        lambda r: f"{c(r, threads)}::print kthread_t t_state t_pri",
        lambda r: f"{c(r, procs)}::print proc_t p_pidp",
        lambda r: f"{c(r, procs)}::walk thread", lambda r: "::walk thread | ::head -n 7 | ::thread",
        lambda r: "::threadlist", lambda r: f"::stacks -c {c(r, funcs)}", lambda r: "::stacks",
        lambda r: f"::stacks -m {c(r, mods)}",
        lambda r: f"{c(r, sobjs)}::wchaninfo", lambda r: f"{c(r, sobjs)}::whatis",
        lambda r: f"{c(r, cpus)}::cpuinfo", lambda r: "::cpuinfo -v", lambda r: "::msgbuf",
        lambda r: f"{c(r, majors)}::major2name", lambda r: f"::name2major {c(r, names)}",
        lambda r: f"::pgrep {c(r, comms)}", lambda r: "::zone", lambda r: "::prtconf",
        lambda r: f"{c(r, syms)}=p", lambda r: f"{c(r, syms)}::nm", lambda r: "::sizeof proc_t",
        lambda r: "::offsetof kthread_t t_state",
        lambda r: "::panicinfo" if dump.panic else "::status",
        lambda r: f"0t{r.randrange(1 << 40)},{r.randrange(1, 9)}=J",
        lambda r: f"{r.randrange(1 << 64):x}+{r.randrange(1 << 32):x}*{r.randrange(1, 99)}=Kn",
        lambda r: f"{c(r, threads)}/2K", lambda r: f"{c(r, procs)},4/X",
        lambda r: f"{r.randrange(1 << 16):x}>{c(r, 'abcdefghij')}; <{c(r, 'abcdefghij')}=D",
        lambda r: "::eval '::walk cpu | ::head -n 2'", lambda r: "::dcmds",
        lambda r: "::walk zone", lambda r: "::walk cpu | ::print cpu_t cpu_id",
        lambda r: "::taskq -a", lambda r: "::callout -D", lambda r: "::cycinfo",
        lambda r: "::walk deathrow", lambda r: f"{c(r, cpus)}::walk cpu_dispq",
        lambda r: f"{c(r, threads)}::dis -n 2",
    ]


#: the scenarios share one builder: one dump of each era, and the one with
#: the most sections (task queues, callouts), stand for them; the soak
#: grew by four seconds with every scenario when it ran them all
SOAKED = ["jurassic", "panic", "tqstall"]


@pytest.mark.skipif(not __import__("os").path.exists("/proc/self/statm"), reason="needs /proc")
@pytest.mark.parametrize("name", SOAKED)
def test_ten_thousand_random_commands_with_flat_memory(name):
    target = open_dump(name)
    errors: list[str] = []
    session = Session(target, write=lambda s: None, write_err=errors.append, shell_allowed=False)
    rng = random.Random(f"soak-{name}")
    pool = templates(target.dump)
    # warm-up: the caches a session legitimately fills once (each thread's
    # resolved stack, the ::stacks grouping, the kernel images)
    session.run_string("::walk thread | ::findstack -v\n::stacks\n::walk proc | ::print proc_t p_pidp\n")
    for _ in range(1000):
        session.run_string(rng.choice(pool)(rng) + "\n")
    gc.collect()
    before = rss_kb()
    internal = failed = 0
    for i in range(COMMANDS_PER_DUMP - 1000):
        try:
            if session.run_string(rng.choice(pool)(rng) + "\n").status != 0:
                failed += 1
        except QuitSession:
            pytest.fail("a soak command quit the session")
        if len(errors) > 1000:           # keep the diagnostics bounded; count internal errors
            internal += sum("internal error" in e for e in errors)
            errors.clear()
    internal += sum("internal error" in e for e in errors)
    assert failed < COMMANDS_PER_DUMP // 20, f"{failed} commands failed: the soak is not exercising much"
    gc.collect()
    after = rss_kb()
    assert internal == 0, [e for e in errors if "internal error" in e][:3]
    assert after - before < 4096, f"{name}: RSS grew from {before} kB to {after} kB over 9,000 commands"


@pytest.mark.skipif(not __import__("os").path.exists("/proc/self/statm"), reason="needs /proc")
def test_loading_and_releasing_many_dumps_keeps_memory_flat():
    """A triage worker loads dump after dump: each released dump is freed.
    (Before release_dump existed, each jurassic load kept 0.66 MB for good.)"""
    from kdb.target.dump import release_dump
    for _ in range(5):
        release_dump(open_dump("jurassic", freeze=False).dump, collect=False)
    before = rss_kb()
    for _ in range(100):
        release_dump(open_dump("jurassic", freeze=False).dump, collect=False)   # as triage does
    assert rss_kb() - before < 8 * 1024
