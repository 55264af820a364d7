"""The layout's rules (docs/design.md): no import cycles among kdb's modules
(imports under ``TYPE_CHECKING`` aside), at most 8 modules directly in
``kdb/``, no module over 600 lines, no module outside ``kdb/ui`` importing
prompt_toolkit, and no dcmd parsing options it does not declare."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"kdb": ROOT / "kdb", "kdb.dcmds": ROOT / "dcmds"}
MAX_LINES = 600


def modules() -> dict[str, Path]:
    """Every module of the package, by dotted name (dcmds/ installs as kdb.dcmds)."""
    out: dict[str, Path] = {}
    for prefix, root in PACKAGES.items():
        for path in root.rglob("*.py"):
            rel = path.relative_to(root).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            out[".".join([prefix, *parts])] = path
    return out


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or \
        (isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The kdb modules NAME imports, anywhere in it but TYPE_CHECKING blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    is_pkg = path.name == "__init__.py"

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name in known:
                    found.add(a.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = name if is_pkg else name.rpartition(".")[0]
                for _ in range(node.level - 1):
                    pkg = pkg.rpartition(".")[0]
                base = f"{pkg}.{base}" if base else pkg
            for a in node.names:
                sub = f"{base}.{a.name}"
                if sub in known:
                    found.add(sub)
                elif base in known:
                    found.add(base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    found.discard(name)
    return found


def import_graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {name: imports_of(name, path, known) for name, path in mods.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of GRAPH, or None (iterative depth-first search)."""
    WHITE, GREY, BLACK = 0, 1, 2
    colour = dict.fromkeys(graph, WHITE)
    for start in sorted(graph):
        if colour[start] != WHITE:
            continue
        stack: list[tuple[str, list[str]]] = [(start, sorted(graph[start]))]
        path = [start]
        colour[start] = GREY
        while stack:
            node, todo = stack[-1]
            if not todo:
                colour[node] = BLACK
                stack.pop()
                path.pop()
                continue
            nxt = todo.pop()
            if colour.get(nxt) == GREY:
                return path[path.index(nxt):] + [nxt]
            if colour.get(nxt) == WHITE:
                colour[nxt] = GREY
                path.append(nxt)
                stack.append((nxt, sorted(graph.get(nxt, ()))))
    return None


def test_no_import_cycle() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_at_most_eight_modules_directly_in_kdb() -> None:
    top = sorted(p.name for p in (ROOT / "kdb").glob("*.py"))
    assert len(top) <= 8, top


