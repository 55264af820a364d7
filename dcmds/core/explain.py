"""``::explain``: a command line explained in plain words, stage by stage.

What the address and count mean, what each dcmd does (from its registered
description and help, so every dcmd has an explanation), and what flows
through each pipe: every stage but the last is run, and the addresses it
passes on are counted and the first few shown.
"""

from __future__ import annotations

from typing import Any

from kdb.errors import ParseAbort, SyntaxFault
from kdb.modapi import DCMD_USAGE, Call, Module
from kdb.modapi.options import UsageRequest, parse
from kdb.lang.parser import Parser
from kdb.engine import pipeline
from kdb.lang.statements import FmtChar, FmtCount, FmtText, Stage

module = Module("kdb", builtin=True)
SHOW = 3


def _stage_text(stage: Stage) -> str:
    if stage.shell is not None:
        return f"! '{stage.shell}'"
    parts = []
    for a in stage.args:
        if isinstance(a, FmtChar):
            parts.append(a.char)
        elif isinstance(a, FmtCount):
            parts.append(str(a.count))
        elif isinstance(a, FmtText):
            parts.append(f'"{a.text}"')
        elif isinstance(a, int):
            parts.append(f"$[{a:#x}]")
        else:
            parts.append(str(a))
    if not parts:
        return stage.name
    if stage.name in ("=", "/", "\\", "?", "@", ">"):
        return stage.name + "".join(parts)
    return stage.name + " " + " ".join(parts)


def _help_line(stage: Stage) -> str:
    d = stage.dcmd
    if d is None:
        return ""
    if d.help:
        lines = []
        for line in d.help.strip().split("\n"):
            if not line.strip() or line.startswith("  "):
                break   # the prose ends at a blank line or an indented list
            lines.append(line)
        return " ".join(" ".join(lines).split())
    return ""


def _option_lines(stage: Stage) -> list[str]:
    """What each option given to the stage's dcmd does, from its declaration."""
    d = stage.dcmd
    if d is None or not d.options:
        return []
    try:
        values, _ = parse(d.options, stage.args, lambda v: v if isinstance(v, int) else 0, str)
    except UsageRequest:
        return []
    return [f"{'+' if o.plus and values[o.letter] is False else '-'}{o.letter}: {o.descr}."
            for o in d.options if values[o.letter] not in (None, False, 0, [])
            or (o.plus and values[o.letter] is False)]


def _items(addrs: list[int], radix_fmt: Any) -> str:
    shown = ", ".join(radix_fmt(a) for a in addrs[:SHOW])
    more = f", ... ({len(addrs)} in all)" if len(addrs) > SHOW else ""
    return shown + more


@module.dcmd("explain", "command ...", "explain a command line in plain words",
             help="Explain a command line stage by stage: the address and repeat count,\n"
                  "what each dcmd does, and what flows through each pipe (the stages\n"
                  "before the last are run to count and show the addresses they pass on).\n"
                  "It takes the rest of the line, pipes included, quoted or not:\n"
                  "  ::explain 0t100015::pid2proc | ::walk thread | ::findstack -v",
             rest_of_line=True)
