"""make bench still runs: a tiny smoke run of the harness (no timing assertions)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_benchmark_harness_runs_on_a_tiny_dump(tmp_path):
    out = tmp_path / "RESULTS.md"
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--tiny", "--runs", "1",
                        "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    text = out.read_text()
    for case in ("load 1000", "::stacks 1000", "pipeline 1000", "long walk", "startup", "completion"):
        assert f"| {case}" in text, case
