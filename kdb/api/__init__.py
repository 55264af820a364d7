"""kdb's Python API: a dump as a Python object (docs/api.md).

    import kdb
    with kdb.open("jurassic") as d:
        print(d.run("::ps").text)                   # exactly what kdb -e prints
        for t in d.threads:
            if any(f.function == "cv_wait" for f in t.stack):
                print(t.description)

:func:`open` loads a dump; :class:`Dump` gives its model (:class:`Proc`,
:class:`Thread`, :class:`Cpu`, :class:`Zone`, :class:`Sobj`,
:class:`Module`, :class:`Symbol`, :class:`Frame`), typed memory
(:class:`Obj`), commands (:class:`Result`, :class:`DumpSession`) and
analyses (:class:`StackGroup`, :class:`WaitGraph`). The stability promise
is in docs/api.md.
"""

from kdb.api.dump import Dump, StackGroup, WaitEdge, WaitGraph, open
from kdb.api.objects import Obj
from kdb.api.run import DumpSession, Result
from kdb.api.views import Cpu, Frame, Module, Proc, Sobj, Symbol, Thread, Zone

__all__ = ["open", "Dump", "DumpSession", "Result", "Obj", "StackGroup", "WaitEdge", "WaitGraph",
           "Proc", "Thread", "Frame", "Cpu", "Zone", "Sobj", "Module", "Symbol"]
