"""Helpers shared by the kernel dcmds: finding entities and printing stacks.

Not a debugger module itself (the leading underscore keeps the loader away).
"""

from __future__ import annotations

from itertools import repeat
from typing import Any, Iterable, Iterator, Mapping, TypeVar

from kdb.errors import CmdError, ReadError
from kdb.target.model import DEFAULT_RESUME, Dump, Frame, Proc, Thread, int_of
from kdb.analysis.threads import describe, is_kernel_thread
from kdb.modapi import Call, Walk
from kdb.numbers import numtostr

TS_NAMES = {"free": "TS_FREE", "sleep": "TS_SLEEP", "run": "TS_RUN", "onproc": "TS_ONPROC",
            "zomb": "TS_ZOMB", "stopped": "TS_STOPPED", "wait": "TS_WAIT"}
MDB_NARGS = 6


def kdump(call: Call | Walk) -> Dump:
    """The dump of the session's kernel target."""
    dump = call.session.target.dump
    if dump is None:
        raise CmdError("command is not supported by current target")
    return dump


T = TypeVar("T")


def entity_at(index: Mapping[int, T], addr: int, ctype: str) -> T:
    """The entity at ADDR in INDEX, or mdb's read failure for a CTYPE there."""
    x = index.get(addr)
    if x is None:
        raise CmdError(f"failed to read {ctype} at {addr:x}: no mapping for address")
    return x


def at_address_or_all(call: Call, index: Mapping[int, T], everything: list[T], ctype: str) -> list[T]:
    """A dcmd's subjects: the CTYPE at its address if it has one, else all of them."""
    return [entity_at(index, call.addr, ctype)] if call.addrspec else everything


def thread_at(dump: Dump, addr: int) -> Thread:
    return entity_at(dump.thread_by_addr, addr, "kthread_t")


def proc_at(dump: Dump, addr: int) -> Proc:
    return entity_at(dump.proc_by_addr, addr, "proc_t")


def current_thread(call: Call) -> Thread:
    t = call.session.target.current_thread()
    if t is None:
        raise CmdError("no current thread: give a thread address")
    return t


def thread_desc(call: Call, t: Thread) -> str:
    """The CMD/LWPID column of ::threadlist: comm/tid, name, or start()."""
    return describe(kdump(call), t, call.session.addr2str)


def frame_args(call: Call, f: Frame, nargs: int | None) -> str:
    args = f.args if nargs is None else f.args[:nargs]
    return ", ".join(call.session.numfmt(a) for a in args)


def print_frames(call: Call, frames: Iterable[Frame], *, with_fp: bool, nargs: int | None) -> None:
    """``$C`` (frame pointer first) or ``$c`` style frame lines.

    The lines are ``%0?lr %a(args)`` / ``%a(args)`` with arguments ``%lr``;
    without autowrap (always, for dcmd output) they are built directly.
    """
    out = call.out
    if not out.autowrap:
        s = call.session
        radix = s.radix
        a2s = s.addr2str
        num = (lambda v: "%x" % v) if radix == 16 else (lambda v: numtostr(v, radix))
        write_line = out.write_line
        for f in frames:
            sym = a2s(f.pc) or numtostr(f.pc, radix, showbase=True)
            args = f.args if nargs is None else f.args[:nargs]
            text = f"{sym}({', '.join(map(num, args))})" if args else f"{sym}()"
            if with_fp:
                fp = _padp(f.fp, radix, call.session.ptr_width)
                text = f"{fp} {text}"
            write_line(text)
        return
    printf = call.printf
    for f in frames:
        if with_fp:
            printf("%0?lr %a(%s)\n", f.fp, f.pc, frame_args(call, f, nargs))
        else:
            printf("%a(%s)\n", f.pc, frame_args(call, f, nargs))


