"""The model as the Python API shows it: read-only, typed views of a dump's
processes, threads, CPUs, zones, sync objects, modules and symbols.

Each view wraps one entity of the loaded dump (kdb.target.model) and the
:class:`~kdb.api.dump.Dump` it belongs to; what it returns is derived from
that entity, never copied, so a view and every dcmd agree (a thread's wait
channel is the one ``::thread -b`` prints). Views compare equal when they
name the same entity of the same dump.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from kdb.analysis.locks import holder, lock_waiters, sleepers
from kdb.analysis.threads import describe
from kdb.target import model

if TYPE_CHECKING:
    from kdb.api.dump import Dump

__all__ = ["Frame", "Symbol", "Proc", "Thread", "Cpu", "Zone", "Sobj", "Module"]


@attrs.frozen(slots=True, repr=False)
class Frame:
    """One frame of a stack, innermost first.

    ``symbol`` is the pc as mdb's ``%a`` prints it (``cv_wait+0x70``, or
    ``0x...`` where no symbol holds it); ``function`` and ``offset`` split
    it; ``module`` is the module whose symbol table holds the function."""

    pc: int
    fp: int | None
    args: tuple[int, ...]
    symbol: str
    function: str | None
    offset: int
    module: str | None

    def __str__(self) -> str:
        return self.symbol

    def __repr__(self) -> str:
        fp = "None" if self.fp is None else f"0x{self.fp:x}"
        return f"Frame({self.symbol}, pc=0x{self.pc:x}, fp={fp}, args=[{', '.join(f'0x{a:x}' for a in self.args)}])"


@attrs.frozen(slots=True, repr=False)
class Symbol:
    """A kernel symbol: ``kind`` is ``func`` or ``object``; ``synthetic``
    when the dump did not declare it (kdb sized it to the offsets its stacks
    use)."""

    name: str
    addr: int
    size: int
    kind: str
    module: str
    synthetic: bool

    @classmethod
    def of(cls, s: model.Symbol) -> "Symbol":
        return cls(s.name, s.addr, s.size, s.kind, s.module, s.synthetic)

    def __repr__(self) -> str:
        return f"Symbol({self.module}`{self.name}, addr=0x{self.addr:x}, size=0x{self.size:x}, {self.kind})"


@attrs.frozen(slots=True, eq=False)
class _View:
    _obj: Any = attrs.field(repr=False)
    _dump: "Dump" = attrs.field(repr=False)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other._obj is self._obj

    def __hash__(self) -> int:
        return id(self._obj)


class Proc(_View):
    """A process (``proc_t``)."""

    __slots__ = ()

    @property
    def addr(self) -> int:
        return int(self._obj.addr)

    @property
    def pid(self) -> int:
        return int(self._obj.pid)

    @property
    def ppid(self) -> int:
        return int(self._obj.ppid)

    @property
    def comm(self) -> str:
        """``p_user.u_comm``: what ``::ps`` prints without -f."""
        return str(self._obj.comm)

    @property
    def psargs(self) -> str:
        """``p_user.u_psargs``: what ``::ps -f`` prints."""
        return str(self._obj.psargs)

    @property
    def state(self) -> str:
        """``run``, ``sleep``, ``zomb``, ``stop``, ``idle``, ``onproc``..."""
        return str(self._obj.state)

    @property
    def uid(self) -> int:
        return int(self._obj.uid)

    @property
    def zone(self) -> "Zone | None":
        z = self._obj.zone
        return None if z is None else Zone(z, self._dump)

    @property
    def parent(self) -> "Proc | None":
        p = self._dump._model.proc_by_pid.get(self._obj.ppid)
        return None if p is None or p is self._obj else Proc(p, self._dump)

    @property
    def threads(self) -> tuple["Thread", ...]:
        """Its threads in the thread walk's order."""
        return tuple(Thread(t, self._dump) for t in self._obj.threads)

    def __repr__(self) -> str:
        return f"Proc(pid={self.pid}, comm={self.comm!r}, addr=0x{self.addr:x})"


