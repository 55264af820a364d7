"""``$c``, ``$C`` and ``::stack``: stack backtraces (mdb's kvm target,
kvm_stack/kvm_stackv/kvm_stackr in mdb_kvm.c and the amd64 frame walker)."""

from __future__ import annotations

from kdb.errors import CmdError
from kdb.modapi import DCMD_USAGE, Call, Module
from kdb.target.model import Frame, Thread

from .._kernel import MDB_NARGS, current_thread, kdump, print_frames

module = Module("kdb", targets=("kernel",), builtin=True)


def _frames_for(call: Call) -> tuple[Thread | None, list[Frame]]:
    """The frames $c starts from: a thread, a frame pointer inside one, or the current thread."""
    dump = kdump(call)
    if not call.addrspec:
        cur = current_thread(call)
        return cur, list(cur.frames)
    found = dump.thread_by_addr.get(call.addr)
    if found is not None:
        return found, list(found.frames)
    # a frame pointer: the frame saved at it (as mdb_amd64util.c walks
    # %rbp), so a thread's saved sp gives its whole stack ("<.$C0" in
    # ::findstack) and a frame's fp the frames outside it
    for t in dump.threads:
        if t.has_stack and t.sp is not None and t.sp <= call.addr:
            if t.sp == call.addr:
                return t, list(t.frames)
            frames = list(t.frames)
            for i, f in enumerate(frames):
                if f.fp == call.addr:
                    return t, frames[i + 1:]
    raise CmdError(f"failed to read frame at {call.addr:x}: no mapping for address")


def _stack_dcmd(call: Call, with_fp: bool) -> int | None:
    if len(call.args) > 1:
        return DCMD_USAGE
    nargs: int | None = MDB_NARGS if not with_fp else None
    if call.args:
        nargs = call.session.arg_to_int(call.args[0])
    t, frames = _frames_for(call)
    if t is not None and t.stack_error and not frames:
        raise CmdError(f"failed to read stack of thread {t.addr:x}: {t.stack_error}")
    call.emit("stack", lambda: {"thread": t.addr if t else None,
                         "frames": [{"fp": f.fp, "pc": f.pc, "args": list(f.args)}
                                           for f in frames]},
              lambda c, r: print_frames(c, frames, with_fp=with_fp, nargs=nargs))
    return None


@module.dcmd("$c", "?[cnt]", "print stack backtrace",
             help="Print the stack of the thread at the address (or of the panic or\n"
                  "kmdb thread), one frame a line with at most cnt arguments (6).")
def stack_c(call: Call) -> int | None:
    return _stack_dcmd(call, with_fp=False)


@module.dcmd("$C", "?[cnt]", "print stack backtrace",
             help="Like $c, with each frame's frame pointer first and all arguments.")
def stack_cc(call: Call) -> int | None:
    return _stack_dcmd(call, with_fp=True)


@module.dcmd("stack", "?[cnt]", "print stack backtrace",
             help="The same as $c.")
def stack_(call: Call) -> int | None:
    return _stack_dcmd(call, with_fp=False)
