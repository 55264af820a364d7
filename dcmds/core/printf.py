"""``::printf``: members of a typed structure through a printf format.

Derived line for line from mdb_print.c (illumos-gate, 2012 and later):
``cmd_printf`` validates the format with a small state machine that allows
a subset of ``mdb_printf`` (flags ``-``, ``0``, a width or ``?``, and the
conversions below), widens ``%d``-like conversions to ``%lld``, and calls
one reader per conversion (``printf_int``, ``printf_uint``,
``printf_uint32``, ``printf_ptr``, ``printf_string``, ``printf_ipv6``) on
the member named by each argument; ``.`` is dot itself. ::printf is a
built-in that exists in both eras' mdb from 2012 on; the era rule gives it
to every dump.
"""

from __future__ import annotations

from typing import Any

from . import ctfprint as cp
from .types import _type_words
from kdb.errors import CmdError, ReadError
from kdb.modapi import DCMD_ABORT, DCMD_ERR, DCMD_USAGE, Call, Module
from kdb.target.ctype import CType, Member

module = Module("kdb", builtin=True)

#: the reader of each conversion character (cmd_printf's switch)
_KIND = {"a": "ptr", "A": "ptr", "p": "ptr", "d": "int", "q": "int", "R": "int", "I": "uint32",
         "N": "ipv6", "H": "uint", "o": "uint", "r": "uint", "u": "uint", "x": "uint", "X": "uint",
         "s": "string", "Y": "uint"}
_WIDEN = set("dqRHoruxX")        # these get "ll" before the conversion

_NOFMT, _PERC, _FMT, _LEFT, _WIDTH, _QUES = range(6)

_HELP = (
    "The format string argument is a printf(3C)-like format string that is a\n"
    "subset of the format strings supported by mdb_printf().  The type argument\n"
    "is the name of a type to be used to interpret the memory referenced by dot.\n"
    "The member should either be a field in the specified structure, or the\n"
    "special member '.', denoting the value of dot (and treated as a pointer).\n"
    "The number of members must match the number of format specifiers in the\n"
    "format string.\n"
    "\n"
    "The following format specifiers are recognized by ::printf:\n"
    "\n"
    "  %%    Prints the '%' symbol.\n"
    "  %a    Prints the member in symbolic form.\n"
    "  %d    Prints the member as a decimal integer.  If the member is a signed\n"
    "        integer type, the output will be signed.\n"
    "  %H    Prints the member as a human-readable size.\n"
    "  %I    Prints the member as an IPv4 address (must be 32-bit integer type).\n"
    "  %N    Prints the member as an IPv6 address (must be of type in6_addr_t).\n"
    "  %o    Prints the member as an unsigned octal integer.\n"
    "  %p    Prints the member as a pointer, in hexadecimal.\n"
    "  %q    Prints the member in signed octal.  Honk if you ever use this!\n"
    "  %r    Prints the member as an unsigned value in the current output radix.\n"
    "  %R    Prints the member as a signed value in the current output radix.\n"
    "  %s    Prints the member as a string (requires a pointer or an array of\n"
    "        characters).\n"
    "  %u    Prints the member as an unsigned decimal integer.\n"
    "  %x    Prints the member in hexadecimal.\n"
    "  %X    Prints the member in hexadecimal, using the characters A-F as the\n"
    "        digits for the values 10-15.\n"
    "  %Y    Prints the member as a time_t as the string 'year month day HH:MM:SS'.\n"
    "\n"
    "The following field width specifiers are recognized by ::printf:\n"
    "\n"
    "  %n    Field width is set to the specified decimal value.\n"
    "  %?    Field width is set to the maximum width of a hexadecimal pointer\n"
    "        value.  This is 8 in an ILP32 environment, and 16 in an LP64\n"
    "        environment.\n"
    "\n"
    "The following flag specifers are recognized by ::printf:\n"
    "\n"
    "  %-    Left-justify the output within the specified field width.  If the\n"
    "        width of the output is less than the specified field width, the\n"
    "        output will be padded with blanks on the right-hand side.  Without\n"
    "        %-, values are right-justified by default.\n"
    "\n"
    "  %0    Zero-fill the output field if the output is right-justified and the\n"
    "        width of the output is less than the specified field width.  Without\n"
    "        %0, right-justified values are prepended with blanks in order to\n"
    "        fill the field.\n"
    "\n"
    "Examples: \n"
    "\n"
    "  ::walk proc | ::printf \"%-6d %s\\n\" proc_t p_pidp->pid_id p_user.u_psargs\n"
    "  ::walk thread | ::printf \"%?p %3d %a\\n\" kthread_t . t_pri t_startpc\n"
    "  ::walk zone | ::printf \"%-40s %20s\\n\" zone_t zone_name zone_nodename\n"
    "  ::walk ire | ::printf \"%Y %I\\n\" ire_t ire_create_time ire_u.ire4_u.ire4_addr\n")


class _Abort(Exception):
    """A reader's mdb_warn then DCMD_ABORT (or DCMD_ERR): the message is printed."""


