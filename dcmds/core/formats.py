"""The format verbs ``/ \\ ? @ =`` and ``::formats`` (docs/language.md, "Repeat counts and format characters")."""

from __future__ import annotations

from kdb.errors import CmdError, ERDONLY, ReadError
from kdb.output.formats import FORMATS, ValueReader, print_fmtlist
from kdb.modapi import DCMD_ABORT, DCMD_USAGE, STR, Call, Module
from kdb.lang.statements import FmtChar, FmtText
from kdb.target.base import MemoryReader

module = Module("kdb", builtin=True)

# --format json: what a statement's last stage printed when it made no records
# (kdb.output.structured StructuredOutput.end_call)
module.record("text", {"text": STR})

# adb's default format when none is given: X^"= "i
_DEFAULT = [FmtChar("X"), FmtChar("^"), FmtText("= "), FmtChar("i")]
_WRITE_SIZES = {"v": 1, "w": 2, "W": 4, "Z": 8, "z": 8}
_MATCH_SIZES = {"l": 2, "L": 4, "M": 8}


def _print_memory(call: Call) -> int | None:
    s = call.session
    args = call.args
    if args and isinstance(args[0], str) and len(args[0]) == 1 and args[0] in "vwzWZlLM":
        return _write_or_match(call, args[0], args[1:])
    items = args or _DEFAULT
    addr = call.addr
    out = call.out
    if call.hdrspec and not call.pipe_out:
        # mdb_cmds.c print_arglist: "ai" and "ia" (adb's disassembly
        # formats) print the address alone, with a newline after it for
        # "ai"; any other list names an exact symbol on a line of its own
        # and starts the first line with the address
        lead = "".join(i.char if isinstance(i, FmtChar) else " " for i in items[:2])
        is_dis = lead in ("ai", "ia")
        exact = s.target.lookup_by_addr(addr)
        if not is_dis and exact is not None and exact[1] == addr:
            call.printf("%s:\n", exact[0])
        call.printf({"ai": "%-#*lla\n", "ia": "%-#*lla"}.get(lead, "%-#*lla%16T"), 16, addr)
    out.set_indent(True)
    try:
        end = print_fmtlist(out, s, MemoryReader(s.target), addr, items,
                            kmdb=s.kmdb, incr=s.incr)
    finally:
        out.set_indent(False)
    s.incr = (end - addr) & ((1 << 64) - 1)
    return None


def _write_or_match(call: Call, mod: str, values: list) -> int | None:
    s = call.session
    if mod in _MATCH_SIZES:
        if not values:
            return DCMD_USAGE
        size = _MATCH_SIZES[mod]
        want = s.arg_to_int(values[0])
        mask = s.arg_to_int(values[1]) if len(values) > 1 else (1 << (8 * size)) - 1
        addr = call.addr
        try:
            while True:
                v = int.from_bytes(s.target.read(addr, size), "little")
                if v & mask == want:
                    call.printf("%lla\n", addr)
                    s.dot = addr
                    return None if call.pipe_out else DCMD_ABORT
                addr += size
        except ReadError as e:
            s.dot = addr
            raise CmdError(f"failed to read data from target: {e.reason}") from None
    if not values:
        raise CmdError(f"expected value to write following {mod}")
    size = _WRITE_SIZES[mod]
    addr = call.addr
    for v in values:
        value = s.arg_to_int(v) & ((1 << (8 * size)) - 1)
        raise CmdError(f"failed to write {value:x} at address 0x{addr:x}: {ERDONLY}")
    return None


def _print_value(call: Call) -> int | None:
    s = call.session
    if not call.args:
        raise CmdError("expected one or more format characters following '='")
    out = call.out
    out.set_indent(True)
    try:
        print_fmtlist(out, s, ValueReader(call.addr), call.addr, call.args,
                      kmdb=s.kmdb, incr=s.incr)
    finally:
        out.set_indent(False)
    s.incr = 0
    return None


module.dcmd("/", "fmt-list", "format data from virtual as")(_print_memory)
module.dcmd("\\", "fmt-list", "format data from physical as")(_print_memory)
module.dcmd("@", "fmt-list", "format data from physical as")(_print_memory)
module.dcmd("?", "fmt-list", "format data from object file")(_print_memory)
module.dcmd("=", "fmt-list", "format immediate value")(_print_value)


@module.dcmd("formats", None, "list format specifiers")
def formats(call: Call) -> int | None:
    if call.args or call.addrspec:
        return DCMD_USAGE
    for ch in sorted(FORMATS):
        spec = FORMATS[ch]
        if call.session.kmdb and ch in "Ff":
            continue
        if spec.size is None:
            size = ""
        elif spec.size < 0:
            size = " (variable size)"
        elif spec.size == 1:
            size = " (1 byte)"
        else:
            size = f" ({spec.size} bytes)"
        call.printf("%c - %s%s\n", ch, spec.descr, size)
    return None