def stack_pointer_line(call: Call, t: Thread, sp: int) -> str:
    """The first line of ::findstack, as the mdb of the dump's era prints it
    (findstack.c, ``print_stack``):

    * opensolaris (the 2008 mdb of the seed transcript):
      ``mdb_printf("stack pointer for thread %p: %p\\n", addr, sp)``;
    * illumos (findstack.c at illumos-gate 13b92338, "Copyright 2018
      Joyent" and "2025 Oxide"; the file as of "Copyright 2013 Josef
      'Jeff' Sipek" has the TS_FREE mark but no description):
      ``mdb_printf("stack pointer for thread %p%s (%s): %p\\n", addr,
      free_state ? " (TS_FREE)" : "", tdesc, sp)``, TDESC from
      ``thread_getdesc`` (::threadlist's CMD/LWPID text).
    """
    if call.session.target.era == "opensolaris":
        return f"stack pointer for thread {t.addr:x}: {sp:x}"
    free = " (TS_FREE)" if t.state == "free" else ""
    return f"stack pointer for thread {t.addr:x}{free} ({thread_desc(call, t)}): {sp:x}"


def findstack(call: Call, t: Thread, *, verbose: bool, with_fp: bool = True,
              nargs: int | None = None, command: str | None = None) -> bool:
    """::findstack (findstack.c ``print_stack``): the era's stack pointer
    line, then ``[ %0?lr %a() ]`` for the resume pc, then the frames
    indented 2 (``$C0``, or ``$C`` with -v), or COMMAND evaluated there
    instead with dot at the saved sp. False when COMMAND does not parse.
    """
    out = call.out
    sp = t.sp or 0
    if out.autowrap or command is not None:
        return _findstack_printf(call, t, sp, verbose=verbose, with_fp=with_fp, nargs=nargs,
                                 command=command)
    s = call.session
    radix = s.radix
    lines = [stack_pointer_line(call, t, sp)]
    if t.stack_error:
        lines.append(f"  {t.stack_error}")
        out.write_block(lines)
        return True
    rraw = t.resume_raw
    if rraw is None and t.state != "onproc" and (t.has_stack or t.sp_raw is not None):
        rraw = DEFAULT_RESUME
    if rraw is not None:
        cache = s.extensions.get("frame_text")
        if cache is None:
            cache = s.extensions["frame_text"] = {}
        key = (rraw, radix, "resume")
        sym = cache.get(key)
        if sym is None:
            pc = t.proc.resolver(rraw)
            sym = cache[key] = s.addr2str(pc) or numtostr(pc, radix, showbase=True)
        lines.append(f"[ {_padp(sp, radix, s.ptr_width)} {sym}() ]")
    if with_fp:
        n = None if verbose else 0
    else:
        n = nargs if nargs is not None else 0
    lines.extend(frame_lines(s, t, with_fp=with_fp, nargs=n, prefix="  "))
    out.write_block(lines)
    return True


def _padp(v: int, radix: int, width: int) -> str:
    """``%0?lr``: the value in the current radix, zero-filled to the
    pointer width (16 columns on a 64-bit kernel, 8 on a 32-bit one)."""
    return "%0*x" % (width, v) if radix == 16 else numtostr(v, radix).rjust(width, "0")


