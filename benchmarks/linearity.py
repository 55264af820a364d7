#!/usr/bin/env python3
"""Ten times the dump, ten times the time? Each step a user takes, timed at N and 10N.

    python benchmarks/linearity.py                 # 20,000 and 200,000 threads
    python benchmarks/linearity.py --sizes 2000,20000 --runs 1 --no-append

The dumps are generated (``kdb.tools.gen``, seed 42, threads/2 processes),
with threads/4 typed objects in a shuffled order and threads/20 memory
sections (tests/test_linear.py builds the same shape and counts the work;
this script times it). Each command is a real ``kdb`` process; the table
gives medians of wall time and the ratio between the two sizes (10.0 is
linear; start-up, a constant, pulls small-size figures up). Results are
printed and appended to ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from run import DATA, KDB, PY, commit, machine, measure  # noqa: E402
from test_linear import dump_of  # noqa: E402

STEPS: list[tuple[str, str | None]] = [
    ("open (::status)", "::status"),
    ("::walk thread | ::print kthread_t t_state", "::walk thread | ::print kthread_t t_state"),
    ("::walk thread | ::findstack", "::walk thread | ::findstack"),
    ("::stacks", "::stacks"),
    ("::walk proc | ::print proc_t p_pidp", "::walk proc | ::print proc_t p_pidp"),
]


def dump(n: int) -> Path:
    DATA.mkdir(exist_ok=True)
    path = DATA / f"linear-{n}.json"
    if not path.exists():
        path.write_text(json.dumps(dump_of(n, seed=42)))
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="20000,200000", help="two thread counts, N and 10N")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-append", action="store_true")
    ap.add_argument("--out", default=str(HERE / "RESULTS.md"))
    a = ap.parse_args(argv)
    small, big = (int(x) for x in a.sizes.split(","))
    started = time.perf_counter()
    paths = {n: dump(n) for n in (small, big)}
    rows = []
    for label, cmd in STEPS + [("kdb triage", None)]:
        t = {}
        for n in (small, big):
            argv_ = ["triage", str(paths[n])] if cmd is None else ["-e", cmd, str(paths[n])]
            t[n], _ = measure(KDB + argv_, a.runs)
        print(f"  {label}: {t[small]:.2f} s, {t[big]:.2f} s", flush=True)
        rows.append((label, t[small], t[big]))
    elapsed = time.perf_counter() - started
    lines = [f"## Linearity, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, "
             f"commit {commit()}", "",
             f"Machine: {machine()}. Command: `python benchmarks/linearity.py "
             f"{' '.join(argv if argv is not None else sys.argv[1:])}`; medians of {a.runs} runs "
             f"after a warm-up; run took {elapsed:.0f} s.", "",
             f"| step | {small:,} threads | {big:,} threads | ratio (10.0 is linear) |",
             "|---|---|---|---|"]
    for label, ts, tb in rows:
        cell = label.replace("|", "\\|")
        lines.append(f"| `{cell}` | {ts:.2f} s | {tb:.2f} s | {tb / ts:.1f} |")
    text = "\n".join(lines) + "\n"
    print()
    print(text)
    if not a.no_append:
        with Path(a.out).open("a") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
