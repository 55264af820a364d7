"""The type checker runs with the suite: mypy over kdb/ and dcmds/, as
configured in pyproject.toml ([tool.mypy]), must find nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_passes() -> None:
    proc = subprocess.run([sys.executable, "-m", "mypy", "--no-color-output"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Success: no issues found" in proc.stdout