def explain(call: Call) -> int | None:
    s = call.session
    if call.addrspec or not call.args:
        return DCMD_USAGE
    text = " ".join(a if isinstance(a, str) else s.numfmt(a) for a in call.args)
    saved_dot, saved_incr = s.dot, s.incr
    try:
        st = Parser(s, text).next()
    except (SyntaxFault, ParseAbort) as e:
        call.printf("%s\n  is not a valid command line: %s\n", text, e.message)
        return 1
    finally:
        s.dot, s.incr = saved_dot, saved_incr
    hexa = lambda v: f"{v:x}"  # noqa: E731
    call.printf("Command: %s\n", text)
    if st is None or st.form == "empty":
        call.printf("  nothing to run\n")
        return None
    if st.form in ("shell", "shellsrc"):
        call.printf("  runs the shell command '%s'%s\n", st.shell,
                    "; its output is then run as debugger commands" if st.form == "shellsrc" else "")
        return None
    if st.form == "naked":
        call.printf("  an expression alone: sets dot to %s (in a script or at the prompt it also\n"
                    "  re-runs the previous command at that address)\n", hexa(st.addr or 0))
        return None
    if st.addr is not None:
        call.printf("Address: %s (decimal %llu). Dot is set to it and the first stage is called\n"
                    "  with it (the DCMD_ADDRSPEC flag).\n", hexa(st.addr), st.addr)
    else:
        call.printf("Address: none given; the first stage runs without one (it may use dot, %s).\n",
                    hexa(s.dot))
    if st.count is not None:
        call.printf("Count: %d. The first stage is called %d times, dot advancing by the increment\n"
                    "  each time (DCMD_LOOP), all on one output line until the end.\n", st.count,
                    st.count)
    prev: list[int] | None = None
    n = len(st.stages)
    for i, stage in enumerate(st.stages):
        last = i == n - 1
        d = stage.dcmd
        title = d.descr if d is not None else "a shell command"
        call.printf("Stage %d: %s\n", i + 1, _stage_text(stage))
        call.printf("  %s.\n", title[:1].upper() + title[1:] if title else "")
        more = _help_line(stage)
        if stage.name == "::walk" and stage.args and isinstance(stage.args[0], str):
            w = s.registry.session_walker(s, stage.args[0])
            if w is not None:
                call.printf("  Walker %s: %s.\n", w.name, w.descr)
        if stage.name in ("=", "/", "\\", "?", "@"):
            from kdb.output.formats import FORMATS
            for a in stage.args:
                if isinstance(a, FmtChar) and a.char in FORMATS:
                    spec = FORMATS[a.char]
                    size = "" if spec.size is None else " (variable size)" if spec.size < 0 else \
                        f" ({spec.size} byte{'s' * (spec.size != 1)})"
                    call.printf("  %s: %s%s.\n", a.char, spec.descr, size)
        if more:
            for line in _wrap(more, 74):
                call.printf("  %s\n", line)
        for text in _option_lines(stage):
            for j, line in enumerate(_wrap(text, 72)):
                call.printf("  %s%s\n", "  " * (j > 0), line)
        if i == 0:
            calls = "once" if st.count is None else f"{st.count} times"
            call.printf("  Called %s%s.\n", calls, " with the address" if st.addr is not None else "")
        else:
            assert prev is not None
            call.printf("  Called once per address from stage %d (%d call%s; DCMD_PIPE, with the\n"
                        "  header printed only on the first, DCMD_LOOPFIRST).\n", i, len(prev),
                        "s" * (len(prev) != 1))
        if last:
            if st.sink:
                call.printf("  Its output goes to the shell command '%s'.\n", st.sink)
            else:
                call.printf("  Its output is printed.\n")
            break
        if stage.shell is not None:
            call.printf("  (a shell stage: not run by ::explain)\n")
            break
        try:
            addrs = pipeline.run_stage(s, st, i, prev)
        except Exception:  # explaining must never break the session
            addrs = None
        if addrs is None:
            call.printf("  (running it failed, so what it passes on is unknown)\n")
            break
        call.printf("  Passes %d address%s into the pipe (DCMD_PIPE_OUT)%s\n", len(addrs),
                    "es" * (len(addrs) != 1), ": " + _items(addrs, hexa) if addrs else ".")
        if not addrs:
            call.printf("  An empty pipe ends the pipeline: the next stage does not run.\n")
            break
        prev = addrs
    s.dot, s.incr = saved_dot, saved_incr
    return None


def _wrap(text: str, width: int) -> list[str]:
    lines, cur = [], ""
    for word in text.split():
        if cur and len(cur) + 1 + len(word) > width:
            lines.append(cur)
            cur = word
        else:
            cur = f"{cur} {word}" if cur else word
    if cur:
        lines.append(cur)
    return lines
