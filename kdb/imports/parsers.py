"""Which parser reads a command's output: the last pipeline stage's dcmd
names it (kdb/imports/outputs.py for processes, threads, stacks, CPUs and
the system; threadsets.py for ::thread; locks.py for sync objects;
devices.py for the device tree)."""

from __future__ import annotations

from kdb.imports import devices, locks, outputs, threadsets
from kdb.imports.outputs import Parser

#: the last pipeline stage's dcmd -> its parser
PARSERS: dict[str, Parser] = {"status": outputs.status, "ps": outputs.ps, "msgbuf": outputs.msgbuf,
                               "findstack": outputs.findstack, "threadlist": outputs.threadlist,
                               "panicinfo": outputs.panicinfo, "cpuinfo": outputs.cpuinfo,
                               "modinfo": outputs.modinfo, "stacks": outputs.stacks, "zone": outputs.zone,
                               "thread": threadsets.thread, "regs": outputs.regs,
                               "wchaninfo": locks.wchaninfo, "mutex": locks.mutex, "rwlock": locks.rwlock,
                               "prtconf": devices.prtconf}
