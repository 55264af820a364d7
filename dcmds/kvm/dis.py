"""``::dis``: disassemble the dump's machine code (mdb_cmds.c cmd_dis).

A function's code is bytes the dump carries in ``memory`` at the
function's address; a function without them gives libdisasm_read's
``failed to read instruction at ADDR``.
"""

from __future__ import annotations

from kdb.errors import CmdError, ReadError
from kdb.modapi import ADDR, DCMD_USAGE, STR, Call, Module, Opt
from kdb.target.disasm import previns, unreadable

module = Module("kdb", targets=("kernel",), builtin=True)

# records (--format json; docs/json-output.md)
module.record("instruction", {"addr": ADDR, "symbol": STR, "text": STR})

_HELP = ("Disassemble the function at the address (or named by the operand)\n"
         "from its first instruction to its end; an address inside a function\n"
         "shows a window of instructions before and after it, the one at the\n"
         "address in bold. Without an address, the instructions from dot.")


def _target_addr(call: Call) -> int:
    """dis_str2addr: a number, or a symbol's value; else dot."""
    if not call.args:
        return call.addr
    arg = call.args[0]
    if not isinstance(arg, str):
        return call.session.arg_to_int(arg)
    if arg[:1].isdigit():
        return call.session.arg_to_int(arg)
    value = call.target.lookup_by_name(arg)
    if value is None:
        raise CmdError(f"symbol '{arg}' not found")
    return value


@module.dcmd("dis", "?[addr]", "disassemble near addr", help=_HELP,
             options=[Opt("a", bool, "print addresses as numbers, not symbols"),
                      Opt("b", bool, "print both the address and the symbol"),
                      Opt("f", bool, "read from the object file (here: the dump's memory)"),
                      Opt("w", bool, "show a window around the address, even at a function's start"),
                      Opt("n", int, "instructions before and after the address (10)", arg="cnt")])
def dis(call: Call) -> int | None:
    if len(call.args) > 1 or (call.args and isinstance(call.args[0], str)
                              and call.args[0].startswith("-")):
        return DCMD_USAGE
    target = call.target
    if target.disassembler() is None:
        raise CmdError("failed to disassemble instruction: operation not supported by target")
    addr = _target_addr(call)
    window = bool(call.opts["w"])
    eaddr = 0
    if not window and (call.args or call.addrspec):
        sym = call.target.dump.symbols.containing(addr)
        if sym is not None and sym.addr == addr and sym.kind == "func":
            if sym.size:
                eaddr = addr + sym.size
        else:
            window = True
    if call.loop:                        # window mode makes no sense in a loop
        window = False
    n = call.opts["n"]
    if n is not None:
        eaddr = 0
    else:
        n = 10
    s = call.session

    def line(pc: int, text: str, bold: bool = False) -> None:
        call.emit("instruction", {"addr": pc, "symbol": s.addr2str(pc) or "", "text": text},
                  lambda c, r: _print(c, pc, text, bold))

    def one(pc: int) -> tuple[str, int]:
        try:
            return target.ins2str(pc, s)
        except ReadError as e:
            raise CmdError(unreadable(e)) from None

    if not window:
        left = n + 1
        while (eaddr == 0 and left > 0) or addr < eaddr:
            left -= 1
            text, naddr = one(addr)
            line(addr, text)
            addr = naddr
    else:
        arch = target.disassembler()
        assert arch is not None
        holder = call.target.dump.symbols.containing(addr)
        start = previns(arch, target.read, s, holder.addr if holder else None, addr, n)
        while start < addr:
            text, naddr = one(start)
            line(start, text)
            start = naddr
        text, naddr = one(addr)
        line(addr, text, bold=True)
        addr = naddr
        for _ in range(n):
            text, naddr = one(addr)
            line(addr, text)
            addr = naddr
    s.dot = addr
    return None


def _print(call: Call, pc: int, text: str, bold: bool = False) -> None:
    """One line: ``%-#32a%8T%s``, ``-a`` ``%-#32p%8T%s``, ``-b``
    ``%-#?p  %-#32a%8T%s`` (cmd_dis); the window's own line in bold."""
    if bold:
        call.printf("%<b>")
    if call.opts["a"]:
        call.printf("%-#32p%8T%s", pc, text)
    elif call.opts["b"]:
        call.printf("%-#?p  %-#32a%8T%s", pc, pc, text)
    else:
        call.printf("%-#32a%8T%s", pc, text)
    if bold:
        call.printf("%</b>")
    call.printf("\n")
