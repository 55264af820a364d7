"""kdb: a post-mortem kernel debugger speaking the illumos mdb language.

The Python API (docs/api.md) is :func:`kdb.open` and the names of
:mod:`kdb.api`, importable from here; they load on first use, so
``import kdb`` stays cheap for the CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kdb.version import __version__

if TYPE_CHECKING:
    from kdb.api import (Cpu, Dump, DumpSession, Frame, Module, Obj, Proc, Result, Sobj, StackGroup,
                         Symbol, Thread, WaitEdge, WaitGraph, Zone, open)

__all__ = ["__version__", "open", "Dump", "DumpSession", "Result", "Obj", "StackGroup", "WaitEdge", "WaitGraph",
           "Proc", "Thread", "Frame", "Cpu", "Zone", "Sobj", "Module", "Symbol"]


def __getattr__(name: str) -> Any:
    if name in __all__[1:]:
        import kdb.api
        return getattr(kdb.api, name)
    raise AttributeError(f"module 'kdb' has no attribute {name!r}")
