"""``kdb check [--strict] DUMP|DIR...``: validate dumps without opening a session.

Prints one line per dump: ``DUMP: ok (...)``, or every independent error,
each ``DUMP: $.path: rule`` with a ``fix:`` line under it. A dump that
loads gets warnings first for what is probably wrong
(``DUMP: warning: $.path: ...``).
A directory stands for its ``*.json`` files.

Exit status: 0 when every dump is valid, 1 when some are not (or, with
``--strict``, have warnings), 2 for usage.
"""

from __future__ import annotations

import sys
from typing import Sequence

from kdb.errors import KdbError
from kdb.limits import Limits
from kdb.target.model import Dump


def main(argv: Sequence[str]) -> int:
    from kdb.limits import OPTIONS_USAGE, take_option
    usage = f"usage: kdb check [--strict] {OPTIONS_USAGE} DUMP|DIR...\n"
    args, specs = list(argv), []
    given: dict[str, int] = {}
    strict = False
    if args and args[0] in ("-h", "--help", "-?"):
        sys.stdout.write(usage)
        return 0
    i = 0
    while i < len(args):
        try:
            took = take_option(args, i, given)
        except ValueError as e:
            sys.stderr.write(f"kdb: {args[i]}: {e}\n{usage}")
            return 2
        if not took:
            a = args[i]
            if a == "--strict":
                strict = True
            elif a.startswith("-") and a != "-":
                sys.stderr.write(f"kdb check: unknown option {a!r}\n{usage}")
                return 2
            else:
                specs.append(a)
        i += took or 1
    if not specs:
        sys.stderr.write(usage)
        return 2
    from kdb.target.kernel import dump_files
    try:
        files = dump_files(specs)
    except KdbError as e:
        sys.stderr.write(f"kdb check: {e}\n")
        return 1
    limits = Limits.from_env(**given)
    bad = sum(not check_one(f, limits, strict) for f in files)
    return 1 if bad else 0


def check_one(spec: str, limits: Limits, strict: bool) -> bool:
    """Check one dump and print what was found; True when it passes."""
    from kdb.target.dump import build_dump, load_dump
    from kdb.target.dump.lint import all_errors, suggest, warnings
    from kdb.target.dump.load import parse_json, read_dump_bytes
    from kdb.target.kernel import lay_out, resolve_dump_path

    def report(text: str, rule: str | None) -> None:
        if not text.startswith(spec):
            text = f"{spec}: {text}"
        sys.stdout.write(f"{text}\n")
        fix = suggest(rule) if rule else None
        if fix:
            sys.stdout.write(f"  fix: {fix}\n")

    try:
        path = resolve_dump_path(spec)
        d = load_dump(path, limits=limits)
        lay_out(d, limits=limits)  # types, objects and memory are checked as they are laid out
    except KdbError as first:
        rule = getattr(first, "rule", None)
        try:
            path = resolve_dump_path(spec)
            data = parse_json(read_dump_bytes(path, limits.max_bytes), path)
        except KdbError:
            report(str(first), rule)             # not even JSON: the one error there is
            return False
        errors, _ = all_errors(data, lambda x: _laid_out(build_dump(x, path, limits, freeze=False),
                                                         limits))
        if not errors:                           # only the typed pass objected
            errors = [first]                     # type: ignore[list-item]
        for e in errors:
            report(str(e), e.rule)
        # warnings wait for a dump that loads: paths in the pruned one would mislead
        return False
    found = warnings(d)
    for where, what in found:
        sys.stdout.write(f"{spec}: warning: {where}: {what}\n")
    kind = "panic" if d.panic else "hang/live" if d.system.dump == "live" else "crash"
    sys.stdout.write(f"{spec}: ok ({d.system.nodename}, {kind}, {len(d.procs)} processes, "
                     f"{len(d.threads)} threads, {len(d.cpus)} CPUs)\n")
    return not (strict and found)


def _laid_out(d: Dump, limits: Limits) -> Dump:
    """A built dump whose types, objects and memory are laid out too."""
    from kdb.target.kernel import lay_out
    lay_out(d, limits=limits)
    return d
