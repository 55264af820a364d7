"""docs/api.md runs: its doctests, and each script of docs/examples/ (shown
verbatim in it) prints the output shown under it. mypy checks the scripts
(pyproject.toml's files)."""

from __future__ import annotations

import doctest
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "api.md"
ARGS = {"blocked_in_module": ["zfs", "dumps/"]}


def test_the_doctests_pass():
    failures, tried = doctest.testfile(str(DOC), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert tried > 10 and failures == 0


@pytest.mark.parametrize("script", sorted((ROOT / "docs" / "examples").glob("*.py")), ids=lambda p: p.stem)
def test_each_example_prints_what_the_doc_shows(script):
    doc = DOC.read_text()
    code = script.read_text()
    m = re.search(re.escape(f"```python\n{code}```\n\n```text\n") + r"(.*?)```", doc, re.S)
    assert m, f"{script.name} is not shown verbatim in docs/api.md, with its output"
    r = subprocess.run([sys.executable, str(script), *ARGS.get(script.stem, [])], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout == m.group(1)


def test_the_type_checker_sees_the_api_types(tmp_path):
    """A script that misuses the API's types fails mypy (so the examples'
    passing means something)."""
    bad = tmp_path / "bad.py"
    bad.write_text("import kdb\n\nd = kdb.open('jurassic')\nname: str = d.threads[0].addr\n"
                   "ok: int = d.threads[0].stack[0].pc\n")
    r = subprocess.run([sys.executable, "-m", "mypy", "--no-color-output", "--strict", str(bad)], cwd=ROOT,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 1
    assert 'bad.py:4: error: Incompatible types in assignment (expression has type "int", variable has type "str")' \
        in r.stdout and "bad.py:5" not in r.stdout
