"""Evaluation and pipe plumbing: ``::eval``, ``::grep``, ``::map``, ``::echo``,
``::head`` and ``::walk`` (docs/language.md, "Pipelines")."""

from __future__ import annotations


from kdb.modapi import DCMD_ABORT, DCMD_USAGE, Call, Module, Opt, walk_addresses
from kdb.numbers import numtostr

module = Module("kdb", builtin=True)


def _one_string(call: Call) -> str | None:
    if len(call.args) != 1:
        return None
    a = call.args[0]
    return a if isinstance(a, str) else call.session.numfmt(a)


@module.dcmd("eval", "command", "evaluate the specified command",
             help="Run the string as debugger input, as if typed. A naked expression\n"
                  "only sets dot.")
def eval_(call: Call) -> int | None:
    text = _one_string(call)
    if text is None:
        return DCMD_USAGE
    result = call.session.run_string(text + "\n", "(string)")
    return DCMD_ABORT if result.parse_error else result.status


def _eval_dot(call: Call, text: str) -> int | None:
    """Evaluate ``text`` with dot = the call's address; return the new dot."""
    s = call.session
    s.dot = call.addr
    result = s.run_string(text + "\n", "(string)")
    new = s.dot
    s.dot = call.addr
    if result.parse_error:
        return None
    return new


@module.dcmd("grep", "?expr", "print dot if expression is true",
             help="Evaluate the expression with dot set to the address; print the\n"
                  "address if the result is non-zero. Use it as a pipeline filter:\n"
                  "  ::walk proc | ::grep '<.!=0'")
def grep(call: Call) -> int | None:
    text = _one_string(call)
    if text is None:
        return DCMD_USAGE
    value = _eval_dot(call, text)
    if value is None:
        return DCMD_ABORT
    if value:
        call.printf("%lr\n", call.addr)
    return None


@module.dcmd("map", "?expr", "print dot after evaluating expression",
             help="Evaluate the expression with dot set to the address and print the\n"
                  "resulting dot: '::walk proc | ::map .+8' maps each address.")
def map_(call: Call) -> int | None:
    text = _one_string(call)
    if text is None:
        return DCMD_USAGE
    value = _eval_dot(call, text)
    if value is None:
        return DCMD_ABORT
    call.printf("%llr\n", value)
    return None


@module.dcmd("echo", "args ...", "echo arguments")
def echo(call: Call) -> int | None:
    if call.addrspec:
        return DCMD_USAGE
    for a in call.args:
        if isinstance(a, str):
            call.printf("%s ", a)
        else:
            call.printf("%llr ", a)
    call.printf("\n")
    return None


@module.dcmd("head", "", "limit number of elements in pipe",
             help="Pass on only the first num addresses of the pipe (default 10).\n"
                  "Must be used in a pipeline.",
             options=[Opt("n", str, "number of addresses to keep (decimal)", arg="num",
                          usage="-num|-n num", numeric=True)])
def head(call: Call) -> int | None:
    # mdb_cmds.c cmd_head: the count is decimal digits, whatever the radix;
    # anything else (0x10, a, 1e) is a usage error
    if not call.piped or call.args:
        return DCMD_USAGE
    n = call.opts["n"]
    if isinstance(n, str):
        if not n.isascii() or (n and not n.isdigit()):
            return DCMD_USAGE
        n = int(n) if n else 0
    addrs = call.get_pipe()[:10 if n is None else n]
    if call.pipe_out:
        call.set_pipe(addrs)
    else:
        for a in addrs:
            call.printf("%lx\n", a)
    return None


@module.dcmd("walk", "?name [variable]", "walk data structure",
             help="Walk the data structure named by the walker, printing each\n"
                  "element's address (into a pipe: passing it on). With an address,\n"
                  "the walk starts there (a local walk). With a variable name, the\n"
                  "variable is set to each element as the next stage consumes it.")
def walk(call: Call) -> int | None:
    s = call.session
    args = call.args
    if not args or len(args) > 2 or not isinstance(args[0], str):
        return DCMD_USAGE
    name = args[0]
    var = args[1] if len(args) > 1 else None
    if var is not None and not isinstance(var, str):
        return DCMD_USAGE
    addrs = walk_addresses(s, name, call.addr if call.addrspec else None)
    # mdb_cmds.c walk_step: mdb_printf("%#lr\n", addr) (read in the file of
    # 2013, "Copyright 2013 Josef 'Jeff' Sipek"); the 2008 mdb printed
    # "%lr\n", no 0x, per the team's mdb reference (illumos #3465 changed
    # it; the index holds no earlier mdb_cmds.c to read)
    showbase = s.target.era != "opensolaris"
    fmt = "%#lr\n" if showbase else "%lr\n"
    if call.pipe_out:
        if var:
            for a in addrs:
                call.push(a, var)
        else:
            call.push_many(addrs)
    elif var or call.out.autowrap:
        for a in addrs:
            if var:
                s.vars[var] = a
            call.printf(fmt, a)
    else:
        # the same text as fmt, without mdb_printf's per-call cost
        radix = s.radix
        if radix == 16:
            lines = (("0x%x" if showbase and a > 9 else "%x") % a for a in addrs)
        else:
            lines = (numtostr(a, radix, showbase=showbase) for a in addrs)
        call.out.write_lines(lines)
    return None
