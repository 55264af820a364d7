"""Every exercise can be solved from inside the debugger with its hints.

For each step whose answer is an address or a number, the commands its
hints name (in backquotes) are run on the exercise's dump, and the answer
must be in what they print. ``PID`` and ``ADDR`` in a hinted command stand
for a pid or an address a previous step found (the student's own answer).
A hint must name at least one command for such a step.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

import kdb

SOURCES = sorted((Path(__file__).parent.parent / "docs" / "exercises").glob("*.toml"))
CHECKED = ("address", "number", "pid")


def _steps():
    for path in SOURCES:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        found: dict[str, list[str]] = {"PID": [], "ADDR": []}
        for i, step in enumerate(data["step"]):
            kind = step.get("kind", "text")
            answer = str(step.get("answer") or step.get("answers", [""])[0])
            if kind in CHECKED:
                yield pytest.param(data["exercise"]["dump"], step, answer, dict(found),
                                   id=f"{path.stem}#{i}")
            if kind == "pid":
                found["PID"].append(answer)
            if kind == "address":
                found["ADDR"].append(answer)


def _run(dump: str, command: str) -> str:
    """What the student sees: the command's output and its warnings."""
    r = kdb.open(dump).run(command)
    return r.text + "".join(e + "\n" for e in r.errors)


def _in(answer: str, text: str) -> bool:
    return re.search(r"(?<![0-9A-Za-z])" + re.escape(answer) + r"(?![0-9A-Za-z])", text) is not None


@pytest.mark.parametrize("dump,step,answer,found", list(_steps()))
def test_hinted_commands_show_the_answer(dump: str, step: dict, answer: str,
                                         found: dict[str, list[str]]) -> None:
    commands = [c for h in step.get("hints", []) for c in re.findall(r"`([^`]+)`", h)]
    assert commands, f"no hint names a command for {step['question']!r}"
    runs = []
    for c in commands:
        forms = [c]
        for placeholder, values in found.items():
            if placeholder in c:
                forms = [f.replace(placeholder, v) for f in forms for v in values]
        runs += [(f, _run(dump, f)) for f in forms if not re.search(r"\b(PID|ADDR)\b", f)]
    assert any(_in(answer, text) for _, text in runs), \
        f"{answer} is in none of: " + "; ".join(f for f, _ in runs)


def test_placeholder_steps_are_reachable() -> None:
    """Every step is checked: none of the checked ones lacks hints."""
    assert len(list(_steps())) >= 10
