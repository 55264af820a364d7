"""Variables: ``>var``, ``::vars``, ``::typeset``, ``::unset`` and ``$v``
(docs/language.md, "Variables")."""

from __future__ import annotations

from kdb.errors import CmdError
from kdb.modapi import DCMD_USAGE, Call, Module, Opt
from kdb.engine.session import READONLY_VARS

module = Module("kdb", builtin=True)

BAD_CHARS = set("#%^&*-+=,:$/\\?<>;|!`'\"[]\n\t() {}")
MAXLEN = 30
_TRUNC = {"c": 1, "1": 1, "s": 2, "2": 2, "i": 4, "4": 4, "l": 8, "8": 8}


def check_name(name: str) -> None:
    """Apply mdb's rules for variable names (strbadid, MDB_NV_NAMELEN)."""
    for ch in name:
        if ch in BAD_CHARS:
            raise CmdError(f"'{ch}' may not be used in a variable name")
    if len(name) > MAXLEN:
        raise CmdError(f"variable names may not exceed {MAXLEN} characters")


@module.dcmd(">", "variable-name", "assign variable")
def assign(call: Call) -> int | None:
    s = call.session
    args = list(call.args)
    value = call.addr
    if args and isinstance(args[0], str) and args[0].startswith("/") and args[0].endswith("/"):
        mod = args.pop(0)[1:-1]
        size = _TRUNC.get(mod)
        if size is None:
            raise CmdError(f"{mod} is not a valid // modifier")
        value &= (1 << (8 * size)) - 1
    if len(args) != 1 or not isinstance(args[0], str):
        raise CmdError("expected single variable name following '>'")
    name = args[0]
    check_name(name)
    if name in READONLY_VARS:
        raise CmdError(f"variable '{name}' is read-only")
    if name == ".":
        s.dot = value
    else:
        s.vars[name] = value
    s.incr = 0
    return None


def _print_vars(call: Call, *, nonzero: bool, tagged: bool, prefix: bool) -> None:
    s = call.session
    entries = [(".", s.dot)] + list(s.vars.items())
    for name, value in entries:
        if nonzero and value == 0:
            continue
        if tagged and name not in s.tagged:
            continue
        if prefix:
            call.printf("%#llr>%s\n", value, name)
        else:
            call.printf("%s = %llr\n", name, value)


@module.dcmd("vars", None, "print listing of variables",
             options=[Opt("n", bool, "only non-zero variables"),
                      Opt("p", bool, "print as >var assignments"),
                      Opt("t", bool, "only tagged variables")])
def vars_(call: Call) -> int | None:
    opts = call.opts
    _print_vars(call, nonzero=opts["n"], tagged=opts["t"], prefix=opts["p"])
    return None


@module.dcmd("$v", None, "print non-zero variables")
def nzvars(call: Call) -> int | None:
    if call.args:
        return DCMD_USAGE
    _print_vars(call, nonzero=True, tagged=False, prefix=False)
    return None


@module.dcmd("typeset", "var ...", "set variable attributes",
             options=[Opt("t", bool, "tag the variables (+t: untag them)", plus=True,
                          usage="[+/-t]")])
def typeset(call: Call) -> int | None:
    s = call.session
    tag: bool | None = call.opts["t"]      # -t True, +t False, neither None
    names = call.args
    if not names or not all(isinstance(a, str) for a in names):
        return DCMD_USAGE
    for name in names:
        check_name(name)
        if name in READONLY_VARS:
            raise CmdError(f"variable '{name}' is read-only")
        if name not in s.vars or call.addrspec:
            s.vars[name] = call.addr if call.addrspec else 0
        if tag is True:
            s.tagged.add(name)
        elif tag is False:
            s.tagged.discard(name)
    return None


@module.dcmd("unset", "[name ...]", "unset variables")
def unset(call: Call) -> int | None:
    s = call.session
    if call.addrspec:
        return DCMD_USAGE
    for a in call.args:
        name = str(a)
        if name in READONLY_VARS or name in ("0", "1", "2", "9", "b", "d", "e", "m", "t", "_",
                                             "hits"):
            call.warn(f"variable '{name}' may not be unset")
            continue
        s.vars.pop(name, None)
        s.tagged.discard(name)
    return None
