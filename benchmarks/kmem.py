#!/usr/bin/env python3
"""Kernel memory at scale: open, ::kmastat, ::findleaks, ::kgrep and
::whatis on generated dumps with 100,000 and 1,000,000 kmem buffers
(``kdb-gen --realistic --kmem-buffers N --leak N/1000``), and on the bundled
``leak`` scenario (2,144,092 buffers). Each command is a fresh ``kdb -e``
(so every figure includes start-up and the open), cache off, median of
--runs; json.load of the same file is the baseline for the open.

    python benchmarks/kmem.py [--runs 3] [--no-append]
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from run import commit, machine  # noqa: E402


def timed(cmd: list[str], runs: int) -> float:
    out = []
    for _ in range(runs):
        t = time.monotonic()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, timeout=900)
        out.append(time.monotonic() - t)
    return statistics.median(out)


def json_load(path: Path, runs: int) -> float:
    code = f"import json,gc; gc.disable(); json.load(open({str(path)!r}))"
    return timed([sys.executable, "-c", code], runs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--no-append", action="store_true")
    a = ap.parse_args(argv)
    data = HERE / "data"
    data.mkdir(exist_ok=True)
    kdb = [sys.executable, "-m", "kdb", "--no-cache"]
    rows = []
    dumps: list[tuple[str, Path]] = []
    for n in (int(x) for x in a.sizes.split(",")):
        path = data / f"gen-kmem-{n}.json"
        if not path.exists():
            subprocess.run([sys.executable, "-m", "kdb.tools.gen", "--procs", "100", "--threads", "1000",
                            "--realistic", "--panic", "--kmem-buffers", str(n), "--leak", str(n // 1000),
                            "-o", str(path)], check=True, cwd=ROOT, timeout=600)
        dumps.append((f"{n:,} buffers", path))
    dumps.append(("leak scenario (2,144,092 buffers)", ROOT / "dumps" / "leak.json"))
    for label, path in dumps:
        base = json_load(path, a.runs)
        probe = "ffffff2100000000"             # the first cache's first buffer
        for what, cmd in (("open (::status)", "::status"), ("::kmastat", "::kmastat"),
                          ("::findleaks", "::findleaks"), ("::memstat", "::memstat"),
                          (f"{probe}::kgrep", f"{probe}::kgrep"), (f"{probe}::whatis", f"{probe}::whatis")):
            t = timed(kdb + ["-e", cmd, str(path)], a.runs)
            rows.append((label, what, t, base, path.stat().st_size))
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"## kmem at scale, {stamp}, commit {commit()}", "",
             f"Machine: {machine()}. Command: `python benchmarks/kmem.py --runs {a.runs}`; medians of "
             f"{a.runs} fresh `kdb --no-cache -e CMD` runs (start-up and open included).", "",
             "| dump | command | kdb | json.load of the file | file |", "|---|---|---|---|---|"]
    for label, what, t, base, size in rows:
        lines.append(f"| {label} | `{what}` | {t:.2f} s | {base:.2f} s | {size / 1e6:.1f} MB |")
    text = "\n".join(lines) + "\n"
    print(text)
    if not a.no_append:
        with open(HERE / "RESULTS.md", "a", encoding="utf-8") as f:
            f.write("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
