"""Golden transcripts: a command line in, exact stdout, stderr and exit status out.

Each ``tests/golden/**/*.txt`` file is self-describing::

    argv: ["-e", "0t2 << 0t10=K"]
    stdin: null
    @@@ stdout
                    800
    @@@ stderr
    @@@ exit 0

``argv`` and ``stdin`` (a JSON string or null) are the input; the sections
below are the expected output, byte for byte. ``tests/regen_golden.py``
rewrites the sections after a deliberate change; a new case is a file with
just the two header lines.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from pathlib import Path
from typing import Any

GOLDEN_DIR = Path(__file__).parent / "golden"


def parse(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    head, sep, rest = text.partition("@@@ stdout\n")
    meta: dict[str, Any] = {}
    for line in head.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, _, value = line.partition(":")
        meta[key.strip()] = json.loads(value)
    case = {"argv": meta["argv"], "stdin": meta.get("stdin"), "env": meta.get("env") or {},
            "header": head}
    if sep:
        out, _, rest = rest.partition("@@@ stderr\n")
        err, _, rest = rest.partition("@@@ exit ")
        case["stdout"] = out
        case["stderr"] = err
        case["exit"] = int(rest.strip())
    return case


def run_inprocess(argv: list[str], stdin: str | None, env: dict[str, str] | None = None) -> tuple[str, str, int]:
    """Run ``kdb.apps.cli.main`` with captured stdio (no terminal)."""
    from kdb.apps import cli
    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    old_env = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    sys.stdin = io.StringIO(stdin or "")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main(argv)
            except SystemExit as e:
                code = int(e.code or 0)
    finally:
        sys.stdin = old_stdin
        for k, v in old_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return out.getvalue(), err.getvalue(), code


def render(case: dict[str, Any], stdout: str, stderr: str, code: int) -> str:
    return f"{case['header']}@@@ stdout\n{stdout}@@@ stderr\n{stderr}@@@ exit {code}\n"


def all_cases() -> list[Path]:
    return sorted(GOLDEN_DIR.rglob("*.txt"))