def split_format(fmt: str) -> tuple[list[str], list[str], str]:
    """The format cut after each conversion: (pieces, reader kinds, tail).

    Each piece is the literal text before a conversion and the conversion,
    widened as mdb widens it; the tail is what follows the last one.
    """
    pieces: list[str] = []
    kinds: list[str] = []
    cur: list[str] = []
    state = _NOFMT
    for i, f in enumerate(fmt):
        if state == _NOFMT:
            state = _PERC if f == "%" else _NOFMT
        elif state == _PERC:
            state = (_LEFT if f == "-" else _WIDTH if "0" <= f <= "9" else _QUES if f == "?"
                     else _NOFMT if f == "%" else _FMT)
        elif state == _LEFT:
            state = _WIDTH if "0" <= f <= "9" else _QUES if f == "?" else _FMT
        elif state == _WIDTH:
            state = _WIDTH if "0" <= f <= "9" else _FMT
        elif state == _QUES:
            state = _FMT
        if state != _FMT:
            cur.append(f)
            continue
        kind = _KIND.get(f)
        if kind is None:
            raise CmdError(f"illegal format string at or near '{f}' (position {i + 1})")
        cur.append(("ll" if f in _WIDEN else "") + f)
        pieces.append("".join(cur))
        kinds.append(kind)
        cur = []
        state = _NOFMT
    return pieces, kinds, "".join(cur)


def _int_value(call: Call, t: CType, addr: int, m: Member | None, sign: bool) -> int:
    """printf_signed: the integer member, sign-extended when SIGN and signed."""
    r = t.resolve()
    if r.kind not in ("int", "enum"):
        raise _Abort("expected integer type")
    sign = sign and r.signed
    if m is not None and m.bit_size is not None:
        bits = m.bit_size
        v = cp.read_bits(call.session.target.read, addr, m.bit_offset, bits)
    else:
        bits = 8 * r.size
        v = int.from_bytes(_read(call, addr, r.size), "little")
    if sign and v >> (bits - 1):
        v -= 1 << bits
    return v & ((1 << 64) - 1)


def _read(call: Call, addr: int, size: int) -> bytes:
    try:
        return call.session.target.read(addr, size)
    except ReadError as e:
        raise _Abort(f"failed to read {size} bytes at {addr:x}: {e.reason}") from None


def _value(call: Call, kind: str, t: CType, addr: int, m: Member | None) -> Any:
    r = t.resolve()
    if kind in ("int", "uint"):
        return _int_value(call, t, addr, m, kind == "int")
    if kind == "uint32":
        if r.kind not in ("int", "enum") or r.size != 4:
            raise _Abort("expected 32-bit integer type")
        return int.from_bytes(_read(call, addr, 4), "little")
    if kind == "ptr":
        if r.kind != "pointer":
            raise _Abort("expected pointer type")
        return int.from_bytes(_read(call, addr, 8), "little")
    if kind == "ipv6":
        try:
            call.session.types.lookup("in6_addr_t")
        except CmdError:
            raise _Abort("could not resolve in6_addr_t type") from None
        raise _Abort("requires argument of type in6_addr_t")
    # string: a char pointer or an array of characters (printf_string)
    if r.kind == "pointer":
        p = int.from_bytes(_read(call, addr, 8), "little")
        try:
            raw = call.session.target.read_string(p, 1022)
        except ReadError:
            raise _Abort(f"failed to read string at {p:x}") from None
        return raw.decode("utf-8", "backslashreplace")
    if r.kind != "array":
        raise _Abort("exepected pointer or array type")      # mdb's spelling
    elem = r.target.resolve() if r.target is not None else None
    if elem is None or elem.size != 1:
        raise _Abort("string format specifier requires an array of characters")
    raw = _read(call, addr, min(r.count or 0, 1023))
    return raw.split(b"\0", 1)[0].decode("utf-8", "backslashreplace")


@module.dcmd("printf", "?format type member ...", "print and format the member(s) of a data structure",
             help=_HELP)
def printf(call: Call) -> int | None:
    s = call.session

    def abort(message: str) -> int:
        call.warn(message)        # mdb_warn(...); return (DCMD_ABORT): the pipeline stops
        return DCMD_ABORT

    if not call.addrspec:
        return DCMD_USAGE
    args = list(call.args)
    if not args or not isinstance(args[0], str):
        call.warn("expected a format string")
        return DCMD_USAGE
    try:
        pieces, kinds, tail = split_format(args[0])
    except CmdError as e:
        return abort(e.message)
    args = args[1:]
    if not args:
        call.warn("expected a type name")   # args_to_typename
        return DCMD_USAGE
    tname, members = _type_words(args)
    try:
        t = s.types.lookup(tname)
    except CmdError:
        return abort(f"failed to look up type {tname}: unknown type name")
    if not members:
        call.warn("at least one member must be specified")
        return DCMD_USAGE
    if len(members) != len(pieces):
        return abort(f"{'missing' if len(members) > len(pieces) else 'extra'} format specifiers "
                     f"(found {len(pieces)}, expected {len(members)})")
    for piece, kind, member in zip(pieces, kinds, members):
        if not isinstance(member, str):
            return abort("expected only type member arguments")
        if member == ".":
            if kind not in ("ptr", "uint", "int"):
                return abort("expected integer or pointer format specifier for '.'")
            call.printf(piece, s.dot)
            continue
        pa = cp.PrintArgs(s.target.read, s.target.read, s.addr2str, call.out.write, call.warn,
                          s.target.era, call.addr)
        try:
            mt, _, _, m = cp.parse_member(pa, member, t, call.warn)
        except CmdError as e:             # parse_member's complaint
            return abort(e.message)
        maddr = pa.addr
        try:
            v = _value(call, kind, mt, maddr, m)
        except _Abort as e:
            call.warn(str(e))
            call.warn(f"failed to print member '{member}'")
            return DCMD_ERR if e.args and str(e).startswith("failed to read") else DCMD_ABORT
        call.printf(piece, v)
    call.printf("%s", tail)        # mdb_printf("%s", last): the tail is not a format
    return None
