"""Help and introspection: ``::help``, ``::dcmds``, ``::walkers``, ``::dmods``,
``::which``/``::whence`` and ``::version`` (docs/language.md, "Getting help")."""

from __future__ import annotations

import re
from typing import Sequence

from kdb.version import __version__
from kdb.errors import CmdError
from kdb.modapi import DCMD_USAGE, Call, Dcmd, Module, Opt, Walker

module = Module("kdb", builtin=True)

HELP_TEXT = """
Each debugger command in {p} is structured as follows:

      [ address [, count]] verb [ arguments ... ]
             ^       ^      ^      ^
 the start --+       |      |      +-- arguments are strings which can be
 address can be an   |      |          quoted using "" or '' or
 expression          |      |          expressions enclosed in $[ ]
                     |      |
 the repeat count  --+      +--------- the verb is a name which begins
 is also an expression                 with either $, :, or ::.  it can also
                                       be a format specifier (/ \\ ? or =)

For information on debugger commands (dcmds) and walkers, type:

      ::help cmdname ... for more detailed information on a command
      ::dcmds        ... for a list of dcmds and their descriptions
      ::walkers      ... for a list of walkers and their descriptions
      ::dmods -l     ... for a list of modules and their dcmds and walkers
      ::formats      ... for a list of format characters for / \\ ? and =

For information on command-line options, type:

      $ {p} -?      ... in your shell for a complete list of options

"""


def _heading(call: Call, text: str) -> None:
    call.printf("%<b>%s%</b>\n", text)


@module.dcmd("help", "[cmd]", "list commands/command help")
def help_(call: Call) -> int | None:
    s = call.session
    if call.addrspec or len(call.args) > 1:
        return DCMD_USAGE
    if not call.args:
        call.write(HELP_TEXT.format(p=s.pname))
        return None
    name = str(call.args[0])
    bare = name[2:] if name.startswith("::") else name
    dcmd = s.registry.dcmd(bare)
    if dcmd is None:
        raise CmdError(f"unknown command: {name}")
    mod = dcmd.module
    call.write("\n")
    _heading(call, "NAME")
    call.printf("  %s - %s\n\n", dcmd.name, dcmd.descr)
    _heading(call, "SYNOPSIS")
    call.printf("  %s\n\n", dcmd.synopsis)
    text = dcmd.full_help
    if text:
        _heading(call, "DESCRIPTION")
        for line in text.rstrip("\n").split("\n"):
            call.write(("  " + line if line else "") + "\n")
        call.write("\n")
    _heading(call, "ATTRIBUTES")
    call.write("\n")
    call.printf("  Target: %s\n", s.target.name)
    call.printf("  Module: %s\n", mod.name if mod else s.pname)
    call.printf("  Interface Stability: %s\n\n",
                "Evolving" if mod is None or mod.builtin else "Unstable")
    return None


def _listing(call: Call, items: list, what: str) -> int | None:
    s = call.session
    rest = call.args
    if call.addrspec or len(rest) > 1:
        return DCMD_USAGE
    pattern = None
    if rest:
        text = str(rest[0])
        if s.kmdb:
            pattern = lambda t: text in t  # noqa: E731 - kmdb: substring match
        else:
            try:
                rx = re.compile(text)
            except re.error:
                raise CmdError(f"failed to compile regular expression '{text}'") from None
            pattern = lambda t: rx.search(t) is not None  # noqa: E731
    for item in sorted(items, key=lambda i: i.name.encode()):
        if not item.descr:
            continue
        if pattern and not (pattern(item.name) or (not call.opts["n"] and pattern(item.descr))):
            continue
        call.printf("%-24s - %s\n", item.name, item.descr)
    return None


NAMES_ONLY = Opt("n", bool, "match the pattern against names only")


@module.dcmd("dcmds", "[{options} pattern]", "list available debugger commands",
             help="List the dcmds, with their descriptions. With a pattern, only\n"
                  "those whose name or (without -n) description matches the\n"
                  "extended regular expression (kmdb: the substring).",
             options=[NAMES_ONLY])
def dcmds(call: Call) -> int | None:
    return _listing(call, list(call.session.registry.all_dcmds()), "dcmd")


@module.dcmd("walkers", "[{options} pattern]", "list available walkers",
             help="List the walkers, with their descriptions. With a pattern, only\n"
                  "those whose name or (without -n) description matches.",
             options=[NAMES_ONLY])
def walkers(call: Call) -> int | None:
    return _listing(call, call.session.registry.session_walkers(call.session), "walker")


@module.dcmd("dmods", "[mod]", "list loaded debugger modules",
             options=[Opt("l", bool, "list each module's dcmds and walkers")])
def dmods(call: Call) -> int | None:
    opts, rest = call.opts, call.args
    if call.addrspec or len(rest) > 1:
        return DCMD_USAGE
    reg = call.session.registry
    names = sorted(reg.modules, key=str.encode)
    if rest:
        names = [n for n in names if n == str(rest[0])]
    for name in names:
        mod = reg.modules[name]
        if not opts["l"]:
            call.printf("%s\n", name)
            continue
        call.printf("%<u>%-70s%</u>\n", name)
        for d in sorted(mod.dcmds, key=lambda d: d.name.encode()):
            call.printf("  dcmd %-20s - %s\n", d.name, d.descr)
        for w in sorted(mod.walkers, key=lambda w: w.name.encode()):
            call.printf("  walk %-20s - %s\n", w.name, w.descr)
    return None


def _which(call: Call) -> int | None:
    opts, rest = call.opts, call.args
    if call.addrspec or not rest:
        return DCMD_USAGE
    reg = call.session.registry
    failed = False
    for arg in rest:
        name = str(arg)
        bare = name[2:] if name.startswith("::") else name
        dcmds = reg.dcmd_definitions(bare)
        walkers = reg.walker_definitions(bare)
        if not dcmds and not walkers:
            call.warn(f"{name} is not a dcmd or walker")
            failed = True
            continue
        found: tuple[tuple[str, Sequence[Dcmd | Walker]], ...] = (("dcmd", dcmds), ("walk", walkers))
        for kind, defs in found:
            if not defs:
                continue
            top = defs[0]
            mod = top.module
            if mod is None or mod.builtin:
                call.printf("%s is a built-in %s\n", bare, kind)
            else:
                call.printf("%s is a %s from %s\n", bare, kind, mod.name)
            if opts["v"]:
                call.printf("   >  definition list:\n")
                for i, defn in enumerate(defs, 1):
                    call.printf("  [%d] %s`%s\n", i, defn.module.name if defn.module else "kdb", defn.name)
    return 1 if failed else None


WHICH_OPTS = [Opt("v", bool, "list every definition")]
module.dcmd("which", "name ...", "show dcmd/walker definitions", options=WHICH_OPTS)(_which)
module.dcmd("whence", "name ...", "show dcmd/walker definitions", options=WHICH_OPTS)(_which)


@module.dcmd("version", None, "print debugger version string")
def version(call: Call) -> int | None:
    if call.args or call.addrspec:
        return DCMD_USAGE
    call.printf("%s %s\n", call.session.pname, __version__)
    return None
