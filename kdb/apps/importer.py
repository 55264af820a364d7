"""``kdb import CAPTURE... -o DUMP``: the text of mdb sessions (captures)
turned into a dump (docs/import.md). Commands kdb cannot read and lines it
does not recognise are reported with their line numbers and skipped; two
lines that contradict each other are refused, naming both.

Exit status: 0 written, 1 refused (a contradiction, nothing importable),
2 usage."""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from kdb.imports.assemble import assemble
from kdb.imports.capture import split
from kdb.imports.facts import Contradiction, Facts
from kdb.imports.outputs import current_stack
from kdb.imports.parsers import PARSERS

USAGE = "usage: kdb import CAPTURE... -o DUMP\n"
MAX_CAPTURE = 64 << 20
#: the last stage of a command line: [addr]::dcmd [options]
STAGE = re.compile(r"^(?:[0-9A-Za-z`_.+]*)?::(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<rest>.*)$")
#: a pipeline that starts at one process: 0tPID::pid2proc | ::walk thread | ...
PID2PROC = re.compile(r"^(?P<pid>0t\d+|0x[0-9a-fA-F]+|[0-9a-fA-F]+)::pid2proc *\| *::walk +thread *\|")
#: $C, $c and ::stack, with an optional thread address
DOLLAR = re.compile(r"^(?P<addr>(?:0x)?[0-9a-fA-F]+)?(?:\$(?P<which>[Cc])\d*|::stack)$")


def import_text(texts: list[tuple[str, str]]) -> tuple[dict[str, Any], list[str]]:
    """(dump, report lines) from (file name, text) captures."""
    facts = Facts()
    report: list[str] = []
    used = 0
    for name, text in texts:
        cut = split(text)
        for n, why in cut.noise:
            report.append(f"{name}:{n}: skipped: {why}")
        if cut.stopped is not None:
            pc, instr, n = cut.stopped
            facts.system.put("kmdb_pc", pc, n)
            facts.system.put("kmdb_instr", instr, n)
        for b in cut.blocks:
            stage = b.command.split("|")[-1].strip()
            m = STAGE.match(stage)
            parser = PARSERS.get(m.group("name")) if m else None
            d = DOLLAR.match(stage) if "|" not in b.command else None
            options = m.group("rest") if m else ""
            if b.cpu is not None:
                facts.system.put("kmdb_cpu", b.cpu, b.line)
            if stage in ("$r", "::regs"):
                # a crash dump's: the registers panic saved; kmdb's: its CPU's
                parser, options = PARSERS["regs"], "" if b.cpu is None else f"kmdb:{b.cpu}"
            if d is not None:
                parser = current_stack
                addr = (d.group("addr") or "").lower().removeprefix("0x")
                options = ("C" if d.group("which") == "C" else "c") + (f":{addr}" if addr else "")
            if parser is None:
                report.append(f"{name}:{b.line}: skipped: kdb does not import the output of {b.command!r}")
                continue
            problems: list[tuple[int, str]] = []
            before = set(facts.threads)
            try:
                parser(facts, b.output, b.line, problems, options)
            except Contradiction as e:
                raise Contradiction(f"{name}: {e.what}", (0, ""), (0, "")) from e
            used += 1
            report += [f"{name}:{n}: skipped: {why}" for n, why in problems]
            p2p = PID2PROC.match(b.command.strip())
            if p2p is not None:             # the threads of that one process
                raw = p2p.group("pid")
                pid = int(raw[2:]) if raw.startswith("0t") else int(raw.removeprefix("0x"), 16)
                for a in set(facts.threads) - before:
                    facts.threads[a].put("pid", pid, b.line)
    if not used:
        raise ValueError("nothing to import: no command whose output kdb reads")
    dump = assemble(facts)
    report += [f"note: {n}" for n in facts.notes]
    return dump, report


def main(argv: list[str]) -> int:
    files: list[str] = []
    out: str | None = None
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("-o", "--output"):
            if i + 1 >= len(argv):
                sys.stderr.write("kdb import: -o needs a file\n" + USAGE)
                return 2
            out, i = argv[i + 1], i + 2
            continue
        if a.startswith("-") and a != "-":
            sys.stderr.write(f"kdb import: unknown option {a}\n" + USAGE)
            return 2
        files.append(a)
        i += 1
    if not files or out is None:
        sys.stderr.write(USAGE)
        return 2
    texts = []
    for f in files:
        try:
            if f == "-":
                raw = sys.stdin.buffer.read(MAX_CAPTURE + 1)
            else:
                with open(f, "rb") as fh:
                    raw = fh.read(MAX_CAPTURE + 1)
        except OSError as e:
            sys.stderr.write(f"kdb import: {f}: {e.strerror or e}\n")
            return 1
        if len(raw) > MAX_CAPTURE:
            sys.stderr.write(f"kdb import: {f}: larger than {MAX_CAPTURE >> 20} MB\n")
            return 1
        texts.append((f, raw.decode("utf-8", "replace")))
    try:
        dump, report = import_text(texts)
    except Contradiction as e:
        cause = e.__cause__ if isinstance(e.__cause__, Contradiction) else e
        sys.stderr.write(f"kdb import: refused: {str(e).split(':', 1)[0]}: {cause}\n")
        return 1
    except ValueError as e:
        sys.stderr.write(f"kdb import: {e}\n")
        return 1
    from kdb.target.dump import DumpError, build_dump
    try:
        build_dump(json.loads(json.dumps(dump)), out)
    except DumpError as e:
        sys.stderr.write(f"kdb import: the capture makes no valid dump: {e}\n")
        return 1
    for line in report:
        sys.stderr.write(line + "\n")
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(dump, fh, indent=1)
        fh.write("\n")
    return 0
