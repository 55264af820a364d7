"""A dump as a Python object: :func:`open` loads it as the CLI does, and
:class:`Dump` gives its model (typed views), its memory (typed objects),
its commands (:meth:`Dump.run`) and its analyses (``::stacks``'s groups,
the wait-for graph, deadlocks, the triage report)."""

from __future__ import annotations

from functools import cached_property
from typing import Any, Mapping

import attrs

from kdb.api.html import table
from kdb.api.objects import Obj
from kdb.api.run import DumpSession, Result
from kdb.api.views import Cpu, Frame, Module, Proc, Sobj, Symbol, Thread, Zone
from kdb.limits import Limits
from kdb.target import model

__all__ = ["open", "Dump", "StackGroup", "StackGroups", "WaitEdge", "WaitGraph"]


def open(dump: str, *, kmdb: bool = False, limits: "Limits | Mapping[str, int] | None" = None) -> "Dump":
    """Load DUMP (a path, or a bundled scenario's name: ``"jurassic"``).

    KMDB opens it as ``kdb -K`` does (kmdb's prompt, its stopped CPU).
    LIMITS caps the loader (kdb.limits.Limits, or a mapping of its field
    names, ``max_bytes``, ``max_depth``, ``max_string``, ``max_object``, to
    values over the environment's defaults; another name is a TypeError). Raises
    :class:`kdb.errors.KdbError` with the message the CLI prints after
    ``kdb: `` (a refused dump names the JSON path and the rule that failed:
    :class:`kdb.target.dump.DumpError`). Usable as a context manager."""
    from kdb.target.kernel import open_dump
    if limits is None or isinstance(limits, Limits):
        lim = limits if limits is not None else Limits.from_env()
    else:
        known = {attr for attr, _opt, _var in Limits.KNOBS}
        unknown = sorted(set(limits) - known)
        if unknown:
            raise TypeError(f"unknown limit {unknown[0]!r}: give any of {', '.join(sorted(known))}")
        lim = Limits.from_env(**dict(limits))
    return Dump(open_dump(dump, kmdb=kmdb, limits=lim))


@attrs.frozen(slots=True, repr=False)
class StackGroup:
    """One line of ``::stacks``: the threads sharing a state, a sync object
    type and a stack. ``frames`` are the stack's functions as ``%a`` prints
    them, innermost first; ``error`` why the stack could not be read."""

    state: str
    sobj: str
    frames: tuple[str, ...]
    threads: tuple[Thread, ...]
    error: str | None

    @property
    def count(self) -> int:
        return len(self.threads)

    def __repr__(self) -> str:
        top = ", ".join(self.frames[:3]) + (", ..." if len(self.frames) > 3 else "")
        return f"StackGroup({self.state}, {self.sobj}, count={self.count}, [{top}])"


class StackGroups(tuple[StackGroup, ...]):
    """``::stacks``'s groups (a tuple); in Jupyter, a table."""

    def _repr_html_(self) -> str:
        return table(("thread", "state", "sobj", "count", "stack"),
                     ((f"{g.threads[0].addr:x}" if g.threads else "", g.state, g.sobj, g.count,
                       " < ".join(g.frames)) for g in self))


@attrs.frozen(slots=True)
class WaitEdge:
    """A thread waiting on an object another thread holds."""

    waiter: Thread
    object: int
    object_name: str
    holder: Thread


@attrs.frozen(slots=True)
class WaitGraph:
    """Who waits for whom (kdb.analysis.locks): ``edges`` from each thread
    blocked on a held lock to its holder; ``cycles`` the deadlocks;
    ``chains`` the longest wait chains, longest first."""

    edges: tuple[WaitEdge, ...]
    cycles: tuple[tuple[Thread, ...], ...]
    chains: tuple[tuple[Thread, ...], ...]

    def _repr_html_(self) -> str:
        return table(("waiter", "waits on", "object", "held by"),
                     ((e.waiter.description, f"0x{e.object:x}", e.object_name, e.holder.description)
                      for e in self.edges))


