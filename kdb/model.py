"""The kernel dump model: typed, slotted records built by :mod:`kdb.loader`.

These mirror the sections of the dump format (``../shared/dump-format.md``):
processes with their threads and stacks, CPUs, zones, synchronisation
objects, drivers and their properties, the device tree, modules and symbols,
the message buffer, a panic and a kmdb stop. Addresses are plain ints.
Stacks stay in their raw JSON form until a command needs them
(:meth:`Thread.frames`), which keeps loading 100,000 threads cheap.
"""

from __future__ import annotations

from typing import Any, Callable

import attrs

THREAD_STATES = ("sleep", "run", "onproc", "zomb", "stopped", "wait", "free")
PROC_STATES = ("run", "sleep", "zomb", "stop", "idle", "onproc", "wait")
SOBJ_TYPES = ("mutex", "rwlock", "cv", "sema", "user", "user_pi", "shuttle")
ZONE_STATUSES = ("configured", "incomplete", "installed", "ready", "running",
                 "shutting_down", "down")

# kthread_t t_state bits (illumos thread.h)
TS_BITS = {"free": 0x00, "sleep": 0x01, "run": 0x02, "onproc": 0x04, "zomb": 0x08,
           "stopped": 0x10, "wait": 0x20}
# proc_t p_stat values (illumos proc.h)
SSTATES = {"sleep": 1, "run": 2, "zomb": 3, "stop": 4, "idle": 5, "onproc": 6, "wait": 7}
PS_CHAR = {"sleep": "S", "run": "R", "zomb": "Z", "stop": "T", "idle": "I", "onproc": "O",
           "wait": "W"}


@attrs.define(slots=True)
class Symbol:
    """A symbol of a kernel module's symbol table (or synthesized)."""

    name: str
    addr: int
    size: int
    kind: str            # "func" or "object"
    module: str
    synthetic: bool = False


@attrs.define(slots=True)
class KModule:
    """A loaded kernel module (``struct modctl``)."""

    id: int
    name: str
    text: int
    text_size: int
    data_size: int
    rev: int
    desc: str | None
    addr: int
    symbols: list[Symbol] = attrs.Factory(list)


@attrs.define(slots=True, frozen=True)
class Frame:
    """One stack frame: the frame pointer, the pc and the arguments."""

    fp: int
    pc: int
    args: tuple[int, ...] = ()


@attrs.define(slots=True, eq=False)
class Thread:
    """A kernel thread (``kthread_t``)."""

    addr: int
    proc: "Proc"
    index: int               # position in the dump's thread order
    tid: int
    lwp: int | None
    name: str | None
    start: int | None
    state: str
    flags: int
    pflags: int
    sflags: int
    pri: int
    epri: int
    pil: int
    cpu: int | None
    wchan: int | None
    sobj_type: str | None
    sobj_addr: int | None
    sp: int | None
    resume: int | None
    raw_stack: list[Any] | None
    stack_error: str | None
    _frames: tuple[Frame, ...] | None = None
    _resolver: Callable[[Any], int] | None = None

    @property
    def frames(self) -> tuple[Frame, ...]:
        """The stack, innermost first, with every pc resolved to an address."""
        if self._frames is None:
            frames = []
            raw = self.raw_stack or []
            resolve = self._resolver
            sp = self.sp or 0
            for i, f in enumerate(raw):
                if isinstance(f, str):
                    frames.append(Frame(sp + 0x40 * (i + 1), resolve(f)))  # type: ignore[misc]
                else:
                    fp = f.get("fp")
                    frames.append(Frame(
                        int(fp, 16) if isinstance(fp, str) else (fp if fp is not None else sp + 0x40 * (i + 1)),
                        resolve(f["pc"]),  # type: ignore[misc]
                        tuple(int(a, 16) if isinstance(a, str) else a for a in f.get("args") or ())))
            self._frames = tuple(frames)
        return self._frames


@attrs.define(slots=True, eq=False)
class Proc:
    """A process (``proc_t``)."""

    addr: int
    pid: int
    ppid: int
    pgid: int
    sid: int
    uid: int
    gid: int
    flags: int
    state: str
    comm: str
    psargs: str
    zone: "Zone"
    task: int
    project: int
    service: str | None
    start: str | None
    threads: list[Thread] = attrs.Factory(list)


