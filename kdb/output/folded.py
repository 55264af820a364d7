"""Folded stacks: ``kdb --format folded -e '::stacks' DUMP``.

One line per distinct stack, ``outer;...;inner COUNT``, the format
flamegraph.pl, speedscope and inferno read. Each frame is
``module`function`` (offsets dropped, so one function is one box);
a pc no symbol holds is its address. A command line gives threads either
as ``::stacks``'s groups (its records) or as thread addresses, one per
line, which is what a pipeline that ends in threads prints (``::walk
thread``, ``::pgrep sshd | ::walk thread``); the counts sum to the
threads it names. Anything else is an error, in mdb's form, on stderr.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, Callable, Iterable

#: a line of a thread-address listing (``%#lr`` or ``%lr``)
ADDR_LINE = re.compile(r"^(?:0x)?([0-9a-fA-F]{1,16})$")
NO_STACK = "[no stack]"


def frame_name(dump: Any, pc: int) -> str:
    """``module`function`` of PC, or its address."""
    s = dump.symbols.containing(pc)
    return f"{s.module}`{s.name}" if s is not None else f"0x{pc:x}"


def fold(dump: Any, threads: Iterable[int]) -> Counter[str]:
    """The folded stacks of THREADS (addresses of the dump's threads).
    Threads are keyed on their stacks as written (not decoded: decoding
    100,000 stacks takes seconds), each distinct stack folded once."""
    by_addr = dump.thread_by_addr
    cache: dict[Any, str] = {}
    out: Counter[str] = Counter()
    for a in threads:
        t = by_addr[a]
        raw = (t.proc.unpack_stack.pcs(t), id(t.proc.resolver))
        key = cache.get(raw)
        if key is None:
            names = [frame_name(dump, f.pc) for f in t.frames]
            key = cache[raw] = ";".join(reversed(names)) or NO_STACK
        out[key] += 1
    return out


def render(folded: Counter[str]) -> str:
    """The lines, biggest first, then by stack."""
    return "".join(f"{k} {n}\n" for k, n in sorted(folded.items(), key=lambda kv: (-kv[1], kv[0])))


class FoldedOutput:
    """The session's collector under ``--format folded``: a command's
    ``stack_group`` records, else its text as thread addresses, folded
    when the command line ends (kdb.output.structured's protocol)."""

    def __init__(self, dump: Any, write: Callable[[str], None], warn: Callable[[str], None]) -> None:
        self.dump = dump
        self.write = write
        self.warn = warn
        self.records: list[dict[str, Any]] = []
        self.text: list[str] = []
        self.errors: list[str] = []

    def record(self, dcmd: str, kind: str, record: dict[str, Any]) -> None:
        self.records.append({"kind": kind, **record})

    def capture(self, text: str) -> None:
        self.text.append(text)

    def begin_call(self) -> tuple[int, int]:
        return len(self.records), len(self.text)

    def end_call(self, dcmd: str, mark: tuple[int, int]) -> None:
        pass

    def error(self, message: str) -> None:
        self.errors.append(message)
        self.warn(message)

    def finish(self, command: str, status: int) -> bool:
        """Print the command line's folded stacks; False when it gave
        neither threads nor stack groups (the line fails)."""
        records, text = self.records, "".join(self.text)
        self.records, self.text = [], []
        groups = [r for r in records if r["kind"] == "stack_group"]
        if groups:
            threads = [a for g in groups for a in g["threads"]]
        elif records:
            self.warn(f"--format folded: {command.strip()!r} gives no threads or stack groups")
            return False
        else:
            threads = []
            for line in text.splitlines():
                m = ADDR_LINE.match(line.strip())
                a = int(m.group(1), 16) if m else None
                if a is None or a not in self.dump.thread_by_addr:
                    if line.strip():
                        self.warn(f"--format folded: {line.strip()[:40]!r} is not a thread address")
                        return False
                    continue
                threads.append(a)
        if threads:
            self.write(render(fold(self.dump, threads)))
        return status == 0 or bool(threads)


def install(session: Any) -> bool:
    """Switch SESSION to folded output; False when its target has no dump."""
    dump = getattr(session.target, "dump", None)
    if dump is None:
        return False
    fo = FoldedOutput(dump, session._write, lambda m: session._write_err(f"{session.pname}: {m}\n"))
    session.record_sink = fo.record
    session.out.sink = fo.capture
    session.structured = fo
    return True
