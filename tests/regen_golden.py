#!/usr/bin/env python3
"""Regenerate the golden transcripts after a deliberate output change.

    python tests/regen_golden.py [FILE...]

Review ``git diff tests/golden`` before committing the result.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from goldenlib import all_cases, parse, render, run_inprocess  # noqa: E402


def main(paths: list[str]) -> int:
    files = [Path(p) for p in paths] or all_cases()
    changed = 0
    for path in files:
        case = parse(path)
        out, err, code = run_inprocess(case["argv"], case["stdin"], case["env"])
        new = render(case, out, err, code)
        if path.read_text(encoding="utf-8") != new:
            path.write_text(new, encoding="utf-8")
            changed += 1
            print(f"updated {path}")
    print(f"{len(files)} golden files, {changed} updated")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