def test_no_module_over_600_lines() -> None:
    long = {str(p.relative_to(ROOT)): n for p in modules().values()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, long


def test_only_the_ui_imports_prompt_toolkit() -> None:
    """Batch runs (-e, scripts, triage, grading) must not load the REPL."""
    offenders = []
    for name, path in modules().items():
        if name.startswith("kdb.ui."):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if any(m.split(".")[0] == "prompt_toolkit" for m in mods):
                offenders.append(name)
    assert not offenders, offenders


def test_every_module_has_a_docstring() -> None:
    missing = [n for n, p in modules().items()
               if ast.get_docstring(ast.parse(p.read_text(encoding="utf-8"))) is None]
    assert not missing, missing


# ---------------------------------------------------------------------------
# dcmd options: declared once, parsed as declared
# ---------------------------------------------------------------------------
def _bundled_dcmds() -> list:
    from kdb.modapi.registry import Registry
    reg = Registry("kernel")
    reg.load_package()
    return sorted(reg.all_dcmds(), key=lambda d: d.name)


def test_no_bundled_dcmd_parses_its_own_options() -> None:
    """Bundled dcmds get their options from their declarations, never from
    a getopts of their own or by looking at '-x' words themselves."""
    offenders = []
    for name, path in modules().items():
        if not name.startswith("kdb.dcmds") and name != "kdb.apps.exercise":
            continue
        text = path.read_text(encoding="utf-8")
        if "getopts(" in text or "options=((" in text:
            offenders.append(name)
    assert not offenders, offenders


def _outcome(dcmd_name: str, words: list[str]) -> str:
    """How the framework takes WORDS as arguments of DCMD_NAME: 'usage',
    or 'ok' with the parsed options."""
    from kdb.modapi import UsageRequest
    from kdb.engine.session import Session
    from kdb.target.base import Target
    session = Session(Target(), write=lambda t: None, write_err=lambda t: None)
    dcmd = session.registry.dcmd(dcmd_name)
    if dcmd is None:        # kernel-only: parse against a kernel registry
        dcmd = next(d for d in _bundled_dcmds() if d.name == dcmd_name)
    try:
        dcmd.parse_args(session, list(words))
    except UsageRequest:
        return "usage"
    return "ok"


def _value_for(opt) -> list[str]:
    return ["1"] if opt.takes_value else []


#: options mdb's own usage string leaves out (kept so, byte for byte):
#: genunix.c registers ::callout without -H and -Q
UNNAMED_IN_MDB_USAGE = {"callout": "HQ"}


def test_every_dcmd_parses_exactly_what_it_declares() -> None:
    """For every registered dcmd and every letter: a declared option parses,
    an undeclared one is a usage error; the usage line names each declared
    option and no other."""
    import re
    import string
    problems = []
    for d in _bundled_dcmds():
        declared = {o.letter: o for o in d.options}
        for letter in string.ascii_letters:
            o = declared.get(letter)
            words = [f"-{letter}", *(_value_for(o) if o else [])]
            got = _outcome(d.name, words)
            if o is not None and got != "ok":
                problems.append(f"::{d.name} -{letter} is declared but refused")
            if o is None and d.options and got != "usage":
                problems.append(f"::{d.name} -{letter} is not declared but accepted")
        usage = d.usage or ""
        clusters = "".join(re.findall(r"\[-([A-Za-z]+)\]", usage))
        singles = set(re.findall(r"[-/|]([A-Za-z])(?=[\s\]|]|$)", usage))
        # mdb's alternations and option pairs: [-r|n], [-T|L [-E]], -ab nsec
        singles |= set("".join(re.findall(r"-([A-Za-z]{2,}) [a-z]", usage)))
        singles |= set(UNNAMED_IN_MDB_USAGE.get(d.name, ""))
        for letter in clusters:
            if letter not in declared:
                problems.append(f"::{d.name} usage {usage!r} names -{letter}, not declared")
        for o in d.options:
            if o.letter not in clusters and o.letter not in singles:
                problems.append(f"::{d.name} usage {usage!r} does not name -{o.letter}")
        if not d.takes_operands and d.options and _outcome(d.name, ["operand"]) != "usage":
            problems.append(f"::{d.name} takes an operand its usage does not name")
    assert not problems, "\n".join(problems)


def test_docstrings_point_inside_the_repository() -> None:
    """Code points readers at docs/, not at files outside the repository
    (the team's shared reference notes); illumos source citations stay."""
    import re
    outside = re.compile(r"\.\./shared|mdb-behaviour\.md|python-notes|peers\.md|seed\.txt"
                         r"|\breference (section )?\d")
    found = [f"{name}:{i}" for name, path in modules().items()
             for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if outside.search(line)]
    assert not found, found


def test_tests_never_leave_a_process_running() -> None:
    """Every subprocess.run in the tests has a timeout (run() kills the child
    when it expires); every Popen is killed in a finally or by SIGKILL."""
    missing = []
    for path in sorted((ROOT / "tests").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "run" and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "subprocess"
                    and "timeout" not in {k.arg for k in node.keywords}):
                missing.append(f"{path.name}:{node.lineno}")
        text = path.read_text(encoding="utf-8")
        if "subprocess.Popen(" in text and ".kill()" not in text and "SIGKILL" not in text:
            missing.append(f"{path.name}: a Popen that is never killed")
    assert not missing, missing


def test_every_package_is_installed() -> None:
    """pyproject.toml lists every package under kdb/ (a package left out
    works in the editable install and is missing from a wheel)."""
    import tomllib
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "kdb").rglob("__init__.py")}
    assert found - listed == set()