def frame_lines(s, t: Thread, *, with_fp: bool, nargs: int | None,  # noqa: ANN001
                prefix: str = "") -> list[str]:
    """The ``$C``/``$c`` lines of a thread's stack, straight from the raw frames.

    The symbolic text of a frame written as a string is memoized per session
    (a dump has a few hundred distinct frames over a million threads); a
    stack of such frames is formatted a column at a time.
    """
    radix = s.radix
    a2s = s.addr2str
    resolve = t.proc.resolver
    cache = s.extensions.get("frame_text")
    if cache is None:
        cache = s.extensions["frame_text"] = {}
    sp = t.sp or 0
    hexfp = radix == 16
    if nargs == 0:
        return _bare_frame_lines(s, t, sp, cache, with_fp, prefix)
    raw = t.raw_stack or ()
    if hexfp:
        try:
            texts = [cache[f] for f in raw]
        except (KeyError, TypeError):
            texts = None
        if texts is not None:
            if not with_fp:
                return [prefix + x for x in texts] if prefix else texts
            # every frame bare: Thread.frame_pointers() is this range, made
            # without a Python step per frame
            fps = range(sp + 0x40, sp + 0x40 * (len(raw) + 1), 0x40)
            return list(map((prefix + "%%0%dx %%s" % s.ptr_width).__mod__, zip(fps, texts)))
    out: list[str] = []
    append = out.append
    num = (lambda v: "%x" % v) if hexfp else (lambda v: numtostr(v, radix))
    width = s.ptr_width
    for f, fp in zip(raw, t.frame_pointers() if with_fp else repeat(0)):
        if f.__class__ is str or nargs == 0 or not f.args:     # type: ignore[union-attr]
            # no arguments shown: the frame is its pc's text, memoized
            pc_key = f if f.__class__ is str else f.pc          # type: ignore[union-attr]
            key = pc_key if hexfp else (pc_key, radix)
            text = cache.get(key)
            if text is None:
                pc = resolve(pc_key)
                text = cache[key] = (a2s(pc) or numtostr(pc, radix, showbase=True)) + "()"
        else:
            pc = resolve(f.pc)                                  # type: ignore[union-attr]
            shown = f.args if nargs is None else f.args[:nargs]  # type: ignore[union-attr]
            sym = a2s(pc) or numtostr(pc, radix, showbase=True)
            text = f"{sym}({', '.join([num(int_of(a)) for a in shown])})"
        if with_fp:
            append(prefix + _padp(fp, radix, width) + " " + text)
        else:
            append(prefix + text)
    return out


def _bare_frame_lines(s, t: Thread, sp: int, cache: dict[Any, str], with_fp: bool,  # noqa: ANN001
                      prefix: str) -> list[str]:
    """Frames without arguments (``$C0``, ``::findstack``): each frame is
    its pc's text (memoized) and its frame pointer, read without decoding
    the arguments (StackUnpacker.light), a column at a time."""
    radix = s.radix
    items = t.proc.unpack_stack.light(t)
    keys = [f if f.__class__ is str else f.pc for f in items]
    tkeys = keys if radix == 16 else [(k, radix) for k in keys]
    missing = [i for i, k in enumerate(tkeys) if k not in cache]
    if missing:
        resolve, a2s = t.proc.resolver, s.addr2str
        for i in missing:
            pc = resolve(keys[i])
            cache[tkeys[i]] = (a2s(pc) or numtostr(pc, radix, showbase=True)) + "()"
    texts = [cache[k] for k in tkeys]
    if not with_fp:
        return [prefix + x for x in texts] if prefix else texts
    fps = t.frame_pointers(items)
    if radix == 16:
        return list(map((prefix + "%%0%dx %%s" % s.ptr_width).__mod__, zip(fps, texts)))
    width = s.ptr_width
    return [prefix + _padp(fp, radix, width) + " " + text for fp, text in zip(fps, texts)]


def _findstack_printf(call: Call, t: Thread, sp: int, *, verbose: bool, with_fp: bool,
                      nargs: int | None, command: str | None = None) -> bool:
    """findstack through mdb_printf: for output with autowrap on, and for a
    COMMAND to evaluate instead of the frames."""
    printf = call.printf
    printf("%s\n", stack_pointer_line(call, t, sp))
    if t.stack_error:
        printf("  %s\n", t.stack_error)
        return True
    if t.resume is not None:
        printf("[ %0?lr %a() ]\n", sp, t.resume)
    with lower_indent(call, 2):
        if command is not None:
            call.session.dot = sp
            return not call.session.run_string(command + "\n", "(string)").parse_error
        if with_fp:
            print_frames(call, t.frames, with_fp=True, nargs=None if verbose else 0)
        else:
            print_frames(call, t.frames, with_fp=False, nargs=nargs if nargs is not None else 0)
    return True


