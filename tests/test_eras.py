"""The era rule: a dump renders as the mdb of its release (docs/eras.md).

The same dump, given an OpenSolaris version or an illumos one, prints the
layouts of that era and nothing else changes; the per-era layouts
themselves are golden tests in tests/golden/era/.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from goldenlib import run_inprocess  # noqa: E402
from kdb.target.kernel import resolve_dump_path  # noqa: E402
from kdb.target.model import SystemInfo  # noqa: E402


@pytest.mark.parametrize("version,release,era", [
    ("snv_89", "5.11", "opensolaris"), ("snv_151a", "5.11", "opensolaris"),
    ("s10_69", "5.10", "opensolaris"), ("Generic_147148-26", "5.10", "opensolaris"),
    ("joyent_20110727T191049Z", "5.11", "illumos"), ("omnios-r151046", "5.11", "illumos"),
    ("illumos-1a2b3c4d", "5.11", "illumos"), ("", "5.11", "illumos"),
])
def test_the_release_decides_the_era(version: str, release: str, era: str) -> None:
    s = SystemInfo("node", version=version, release=release)
    assert s.era == era


def _with_version(tmp_path: Path, name: str, version: str) -> str:
    d = json.loads(Path(resolve_dump_path(name)).read_text())
    d["system"]["version"] = version
    out = tmp_path / f"{name}-{version}.json"
    out.write_text(json.dumps(d))
    return str(out)


def _run(path: str, cmd: str) -> str:
    out, err, code = run_inprocess(["-e", cmd, path], None)
    assert code == 0, err
    return out




@pytest.mark.parametrize("name", ["jurassic", "deadlock", "panic"])
def test_a_modern_copy_of_any_dump_prints_the_illumos_layouts(tmp_path: Path, name: str) -> None:
    new = _with_version(tmp_path, name, "illumos-0123abcd")
    old = _with_version(tmp_path, name, "snv_89")
    walk_new, walk_old = _run(new, "::walk proc"), _run(old, "::walk proc")
    assert walk_new.splitlines()[0].startswith("0x")
    assert walk_old.splitlines()[0] == walk_new.splitlines()[0][2:]
    assert _run(new, "::ps").splitlines()[0] == \
        "S PID    PPID   PGID   SID    UID    FLAGS      ADDR             NAME"
    assert _run(old, "::ps").splitlines()[0] == \
        "S    PID   PPID   PGID    SID    UID      FLAGS             ADDR NAME"
    assert _run(new, "::zone").splitlines()[0].split() == ["ADDR", "ID", "STATUS", "NAME", "PATH"]
    assert _run(old, "::zone").splitlines()[0].split() == ["ADDR", "ID", "NAME", "PATH"]
    thread = _run(new, "::walk thread").splitlines()[-1]
    fs_new = _run(new, f"{thread}::findstack").splitlines()[0]
    fs_old = _run(old, f"{thread}::findstack").splitlines()[0]
    assert fs_old == f"stack pointer for thread {thread[2:]}: {fs_old.rsplit(': ', 1)[1]}"
    assert fs_new.startswith(f"stack pointer for thread {thread[2:]} (") and fs_new.endswith(
        "): " + fs_old.rsplit(": ", 1)[1])
    # the rest is the same dump: the stacks print alike
    assert _run(new, f"{thread}::findstack").splitlines()[1:] == \
        _run(old, f"{thread}::findstack").splitlines()[1:]
