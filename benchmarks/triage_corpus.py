"""Triage a corpus of generated dumps with --jobs 1 and --jobs N; check the buckets.

    python benchmarks/triage_corpus.py [--count 200] [--jobs 2] [--runs 3]

Writes COUNT dumps drawn from kdb.tools.corpus's bug templates into a temporary
directory, runs `kdb triage --format json` over it serially and in
parallel, checks that both give exactly one bucket per template, and
prints the best wall time of each. Figures go in benchmarks/RESULTS.md by hand.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from kdb.tools.corpus import TEMPLATES, make_corpus


def triage(directory: str, jobs: int) -> tuple[float, dict]:
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "kdb", "triage", "--format", "json", "--jobs", str(jobs),
                        directory], capture_output=True, text=True, check=True)
    return time.perf_counter() - t, json.loads(r.stdout)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=200, help="dumps in the corpus (default 200)")
    ap.add_argument("--jobs", type=int, default=2, help="parallel processes to compare (default 2)")
    ap.add_argument("--runs", type=int, default=3, help="timed runs of each (default 3)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        expected = make_corpus(d, a.count)
        size = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
        print(f"corpus: {a.count} dumps, {size / 1e6:.1f} MB, written in {time.perf_counter() - t:.1f} s")
        best = {}
        for jobs in (1, a.jobs):
            times = []
            for _ in range(a.runs):
                secs, report = triage(d, jobs)
                times.append(secs)
                counts = sorted(b["count"] for b in report["buckets"])
                if counts != sorted(expected[k] for k in TEMPLATES):
                    print(f"FAIL: --jobs {jobs} gave buckets {counts}, expected {expected}")
                    return 1
            best[jobs] = min(times)
            print(f"--jobs {jobs}: best {best[jobs]:.2f} s of {a.runs}, "
                  f"{len(report['buckets'])} buckets {counts}")
        print(f"speed-up with --jobs {a.jobs}: {best[1] / best[a.jobs]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