def lower_indent(call: Call, n: int):
    """A context manager-like helper: indent following lines by ``n`` (mdb_inc_indent)."""
    return _Indent(call, n)


class _Indent:
    def __init__(self, call: Call, n: int) -> None:
        self.out = call.out
        self.n = n
        self.saved = (self.out.margin, self.out.indent)

    def __enter__(self) -> None:
        self.out.set_indent(False)
        self.out.margin = self.saved[0] if self.saved[1] else 0
        self.out.margin += self.n
        self.out.set_indent(True)

    def __exit__(self, *exc: object) -> None:
        self.out.set_indent(False)
        self.out.margin, ind = self.saved
        if ind:
            self.out.set_indent(True)


def fmt_age(seconds: int) -> str:
    """A compact age: 17m24s, 2h03m, 3d04h."""
    if seconds < 0:
        seconds = 0
    d, rem = divmod(seconds, 86400)
    h, rem = divmod(rem, 3600)
    m, s = divmod(rem, 60)
    if d:
        return f"{d}d{h:02d}h"
    if h:
        return f"{h}h{m:02d}m"
    if m:
        return f"{m}m{s:02d}s"
    return f"{s}s"


def stack_record(call: Call, t: Thread) -> dict[str, Any]:
    """The record of T's stack (kind ``stack``) that ::findstack emits."""
    return {"thread": t.addr, "sp": t.sp, "resume": t.resume, "error": t.stack_error,
            "frames": [{"fp": f.fp, "pc": f.pc, "func": call.session.addr2str(f.pc),
                        "args": list(f.args)} for f in t.frames]}


def read_struct(call: Call | Walk, type_name: str, addr: int, what: str) -> dict[str, Any]:
    """The members of the TYPE_NAME at ADDR, read from memory; mdb's
    "failed to read WHAT at ADDR" when it cannot be."""
    target = call.session.target
    t = target.types.lookup(type_name)
    try:
        data = target.read(addr, t.size)
    except ReadError as e:
        raise CmdError(f"failed to read {what} at {addr:x}: {e.reason}") from None
    out: dict[str, Any] = {}
    for m in t.resolve().members:
        if m.name is None:
            continue
        r = m.type.resolve()
        raw = data[m.offset:m.offset + r.size]
        if r.kind in ("int", "enum", "pointer"):
            out[m.name] = int.from_bytes(raw, "little", signed=r.kind == "int" and r.signed)
        else:
            out[m.name] = raw
    return out


def follow(call: Call | Walk, first: int, type_name: str, link: str, what: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """A linked list read as mdb walks one: from FIRST along LINK (each
    element read as TYPE_NAME by :func:`read_struct`), to a NULL link or
    an element met before; (address, members) of each."""
    addr, seen = first, set()
    while addr and addr not in seen:
        seen.add(addr)
        obj = read_struct(call, type_name, addr, what)
        yield addr, obj
        addr = obj[link]


def stack_active(t: Any, addr: int) -> str:
    """kmem.c stack_active: where ADDR lies against the thread's sp."""
    if t.state == "free":
        return " (inactive interrupt thread)"
    if t.sp is None or addr >= t.sp:
        return ""
    return " (possibly below sp)" if t.state == "onproc" else " (below sp)"


def whatis_head(era: str, addr: int, base: int) -> str:
    """The head of a whatis report of ADDR inside an object at BASE:
    mdb_whatis_report_object (mdb_whatis.c, illumos) prints "%p is " when
    they are equal and "%p is %p+%p, " otherwise. The 2008 form, "%p is
    %p+%p, " always, is the fidelity issue's reading of the kmem.c of that
    time, which the index does not hold."""
    if addr == base and era != "opensolaris":
        return f"{addr:x} is "
    return f"{addr:x} is {base:x}+{addr - base:x}, "
