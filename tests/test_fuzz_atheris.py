"""Coverage-guided fuzzing (atheris/libFuzzer) of the loader and the command
language, a bounded number of runs from the seed corpora in tests/fuzz/ (cut from 20,000 and 15,000 at stop 18 to keep the
suite inside its 10-minute budget).

Skipped where atheris does not install (it ships wheels for CPython on
Linux); ``make fuzz`` runs the same harnesses for longer.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("atheris")

FUZZ = Path(__file__).parent / "fuzz"


@pytest.mark.parametrize("harness,runs,extra", [
    ("atheris_loader.py", 6000, []),
    ("atheris_commands.py", 5000, ["-max_len=120"]),
])
def test_fuzz_harness_finds_no_crash(tmp_path, harness, runs, extra):
    corpus = tmp_path / "corpus"
    shutil.copytree(FUZZ / ("corpus-loader" if "loader" in harness else "corpus-commands"), corpus)
    p = subprocess.run([sys.executable, str(FUZZ / harness), f"-runs={runs}", "-seed=1",
                        f"-artifact_prefix={tmp_path}/", "-timeout=20", "-rss_limit_mb=1024", *extra,
                        str(corpus)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    crashes = list(tmp_path.glob("crash-*")) + list(tmp_path.glob("timeout-*")) + list(tmp_path.glob("oom-*"))
    assert p.returncode == 0 and not crashes, p.stderr[-3000:]
    assert f"Done {runs} runs" in p.stderr