class Thread(_View):
    """A kernel thread (``kthread_t``)."""

    __slots__ = ()

    @property
    def addr(self) -> int:
        return int(self._obj.addr)

    @property
    def proc(self) -> Proc:
        return Proc(self._obj.proc, self._dump)

    @property
    def tid(self) -> int:
        """Its LWP id (0 for a kernel thread)."""
        return int(self._obj.tid)

    @property
    def state(self) -> str:
        """``sleep``, ``run``, ``onproc``, ``zomb``, ``stop``, ``free``, ``wait``."""
        return str(self._obj.state)

    @property
    def description(self) -> str:
        """What ``::findstack`` and ``::threadlist`` call it: ``comm/tid``, a
        kernel thread's name, ``tq:QUEUE`` or ``start()``."""
        return describe(self._dump._model, self._obj, self._dump._addr2str)

    @property
    def pri(self) -> int:
        return int(self._obj.pri)

    @property
    def wchan(self) -> int | None:
        """``t_wchan``: what it sleeps on (None when not asleep on anything)."""
        w = self._obj.wchan
        return None if w is None else int(w)

    @property
    def sobj_type(self) -> str | None:
        """The type of what it blocks on: ``mutex``, ``rwlock``, ``cv``,
        ``sema``, ``shuttle``, ``user``, ``user_pi``."""
        return self._obj.sobj_type

    @property
    def blocked_on(self) -> "Sobj | None":
        """The sync object it sleeps on, when the dump declares it (a lock
        with its owner, a semaphore with its count); None otherwise."""
        if self.state != "sleep":
            return None
        a = self._obj.sobj_addr
        so = None if a is None else self._dump._model.sobj_by_addr.get(a)
        return None if so is None else Sobj(so, self._dump)

    @property
    def cpu(self) -> "Cpu | None":
        """The CPU it runs on (or is queued on), if any."""
        c = self._obj.cpu
        cpu = None if c is None else self._dump._model.cpu_by_id.get(c)
        return None if cpu is None else Cpu(cpu, self._dump)

    @property
    def stack(self) -> tuple[Frame, ...]:
        """Its frames, innermost first, as ``$C`` prints them."""
        return tuple(self._dump._frame(f) for f in self._obj.frames)

    @property
    def stack_error(self) -> str | None:
        """Why its stack cannot be read (``::stacks`` prints it), if so."""
        return self._obj.stack_error

    def __repr__(self) -> str:
        return f"Thread(addr=0x{self.addr:x}, state={self.state!r}, {self.description!r})"


class Cpu(_View):
    """A CPU (``cpu_t``)."""

    __slots__ = ()

    @property
    def id(self) -> int:
        return int(self._obj.id)

    @property
    def addr(self) -> int:
        return int(self._obj.addr)

    @property
    def thread(self) -> Thread | None:
        """The thread it runs."""
        t = self._dump._model.thread_by_addr.get(self._obj.thread or 0)
        return None if t is None else Thread(t, self._dump)

    @property
    def idle(self) -> bool:
        """Whether it runs its idle thread."""
        return bool(self._obj.thread is not None and self._obj.thread == self._obj.idle_thread)

    @property
    def nrun(self) -> int:
        """Runnable threads on its dispatch queues."""
        return int(self._obj.nrun)

    def __repr__(self) -> str:
        return f"Cpu(id={self.id}, addr=0x{self.addr:x})"


class Zone(_View):
    """A zone (``zone_t``)."""

    __slots__ = ()

    @property
    def id(self) -> int:
        return int(self._obj.id)

    @property
    def name(self) -> str:
        return str(self._obj.name)

    @property
    def addr(self) -> int:
        return int(self._obj.addr)

    @property
    def status(self) -> str:
        return str(self._obj.status)

    @property
    def path(self) -> str:
        return str(self._obj.path)

    @property
    def procs(self) -> tuple[Proc, ...]:
        return tuple(Proc(p, self._dump) for p in self._dump._model.procs if p.zone is self._obj)

    def __repr__(self) -> str:
        return f"Zone(id={self.id}, name={self.name!r})"


class Sobj(_View):
    """A synchronization object the dump declares: a mutex, rwlock,
    semaphore or condition variable."""

    __slots__ = ()

    @property
    def addr(self) -> int:
        return int(self._obj.addr)

    @property
    def type(self) -> str:
        return str(self._obj.type)

    @property
    def name(self) -> str | None:
        return self._obj.name

    @property
    def holder(self) -> Thread | None:
        """A mutex's owner, an rwlock's writer (readers are not recorded)."""
        h = holder(self._obj)
        t = None if h is None else self._dump._model.thread_by_addr.get(h)
        return None if t is None else Thread(t, self._dump)

    @property
    def readers(self) -> int:
        """An rwlock's reader count."""
        return int(self._obj.readers)

    @property
    def count(self) -> int:
        """A semaphore's count."""
        return int(self._obj.count)

    @property
    def waiters(self) -> tuple[Thread, ...]:
        """The threads blocked on it, in the thread walk's order."""
        m = self._dump._model
        if self.type in ("mutex", "rwlock"):
            ts = lock_waiters(m, self.addr, self.type)
        else:
            ts = sleepers(m).get(self.addr, [])
        return tuple(Thread(t, self._dump) for t in ts)

    def __repr__(self) -> str:
        return f"Sobj(addr=0x{self.addr:x}, type={self.type!r}, name={self.name!r})"


class Module(_View):
    """A loaded kernel module (``struct modctl``)."""

    __slots__ = ()

    @property
    def id(self) -> int:
        return int(self._obj.id)

    @property
    def name(self) -> str:
        return str(self._obj.name)

    @property
    def text(self) -> int:
        return int(self._obj.text)

    @property
    def text_size(self) -> int:
        return int(self._obj.text_size)

    @property
    def description(self) -> str | None:
        return self._obj.desc

    @property
    def symbols(self) -> tuple[Symbol, ...]:
        return tuple(Symbol.of(s) for s in self._obj.symbols)

    def __repr__(self) -> str:
        return f"Module(id={self.id}, name={self.name!r})"
