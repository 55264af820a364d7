"""``kdb check DUMP...``: validate dumps without opening a session.

Prints one line per dump: ``DUMP: ok (...)`` or ``DUMP: $.path: rule``.
Exit status: 0 when every dump is valid, 1 when some are not, 2 for usage.
"""

from __future__ import annotations

import sys
from typing import Sequence

from kdb.errors import KdbError


def main(argv: Sequence[str]) -> int:
    from kdb.target.kernel import KernelTarget, resolve_dump_path
    from kdb.limits import OPTIONS_USAGE, Limits, take_option
    from kdb.target.dump import load_dump
    usage = f"usage: kdb check {OPTIONS_USAGE} DUMP...\n"
    args, specs = list(argv), []
    given: dict[str, int] = {}
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
            specs.append(args[i])
        i += took or 1
    if not specs:
        sys.stderr.write(usage)
        return 2
    limits = Limits.from_env(**given)
    bad = 0
    for spec in specs:
        try:
            path = resolve_dump_path(spec)
            d = load_dump(path, limits=limits)
            KernelTarget(d)          # types, objects and memory are checked as they are laid out
        except KdbError as e:
            bad += 1
            text = str(e)
            if not text.startswith(spec) and not text.startswith(getattr(e, "file", None) or "\0"):
                text = f"{spec}: {text}"
            sys.stdout.write(f"{text}\n")
            continue
        kind = "panic" if d.panic else "hang/live" if d.system.dump == "live" else "crash"
        sys.stdout.write(f"{spec}: ok ({d.system.nodename}, {kind}, {len(d.procs)} processes, "
                         f"{len(d.threads)} threads, {len(d.cpus)} CPUs)\n")
    return 1 if bad else 0
