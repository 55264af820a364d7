"""Reading a stack as an expert does: function names, the panic machinery
and the sleep machinery to look past, and the frame where a panic really
happened (docs/triage.md).
"""

from __future__ import annotations

from typing import Any

from kdb.target.model import Dump, Thread

#: frames of the panic path itself: the fault is the first frame past them
PANIC_MACHINERY = frozenset({
    "vpanic", "panic", "panicsys", "die", "trap", "cmntrap", "_sys_rtt",
    "_sys_rtt_ints_disabled", "kmdb_enter", "debug_enter", "real_mode_stop_cpu_stage2"})
#: frames of going to sleep: what a blocked thread is doing is past them
SLEEP_MACHINERY = frozenset({
    "swtch", "resume", "_resume_from_idle", "cv_wait", "cv_wait_sig", "cv_timedwait",
    "cv_timedwait_sig", "cv_wait_sig_swap", "cv_wait_sig_swap_core", "cv_timedwait_hires",
    "cv_timedwait_sig_hires", "cv_waituntil_sig", "sema_p", "turnstile_block",
    "mutex_vector_enter", "rw_enter_sleep", "preempt", "thread_start", "idle",
    "disp_getwork"})


def function_name(dump: Dump, pc: int) -> str:
    """The function containing PC, or PC in hex."""
    sym = dump.symbols.containing(pc)
    return sym.name if sym else f"{pc:x}"


def function_names(dump: Dump, t: Thread) -> list[str]:
    """The functions of T's stack, innermost first."""
    return [function_name(dump, f.pc) for f in t.frames]


def meaningful(names: list[str], skip: frozenset[str]) -> list[str]:
    """NAMES without the machinery in SKIP."""
    return [n for n in names if n not in skip]


def doing(names: list[str], n: int) -> list[str]:
    """What a stack is doing, in at most N functions: past the sleep
    machinery, or (an idle thread is all machinery) the stack itself."""
    return meaningful(names, SLEEP_MACHINERY)[:n] or names[:n]


def panic_report(dump: Dump) -> dict[str, Any] | None:
    """The panic of DUMP: message, CPU, thread, its process and stack, and
    the first frame outside the panic machinery with its module; None
    without a panic."""
    p = dump.panic
    if p is None:
        return None
    t = dump.thread_by_addr.get(p.thread) if p.thread is not None else None
    names = function_names(dump, t) if t is not None else []
    fault = next((n for n in names if n not in PANIC_MACHINERY), None)
    module = None
    if t is not None and fault in names:
        sym = dump.symbols.containing(t.frames[names.index(fault)].pc)
        module = sym.module if sym is not None else None
    return {"message": p.message, "cpu": p.cpu,
            "thread": f"0x{p.thread:x}" if p.thread else None,
            "process": t.proc.comm if t is not None else None,
            "stack": names, "fault_frame": fault, "fault_module": module}
