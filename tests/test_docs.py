"""The examples in docs/*.md run and print exactly what the docs show.

A fenced block tagged ``kdb-example`` holds ``> command`` lines, each followed
by its exact output (stdout and stderr as a terminal shows them). A block may
name a dump on its first line: ``# dump: jurassic``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kdb.errors import QuitSession
from kdb.engine.session import Session

DOCS = Path(__file__).parent.parent / "docs"
BLOCK = re.compile(r"```kdb-example\n(.*?)```", re.S)


def blocks():
    for path in sorted(DOCS.glob("*.md")):
        for i, m in enumerate(BLOCK.finditer(path.read_text(encoding="utf-8"))):
            yield pytest.param(m.group(1), id=f"{path.name}#{i}")


def split(block: str):
    dump = None
    lines = block.split("\n")
    if lines and lines[0].startswith("# dump: "):
        dump = lines.pop(0)[len("# dump: "):].strip()
    steps: list[tuple[str, list[str]]] = []
    for line in lines[:-1] if lines and lines[-1] == "" else lines:
        if line.startswith("> "):
            steps.append((line[2:], []))
        else:
            steps[-1][1].append(line)
    return dump, steps


@pytest.mark.parametrize("block", blocks())
def test_doc_example(block):
    dump, steps = split(block)
    target = None
    if dump:
        from kdb.target.kernel import open_dump
        target = open_dump(dump)
    chunks: list[str] = []
    session = Session(target, write=chunks.append, write_err=chunks.append)
    for command, expected in steps:
        chunks.clear()
        try:
            session.run_string(command + "\n")
        except QuitSession:
            pass
        got = "".join(chunks)
        want = "".join(line + "\n" for line in expected)
        assert got == want, f"> {command}"


def test_robustness_doc_names_tests_that_exist():
    """docs/robustness.md lists the test behind each guarantee: they must exist."""
    import re as _re
    root = Path(__file__).parent
    text = (root.parent / "docs" / "robustness.md").read_text()
    sources = {p.name: p.read_text() for p in root.rglob("*.py")}
    every = "\n".join(sources.values())
    named = _re.findall(r"(test_\w+\.py)::(test_\w+)", text)
    assert len(named) >= 10
    for file, func in named:
        assert f"def {func}(" in sources[file], (file, func)
    for func in _re.findall(r"`::(test_\w+)`", text):
        assert f"def {func}(" in every, func
    for file in set(_re.findall(r"tests/(?:fuzz/)?(\w+\.py)", text)):
        assert file in sources, file


def test_the_module_example_in_modules_md_works(tmp_path: Path) -> None:
    """docs/modules.md's example module loads and does what the text says."""
    text = (DOCS / "modules.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    (tmp_path / "hello.py").write_text(code, encoding="utf-8")
    from kdb.target.kernel import open_dump
    out: list[str] = []
    s = Session(open_dump("jurassic"), write=out.append, write_err=out.append)
    s.run_string(f"::load {tmp_path / 'hello.py'}\n::help hello\n0x10::hello -c 2 bob\n::hello -x\n")
    s.out.nlflush()
    got = "".join(out)
    assert "Loaded module hello" in got
    assert "[ addr ] ::hello [-v] [-c count] [name]" in got
    assert "    -v        be verbose\n    -c count  print the greeting count times\n" in got
    assert got.count("10               hello bob\n") == 2
    assert "Usage: [address]::hello [-v] [-c count] [name]" in got
