#!/usr/bin/env python3
"""The Python API, folded stacks and the HTML report at scale, on a
generated realistic dump of 100,000 threads (``kdb-gen --realistic``:
frame pointers and arguments as real captures give them) and on the
bundled deadlock scenario. CLI figures are fresh processes (start-up and
open included, cache off); API figures are in one process after
``kdb.open``. Medians of --runs.

    python benchmarks/api_and_pictures.py [--runs 3] [--no-append]
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

HERE = Path(__file__).parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from run import commit, machine  # noqa: E402


def timed(fn: Callable[[], object], runs: int) -> float:
    out = []
    for _ in range(runs):
        t = time.monotonic()
        fn()
        out.append(time.monotonic() - t)
    return statistics.median(out)


def cli(args: list[str]) -> Callable[[], object]:
    return lambda: subprocess.run([sys.executable, "-m", "kdb", *args], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, timeout=900,
                                  env={"KDB_CACHE": "off", "PATH": "/usr/bin:/bin"})


def main(argv: list[str] | None = None) -> int:
    import kdb
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-append", action="store_true")
    a = ap.parse_args(argv)
    data = HERE / "data"
    data.mkdir(exist_ok=True)
    big = data / "gen-realistic-100k.json"
    if not big.exists():
        subprocess.run([sys.executable, "-m", "kdb.tools.gen", "--realistic", "--threads", "100000",
                        "--procs", "2000", "-o", str(big)], check=True, cwd=ROOT, timeout=900)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, path in (("100,000 threads (realistic)", str(big)), ("deadlock scenario", "deadlock")):
            for what, args in (("kdb triage", ["triage", path]),
                               ("kdb triage --html", ["triage", "--html", f"{tmp}/r.html", path]),
                               ("kdb --format folded -e ::stacks", ["--format", "folded", "-e", "::stacks", path])):
                rows.append((label, what, timed(cli(args), a.runs)))
            d = kdb.open(path)
            rows.append((label, "API kdb.open", timed(lambda: kdb.open(path), a.runs)))
            rows.append((label, "API stack_groups()", timed(d.stack_groups, a.runs)))
            rows.append((label, "API run('::stacks') (text and records)", timed(lambda: d.run("::stacks"), a.runs)))
            # a fresh dump each run: the model keeps decoded frames, so a second pass costs little
            rows.append((label, "API kdb.open, then every thread's decoded stack (first pass)",
                         timed(lambda: sum(len(t.stack) for t in kdb.open(path).threads), a.runs)))
            rows.append((label, "API triage()", timed(d.triage, a.runs)))
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"## The Python API, folded stacks and the HTML report, {stamp}, commit {commit()}", "",
             f"Machine: {machine()}. Command: `python benchmarks/api_and_pictures.py --runs {a.runs}`; "
             f"medians of {a.runs}. CLI rows are fresh processes (start-up and open included, cache off); "
             "API rows run in one process on an opened dump.", "",
             "| dump | what | time |", "|---|---|---|"]
    lines += [f"| {label} | {what} | {t:.2f} s |" for label, what, t in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    if not a.no_append:
        with open(HERE / "RESULTS.md", "a", encoding="utf-8") as f:
            f.write("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
