"""A capture: the text of an mdb session as people paste it, cut into
commands and their output.

Recognised forms (docs/import.md):

* mdb's prompt, ``> CMD``, and kmdb's, ``[N]> CMD`` (N: the CPU kmdb
  stopped on); the output runs to the next prompt (or shell line); kmdb's
  banner (``kmdb: target stopped at:`` and the instruction) says where;
* a shell line that feeds mdb: ``# echo '::ps' | mdb -k``, ``$ echo
  "::status; ::stack" | mdb -k unix.0 vmcore.0``, ``mdb -k <<EOF`` with
  the commands on the lines up to ``EOF`` (their outputs follow in order,
  a pipeline's ``;`` separated commands concatenated: kdb cannot split
  them and imports such a block only when it holds one command);
* ``mdb -ke 'CMD'`` (``-k -e``, ``-e`` with a dump's files); shell prompts
  with a user and host (``[root@nuc ~]#``, ``root@host:~#``, ``bash-3.2#``);
  a shell line that does not run mdb ends the command before it and its
  output is noise;
* the ``mdb: ...`` and ``kdb: ...`` warnings are output of the command
  before them.

Anything else before the first command is noise, reported with its line
number, never fatal.
"""

from __future__ import annotations

import re

import attrs

PROMPT = re.compile(r"^(?:\[(?P<cpu>\d+)\])?> ?(?P<cmd>\S.*)$")
#: kmdb's banner on entry: "kmdb: target stopped at:" then "SYM+OFF:  INSTR"
STOPPED = "kmdb: target stopped at:"
STOPPED_AT = re.compile(r"^(?P<pc>[\w`.]+(?:\+0x[0-9a-f]+)?):\s+(?P<instr>\S.*)$")
#: a shell prompt: ``# ``, ``$ ``, ``% ``, after ``[root@nuc ~]``, ``root@host:~``, ``bash-3.2``...
SHELL = r"(?:\[[^\]]*\] ?|[\w.-]+(?:@[\w.-]+)?(?::[^\s#$%]*)? ?)?[#$%](?: +|$)"
SHELL_ECHO = re.compile(SHELL + r"""echo +(?P<q>['"])(?P<cmds>.*)(?P=q) *\| *mdb\b.*$""")
#: mdb -ke 'CMDS', mdb -k -e "CMDS", mdb -e 'CMDS' unix.0 vmcore.0
SHELL_E = re.compile(SHELL + r"""mdb\b[^'"]*?-\w*e *(?:(?P<q>['"])(?P<cmds>.*)(?P=q)[^'"]*|(?P<bare>[^\s'"]+)(?: [^'"]*)?)$""")
HEREDOC = re.compile(r"^(?:" + SHELL + r")? *mdb\b[^<]*<< *['\"]?(?P<tag>\w+)['\"]? *$")
#: any other shell line (a prompt with a host, or ``# cmd``, ``$ cmd``, a bare
#: ``#``): it ends the command before it
OTHER_SHELL = re.compile(r"^(?:(?:\[[^\]]*\] ?|[\w.-]+(?:@[\w.-]+)?(?::[^\s#$%]*)? ?)[#$%](?: |$)|[#$%](?: \S|$))")


@attrs.define(slots=True)
class Block:
    """One command of the capture and what it printed."""

    command: str
    output: list[str]
    line: int                  # the command's line number (1-based)
    cpu: int | None = None     # kmdb's prompt [N]>: the CPU it stopped on


@attrs.define(slots=True)
class Split:
    blocks: list[Block]
    noise: list[tuple[int, str]]       # (line number, why it was skipped)
    stopped: tuple[str, str, int] | None = None   # kmdb's banner: (pc, instruction, line)


def _one(cmds: list[str], n: int, what: str, blocks: list[Block], noise: list[tuple[int, str]]) -> Block | None:
    """The block of a shell line's or here-document's one command; several
    commands' outputs run together and cannot be told apart."""
    if len(cmds) == 1:
        blocks.append(Block(cmds[0], [], n))
        return blocks[-1]
    noise.append((n, f"{len(cmds)} commands in one {what}: their outputs cannot be told apart "
                     "(give one command per mdb run)"))
    return None


def split(text: str) -> Split:
    lines = text.splitlines()
    blocks: list[Block] = []
    noise: list[tuple[int, str]] = []
    current: Block | None = None
    stopped: tuple[str, str, int] | None = None
    shell = 0                           # the line of the last shell command that was not mdb
    i = 0
    while i < len(lines):
        line = lines[i].rstrip("\r")
        n = i + 1
        m = PROMPT.match(line)
        e = SHELL_ECHO.match(line) or SHELL_E.match(line)
        h = HEREDOC.match(line)
        if m:
            cpu = m.group("cpu")
            current = Block(m.group("cmd").strip(), [], n, None if cpu is None else int(cpu))
            blocks.append(current)
        elif line.strip() == STOPPED and i + 1 < len(lines) and STOPPED_AT.match(lines[i + 1].strip()):
            at = STOPPED_AT.match(lines[i + 1].strip())
            assert at is not None
            stopped = (at.group("pc"), at.group("instr"), n)
            current = None
            i += 2
            continue
        elif e:
            cmds = [c.strip() for c in (e.groupdict().get("bare") or e.group("cmds")).replace("\\n", ";").split(";") if c.strip()]
            current = _one(cmds, n, "shell line", blocks, noise)
        elif h:
            tag, body = h.group("tag"), []
            i += 1
            while i < len(lines) and lines[i].strip() != tag:
                body.append(lines[i].strip())
                i += 1
            current = _one([c for c in body if c], n, "here-document", blocks, noise)
        elif OTHER_SHELL.match(line.rstrip()):
            current, shell = None, n
            noise.append((n, "a shell command, not mdb's"))
        elif current is not None:
            current.output.append(line)
        elif line.strip() and shell:
            noise.append((n, f"output of the shell command at line {shell}"))
        elif line.strip():
            noise.append((n, "text before any command (not after an mdb prompt or shell line)"))
        i += 1
    for b in blocks:                    # a capture often ends with a bare prompt or blank lines
        while b.output and not b.output[-1].strip():
            b.output.pop()
    return Split(blocks, noise, stopped)
