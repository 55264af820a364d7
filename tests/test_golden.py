"""Every golden transcript in tests/golden must reproduce byte for byte."""

from __future__ import annotations

import pytest

from goldenlib import GOLDEN_DIR, all_cases, parse, run_inprocess


@pytest.mark.parametrize("path", all_cases(), ids=lambda p: str(p.relative_to(GOLDEN_DIR)))
def test_golden(path):
    case = parse(path)
    assert "stdout" in case, f"{path}: no expected output; run tests/regen_golden.py"
    out, err, code = run_inprocess(case["argv"], case["stdin"], case["env"])
    assert out == case["stdout"]
    assert err == case["stderr"]
    assert code == case["exit"]