class Dump:
    """A loaded dump. Everything it returns is read-only and derived from
    the dump, so it agrees with what the dcmds print."""

    def __init__(self, target: Any) -> None:
        self._target = target
        self._model: model.Dump = target.dump
        self._format: DumpSession | None = None
        self._pcs: dict[int, tuple[str, str | None, int, str | None]] = {}

    # -- the dump ---------------------------------------------------------
    @property
    def path(self) -> str:
        return str(self._model.path)

    @property
    def kmdb(self) -> bool:
        """Opened as kmdb (``kdb -K``)."""
        return bool(self._target.kmdb)

    @property
    def system(self) -> model.SystemInfo:
        """Node name, release, version, machine, isa, era (read-only)."""
        return self._model.system

    @property
    def panic_message(self) -> str | None:
        p = self._model.panic
        return None if p is None else p.message

    @property
    def panic_thread(self) -> Thread | None:
        p = self._model.panic
        t = None if p is None or p.thread is None else self._model.thread_by_addr.get(p.thread)
        return None if t is None else Thread(t, self)

    def close(self) -> None:
        """Drop what the dump holds (its memory images); the object is unusable after."""
        from kdb.target.dump import release_dump
        release_dump(self._model, collect=False)

    def __enter__(self) -> "Dump":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Dump({self.path!r})"

    # -- commands ---------------------------------------------------------
    def run(self, command: str) -> Result:
        """Run COMMAND as ``kdb -e COMMAND DUMP`` does, in a fresh session:
        ``.text`` is what it prints, ``.records`` what ``--format json``
        gives. For state that persists between commands, :meth:`session`."""
        return DumpSession(self).run(command)

    def session(self) -> DumpSession:
        """A stateful session: variables, dot and ``::typedef``s persist."""
        return DumpSession(self)

    # -- the model --------------------------------------------------------
    @cached_property
    def procs(self) -> tuple[Proc, ...]:
        """Every process, in the dump's order."""
        return tuple(Proc(p, self) for p in self._model.procs)

    @cached_property
    def threads(self) -> tuple[Thread, ...]:
        """Every thread, in the thread walk's order (``::walk thread``)."""
        return tuple(Thread(t, self) for t in self._model.threads)

    @cached_property
    def cpus(self) -> tuple[Cpu, ...]:
        return tuple(Cpu(c, self) for c in self._model.cpus)

    @cached_property
    def zones(self) -> tuple[Zone, ...]:
        return tuple(Zone(z, self) for z in self._model.zones)

    @cached_property
    def sobjs(self) -> tuple[Sobj, ...]:
        """The sync objects the dump declares (locks, semaphores, CVs)."""
        return tuple(Sobj(s, self) for s in self._model.sobjs)

    @cached_property
    def modules(self) -> tuple[Module, ...]:
        return tuple(Module(m, self) for m in self._model.modules)

    def proc(self, pid: int) -> Proc | None:
        """The process with PID, or None."""
        p = self._model.proc_by_pid.get(pid)
        return None if p is None else Proc(p, self)

    def thread(self, addr: int) -> Thread | None:
        """The thread at ADDR, or None."""
        t = self._model.thread_by_addr.get(addr)
        return None if t is None else Thread(t, self)

    def symbol(self, key: "str | int") -> Symbol | None:
        """A symbol by name (``"cv_wait"``, ``"genunix`cv_wait"``) or the
        one whose range holds an address; None if there is none."""
        table = self._model.symbols
        s = table.lookup(key) if isinstance(key, str) else table.containing(key)
        return None if s is None else Symbol.of(s)

    # -- memory -----------------------------------------------------------
    def read(self, addr: int, size: int) -> bytes:
        """SIZE bytes at ADDR (:class:`kdb.errors.ReadError` where the dump
        has no memory)."""
        return bytes(self._target.read(addr, size))

    def object(self, addr: int, type_name: str) -> Obj:
        """The TYPE_NAME (``"proc_t"``, ``"struct cpu"``) at ADDR; an unknown
        type raises :class:`kdb.errors.KdbError`."""
        return Obj(self, addr, self._target.types.lookup(type_name))

    # -- analyses ---------------------------------------------------------
    def stack_groups(self) -> StackGroups:
        """``::stacks``'s groups, in its order (biggest first, the panic
        thread's last)."""
        from kdb.analysis.stackgroups import group_threads
        by_addr = self._model.thread_by_addr
        return StackGroups(StackGroup("PANIC" if g.panic else g.state, g.sobj,
                                tuple(self._addr2str(pc) or f"0x{pc:x}" for pc in g.pcs),
                                tuple(Thread(by_addr[a], self) for a in g.threads), g.error)
                     for g in group_threads(self._model))

    def wait_for_graph(self) -> WaitGraph:
        """The wait-for graph of the dump's locks."""
        from kdb.analysis.locks import wait_for_graph
        g = wait_for_graph(self._model)
        by_addr = self._model.thread_by_addr

        def th(a: int) -> Thread:
            return Thread(by_addr[a], self)
        edges = tuple(WaitEdge(th(w), obj, g.names.get(obj, ""), th(h))
                      for w, (obj, h) in g.edges.items() if h in by_addr)
        return WaitGraph(edges, tuple(tuple(th(a) for a in c) for c in g.cycles()),
                         tuple(tuple(th(a) for a in c if a in by_addr) for c in g.chains(3)))

    def deadlocks(self) -> tuple[tuple[Thread, ...], ...]:
        """Each deadlock: the threads of a cycle of the wait-for graph, in
        the order the waits go."""
        return self.wait_for_graph().cycles

    def triage(self) -> dict[str, Any]:
        """The report ``kdb triage --format json`` prints for this dump (one
        entry of its ``dumps``): the kind, the panic or hang, deadlocks, wait
        chains, contention, top stacks, memory, the signature."""
        from kdb.apps.triage import analyse
        return analyse(self._model, self._target)

    # -- helpers for the views --------------------------------------------
    def _addr2str(self, addr: int) -> str | None:
        """``%a`` without the hex fallback (a session's, radix 16)."""
        if self._format is None:
            self._format = DumpSession(self)
        return self._format._session.addr2str(addr)

    def _frame(self, f: model.Frame) -> Frame:
        info = self._pcs.get(f.pc)
        if info is None:           # a pc's symbol is looked up once per dump
            s = self._model.symbols.containing(f.pc)
            info = self._pcs[f.pc] = (self._addr2str(f.pc) or f"0x{f.pc:x}", None if s is None else s.name,
                                      f.pc - s.addr if s is not None else 0, None if s is None else s.module)
        return Frame(f.pc, f.fp, f.args, *info)