@attrs.define(slots=True, eq=False)
class Cpu:
    """A CPU (``cpu_t``)."""

    id: int
    addr: int
    flags: int
    thread: int | None
    idle_thread: int | None
    pri: int | None
    nrun: int
    bspl: int
    runrun: bool
    kprunrun: bool
    switch_ticks: int | None
    state: tuple[str, ...]


@attrs.define(slots=True, eq=False)
class Zone:
    """A zone (``zone_t``)."""

    id: int
    name: str
    addr: int
    status: str
    path: str
    brand: str
    ip: str
    uuid: str | None
    capped_cpu: float | None


@attrs.define(slots=True, eq=False)
class Sobj:
    """A synchronisation object: mutex, rwlock, semaphore or condition variable."""

    addr: int
    type: str
    name: str | None
    kind: str | None = None          # mutex: adaptive or spin
    owner: int | None = None         # mutex owner
    minspl: int = 0
    oldspl: int = 0
    writer: int | None = None        # rwlock
    readers: int = 0
    write_wanted: bool = False
    count: int = 0                   # sema


@attrs.define(slots=True, frozen=True)
class Prop:
    """One driver property entry; ``repeat`` stands for identical neighbours."""

    name: str
    value: Any
    repeat: int = 1


@attrs.define(slots=True, eq=False)
class Major:
    """A driver's name_to_major entry and its global property list."""

    major: int
    name: str
    props: list[Prop]
    prop_base: int            # address of the first ``struct ddi_prop``
    devnames: int             # address of its ``struct devnames``

    @property
    def prop_count(self) -> int:
        return sum(p.repeat for p in self.props)


@attrs.define(slots=True, eq=False)
class DevNode:
    """A device tree node (``struct dev_info``)."""

    addr: int
    name: str
    driver: str | None
    instance: int
    major: int | None
    state: str | None
    props: dict[str, Any]
    children: list["DevNode"]
    parent: "DevNode | None" = None
    depth: int = 0


@attrs.define(slots=True, frozen=True)
class Message:
    """A message buffer line."""

    time: str | None
    text: str


@attrs.define(slots=True)
class Panic:
    message: str
    cpu: int | None
    thread: int | None
    time: str | None
    registers: list[tuple[str, int]]


@attrs.define(slots=True)
class KmdbStop:
    cpu: int
    pc: int
    instr: str


@attrs.define(slots=True)
class SystemInfo:
    nodename: str
    sysname: str = "SunOS"
    release: str = "5.11"
    version: str = "snv_89"
    machine: str = "i86pc"
    isa: str = "amd64"
    dump: str = "live"
    dump_file: str = "vmcore.0"
    image_uuid: str | None = None
    time: str | None = None
    boot_time: str | None = None
    hz: int = 100
    content: str = "kernel pages only"


@attrs.define(slots=True, eq=False)
class Dump:
    """A loaded dump with its indices."""

    path: str
    system: SystemInfo
    panic: Panic | None
    kmdb: KmdbStop | None
    modules: list[KModule]
    cpus: list[Cpu]
    zones: list[Zone]
    procs: list[Proc]
    sobjs: list[Sobj]
    majors: list[Major]
    devinfo: list[DevNode]
    msgbuf: list[Message]
    types: list[str]
    objects: list[Any]
    memory: list[Any]
    threads: list[Thread] = attrs.Factory(list)
    proc_by_addr: dict[int, Proc] = attrs.Factory(dict)
    proc_by_pid: dict[int, Proc] = attrs.Factory(dict)
    thread_by_addr: dict[int, Thread] = attrs.Factory(dict)
    cpu_by_id: dict[int, Cpu] = attrs.Factory(dict)
    cpu_by_addr: dict[int, Cpu] = attrs.Factory(dict)
    zone_by_id: dict[int, Zone] = attrs.Factory(dict)
    zone_by_addr: dict[int, Zone] = attrs.Factory(dict)
    sobj_by_addr: dict[int, Sobj] = attrs.Factory(dict)
    major_by_num: dict[int, Major] = attrs.Factory(dict)
    major_by_name: dict[str, Major] = attrs.Factory(dict)
    devnode_by_addr: dict[int, DevNode] = attrs.Factory(dict)
    symbols: "Any" = None     # kdb.symbols.SymbolTable
