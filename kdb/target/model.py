"""The kernel dump model: typed, slotted records built by :mod:`kdb.target.dump.load`.

These mirror the sections of the dump format (docs/dump-format.md):
processes with their threads and stacks, CPUs, zones, synchronisation
objects, drivers and their properties, the device tree, modules and symbols,
the message buffer, a panic and a kmdb stop. Addresses are plain ints.
Stacks stay in their raw JSON form until a command needs them
(:meth:`Thread.frames`), which keeps loading 100,000 threads cheap.
"""

from __future__ import annotations

from typing import Annotated, Any, Iterator, Literal, Union

import attrs
import msgspec

THREAD_STATES = ("sleep", "run", "onproc", "zomb", "stopped", "wait", "free")
PROC_STATES = ("run", "sleep", "zomb", "stop", "idle", "onproc", "wait")
SOBJ_TYPES = ("mutex", "rwlock", "cv", "sema", "user", "user_pi", "shuttle")
ZONE_STATUSES = ("configured", "incomplete", "installed", "ready", "running",
                 "shutting_down", "down")

# kthread_t t_state bits (illumos thread.h)
TS_BITS = {"free": 0x00, "sleep": 0x01, "run": 0x02, "onproc": 0x04, "zomb": 0x08, "stopped": 0x10, "wait": 0x20}
# proc_t p_stat values (illumos proc.h)
SSTATES = {"sleep": 1, "run": 2, "zomb": 3, "stop": 4, "idle": 5, "onproc": 6, "wait": 7}
PS_CHAR = {"sleep": "S", "run": "R", "zomb": "Z", "stop": "T", "idle": "I", "onproc": "O", "wait": "W"}


#: each sync object type's ops vector (sobj.c sobj_types[]): a blocked thread's t_sobj_ops
SOBJ_OPS = {"mutex": "mutex_sobj_ops", "rwlock": "rw_sobj_ops", "cv": "cv_sobj_ops",
            "sema": "sema_sobj_ops", "user": "lwp_sobj_ops", "user_pi": "lwp_sobj_pi_ops",
            "shuttle": "shuttle_sobj_ops"}

#: attrs metadata of a model field that kdb derives, not a key of the dump
#: format (the loader's key checks come from the other fields)
DERIVED = {"kdb": "derived"}


@attrs.define(slots=True)
class Symbol:
    """A symbol of a kernel module's symbol table (or synthesized)."""

    name: str
    addr: int
    size: int
    kind: str            # "func" or "object"
    module: str = attrs.field(metadata=DERIVED)           # the module whose table holds it
    synthetic: bool = attrs.field(default=False, metadata=DERIVED)


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
    addr: int = attrs.field(metadata=DERIVED)             # its struct modctl
    symbols: list[Symbol] = attrs.Factory(list)


@attrs.define(slots=True, frozen=True)
class Frame:
    """One stack frame: the frame pointer, the pc and the arguments."""

    fp: int
    pc: int
    args: tuple[int, ...] = ()


# Processes and threads are the bulk of a dump (a million threads at the top
# end): msgspec Structs decoded from the JSON in C, untracked by the collector,
# validated for types, enums, ranges and unknown keys while decoding; a stack
# stays JSON text until asked for. A raw field that needs interpreting is kept
# as ``*_raw``; the loader fills in the plain name (encoded ``@kdb:name``, a
# key the loader refuses in a dump).
DEFAULT_RESUME = "_resume_from_idle+0xf1"
MAX_SAFE = (1 << 53) - 1
# an address: an integer up to 2^53-1 (checked by the decoder), or "0x" and
# 1 to 16 hex digits (checked by the loader a column at a time)
Addr = Union[Annotated[int, msgspec.Meta(ge=0, le=MAX_SAFE)], str]
Loc = Union[Annotated[int, msgspec.Meta(ge=0, le=MAX_SAFE)], str]
U16 = Annotated[int, msgspec.Meta(ge=0, le=0xFFFF)]
U32 = Annotated[int, msgspec.Meta(ge=0, le=0xFFFFFFFF)]
NonNeg = Annotated[int, msgspec.Meta(ge=0)]
Pri = Annotated[int, msgspec.Meta(ge=-1, le=255)]
Pil = Annotated[int, msgspec.Meta(ge=0, le=15)]
ThreadState = Literal["sleep", "run", "onproc", "zomb", "stopped", "wait", "free"]
ProcState = Literal["run", "sleep", "zomb", "stop", "idle", "onproc", "wait"]
SobjType = Literal["mutex", "rwlock", "cv", "sema", "user", "user_pi", "shuttle"]


def int_of(v: Any) -> Any:
    """An address already checked by the loader, as an int (None stays None)."""
    if v is None or v.__class__ is int:
        return v
    return int(v[2:], 16)


class RawFrame(msgspec.Struct, forbid_unknown_fields=True, gc=False, eq=False, omit_defaults=True):
    """A stack frame written as an object: ``{pc, fp, args}``."""

    pc: Loc
    fp: Union[Addr, None] = None
    args: list[Addr] = []


#: a thread's ``stack`` when the dump gives none
NO_STACK = msgspec.Raw(b"null")


class SobjRef(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """What a thread blocks on: ``{type, addr}``."""

    type: SobjType
    addr: Addr


class Thread(msgspec.Struct, forbid_unknown_fields=True, gc=False, kw_only=True, eq=False, omit_defaults=True):
    """A kernel thread (``kthread_t``)."""

    addr_raw: Addr = msgspec.field(name="addr")
    state: ThreadState
    tid: Annotated[int, msgspec.Meta(ge=0, le=1 << 31)] = 0
    lwp_raw: Union[Addr, None] = msgspec.field(name="lwp", default=None)
    name: Union[str, None] = None
    start_raw: Union[Loc, None] = msgspec.field(name="start", default=None)
    flags: U16 = 0
    pflags: U16 = 0
    sflags: U16 = 0
    pri: Pri = 60
    epri: Pri = 0
    pil: Pil = 0
    cpu: Union[NonNeg, None] = None
    wchan_raw: Union[Addr, None] = msgspec.field(name="wchan", default=None)
    sobj: Union[SobjRef, None] = None
    sp_raw: Union[Addr, None] = msgspec.field(name="sp", default=None)
    resume_raw: Union[Loc, None] = msgspec.field(name="resume", default=None)
    #: the stack as the dump wrote it (JSON text, checked at load; see raw_stack)
    stack_json: msgspec.Raw = msgspec.field(name="stack", default=NO_STACK)
    stack_error: Union[str, None] = None
    # filled in by the loader
    addr: int = msgspec.field(name="@kdb:addr", default=0)
    proc: Any = msgspec.field(name="@kdb:proc", default=None)
    frames_cache: Any = msgspec.field(name="@kdb:frames", default=None)
    ts: int = msgspec.field(name="@kdb:ts", default=0)          # its turnstile (blocking.py)
    tsq: int = msgspec.field(name="@kdb:tsq", default=0)        # its turnstile queue (blocking.py)
    has_stack: bool = msgspec.field(name="@kdb:has_stack", default=False)
    stack_items: Any = msgspec.field(name="@kdb:stack", default=None)

    @property
    def raw_stack(self) -> "list[Union[str, RawFrame]] | tuple[()]":
        """The frames as written (location strings or :class:`RawFrame`), innermost
        first, blocking frames' arguments filled in (kdb.target.dump.blocking);
        empty for none. Decoded from :attr:`stack_json` when first asked for."""
        s = self.stack_items
        if s is None:
            s = self.stack_items = self.proc.unpack_stack(self) if self.has_stack else ()
        return s

    @property
    def start(self) -> int | None:
        """The pc the thread started at (kernel threads)."""
        r = self.start_raw
        return None if r is None else self.proc.resolver(r)

    @property
    def resume(self) -> int | None:
        """The pc shown in findstack's first line (defaults for threads off CPU)."""
        r = self.resume_raw
        if r is None:
            if self.state == "onproc" or (not self.has_stack and self.sp_raw is None):
                return None
            r = DEFAULT_RESUME
        return self.proc.resolver(r)

    @property
    def lwp(self) -> int | None:
        return int_of(self.lwp_raw)

    @property
    def sp(self) -> int | None:
        return int_of(self.sp_raw)

    @property
    def wchan(self) -> int | None:
        return int_of(self.wchan_raw)

    @property
    def sobj_type(self) -> str | None:
        return self.sobj.type if self.sobj is not None else None

    @property
    def sobj_addr(self) -> int | None:
        return int_of(self.sobj.addr) if self.sobj is not None else None

    @property
    def frames(self) -> tuple["Frame", ...]:
        """The stack, innermost first, with every pc resolved to an address."""
        if self.frames_cache is None:
            resolve = self.proc.resolver
            raw = self.raw_stack or ()
            self.frames_cache = tuple(
                Frame(fp, resolve(f)) if isinstance(f, str)
                else Frame(fp, resolve(f.pc), tuple(int_of(a) for a in f.args))
                for f, fp in zip(raw, self.frame_pointers()))
        return self.frames_cache

    def stack_bounds(self) -> tuple[int, int] | None:
        """``(t_stkbase, t_stk)``: the thread's kernel stack, STACK_SIZE
        bytes ending a little (0x100, 16-byte aligned) above its outermost
        frame; lower when the frames reach below. None without a saved sp."""
        sp = self.sp
        if sp is None:
            return None
        top = (max([sp, *self.frame_pointers()]) + 0x100 + 0xF) & ~0xF
        return min(sp, top - STACK_SIZE), top

    def frame_pointers(self, items: Any = None) -> list[int]:
        """Each frame's frame pointer, innermost first, without resolving a pc: a
        frame with no ``fp`` sits 0x40 bytes above the one inside it, from the
        saved ``sp``. Read without the arguments, or from ITEMS (decoded)."""
        sp = self.sp or 0
        if items is None:
            items = self.proc.unpack_stack.light(self) if self.has_stack else ()
        return [sp + 0x40 * (i + 1) if f.__class__ is str or f.fp is None else int_of(f.fp)
                for i, f in enumerate(items)]


class Proc(msgspec.Struct, forbid_unknown_fields=True, gc=False, kw_only=True, eq=False, omit_defaults=True):
    """A process (``proc_t``)."""

    addr_raw: Addr = msgspec.field(name="addr")
    pid: NonNeg
    comm: str
    ppid: NonNeg = 0
    pgid_raw: Union[NonNeg, None] = msgspec.field(name="pgid", default=None)
    sid_raw: Union[NonNeg, None] = msgspec.field(name="sid", default=None)
    uid: NonNeg = 0
    gid: NonNeg = 0
    flags: U32 = 0
    state_raw: Union[ProcState, None] = msgspec.field(name="state", default=None)
    psargs_raw: Union[str, None] = msgspec.field(name="psargs", default=None)
    zone_raw: Union[NonNeg, str] = msgspec.field(name="zone", default=0)
    task: NonNeg = 0
    project: NonNeg = 0
    service: Union[str, None] = None
    start: Union[str, None] = None
    threads: list[Thread] = []
    # filled in by the loader
    addr: int = msgspec.field(name="@kdb:addr", default=0)
    pgid: int = msgspec.field(name="@kdb:pgid", default=0)
    sid: int = msgspec.field(name="@kdb:sid", default=0)
    state: str = msgspec.field(name="@kdb:state", default="run")
    psargs: str = msgspec.field(name="@kdb:psargs", default="")
    zone: Any = msgspec.field(name="@kdb:zone", default=None)
    resolver: Any = msgspec.field(name="@kdb:resolver", default=None)
    #: decodes a thread's stack (``Thread.raw_stack``; kdb.target.dump.blocking)
    unpack_stack: Any = msgspec.field(name="@kdb:unpack_stack", default=None)

    @property
    def tlist(self) -> list[Thread]:
        """The threads on the process's thread list (p_tlist, t_forw): what
        ``ADDR::walk thread`` and ``::ps -t`` visit. Every thread of a
        process but the free ones (lwp_exit took them off; they wait on
        lwp_deathrow), except for p0 (sched): t0 alone, as mlsetup links it;
        the kernel's other threads belong to p0 but are on no process's
        list, only on the global one (allthreads, ``::walk thread``)."""
        if self.pid == 0:
            return self.threads[:1]
        return [t for t in self.threads if t.state != "free"]


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
    registers: list[tuple[str, int]] = attrs.Factory(list)   # saved on entry to kmdb


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
    refs: int = 1          # zone_ref: holds on the zone (::zone -r REFS)
    cred_refs: int = 0     # zone_cred_ref: credentials that name it (CREFS)


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
    prop_base: int = attrs.field(metadata=DERIVED)   # address of the first ``struct ddi_prop``
    devnames: int = attrs.field(metadata=DERIVED)    # address of its ``struct devnames``

    @property
    def prop_count(self) -> int:
        return sum(p.repeat for p in self.props)

    def entries(self) -> Iterator[tuple[str, Any]]:
        """(name, value) of every entry of the list, repeats expanded."""
        for p in self.props:
            for _ in range(p.repeat):
                yield p.name, p.value


#: a kernel thread's stack size (amd64 DEFAULTSTKSZ, 5 pages)
STACK_SIZE = 0x5000

#: the dump's device node states and the ``ddi_node_state_t`` each stands
#: for (sys/ddi_impldefs.h: DS_PROTO 0, DS_LINKED, DS_BOUND, DS_INITIALIZED,
#: DS_PROBED, DS_ATTACHED, DS_READY 6). ``attached`` is a node whose driver
#: attached and finished (DS_READY): the transitional DS_ATTACHED is not a
#: state a dump records. ``online`` is DS_READY too; ``offline`` is a node
#: taken offline, detached to DS_INITIALIZED with DEVI_DEVICE_OFFLINE set.
DEV_STATES = {"proto": 0, "linked": 1, "bound": 2, "initialized": 3, "probed": 4,
              "attached": 6, "ready": 6, "online": 6, "offline": 3}
DS_INITIALIZED = 3
DS_ATTACHED = 5


@attrs.define(slots=True, eq=False)
class DevNode:
    """A device tree node (``struct dev_info``)."""

    addr: int
    name: str
    driver: str | None
    instance: int
    major: int | None
    state: str | None
    props: dict[str, Any]            # driver properties (devi_drv_prop_ptr)
    children: list["DevNode"]
    hw_props: dict[str, Any] = attrs.Factory(dict)    # devi_hw_prop_ptr
    sys_props: dict[str, Any] = attrs.Factory(dict)   # devi_sys_prop_ptr
    unit_address: str | None = None   # devi_addr: ``::devinfo -s`` prints NAME@UNIT
    refcnt: int = 0                   # devi_ref: opens of the device
    parent: "DevNode | None" = attrs.field(default=None, metadata=DERIVED)
    depth: int = attrs.field(default=0, metadata=DERIVED)
    #: addresses of the first ``struct ddi_prop`` of the system, driver and
    #: hardware property lists (0 for an empty list)
    prop_lists: tuple[int, int, int] = attrs.field(default=(0, 0, 0), metadata=DERIVED)

    @property
    def node_state(self) -> int:
        """The node's ``ddi_node_state_t`` (DS_PROTO 0 ... DS_READY 6)."""
        return DEV_STATES[self.state or "bound"]

    @property
    def offline(self) -> bool:
        """DEVI_DEVICE_OFFLINE in devi_state."""
        return self.state == "offline"

    def prop_list(self, which: str) -> dict[str, Any]:
        """The ``system``, ``driver`` or ``hardware`` property list."""
        return {"system": self.sys_props, "driver": self.props, "hardware": self.hw_props}[which]


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
    domain: bool = False        # a Xen domain image (no dump header)

    @property
    def ptr_width(self) -> int:
        """Hex digits of a pointer: 8 on a 32-bit kernel (mdb runs as the
        kernel's data model, so its ``%?`` is 8 wide), else 16."""
        return 8 if self.isa == "i386" else 16

    @property
    def era(self) -> str:
        """Which mdb renders this dump: ``"opensolaris"`` for an OpenSolaris
        or Solaris build (``snv_NN``, ``s10_NN``, release 5.10), else
        ``"illumos"`` (docs/dump-format.md, "system")."""
        v = self.version
        if v.startswith(("snv_", "s10_", "s10s_")) or self.release == "5.10":
            return "opensolaris"
        return "illumos"


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
    symbols: "Any" = None     # kdb.target.symbols.SymbolTable
    #: values the dump sets for kernel variables (``globals``; kdb.target.globals)
    globals: dict[str, int] = attrs.Factory(dict)
    #: the C type of each kernel variable's symbol (``::print`` at it, no type)
    symbol_types: dict[str, str] = attrs.Factory(dict)
    #: the variables' images: name -> (address, C type), once placed
    global_images: "dict[str, tuple[int, str]] | None" = None
    #: optional sections other kdb.target modules derive from (kdb.target.taskqs,
    #: kdb.target.callouts), and what those derive, once (and turnstiles)
    taskq_specs: list[Any] = attrs.Factory(list)
    callout_specs: list[Any] = attrs.Factory(list)
    turnstiles: Any = None
    taskqs: Any = None
    callouts: Any = None
    kmem_spec: Any = None           # kdb.target.kmem.KmemSpec, the kmem section
    kmem_pcs: dict[str, int] = attrs.Factory(dict)   # kmem's own frames, resolved
    kmem: Any = None                # kdb.target.kmem.Kmem, derived on first use
    _tree: "tuple[dict[int, list[Proc]], list[Proc]] | None" = None

    def device_nodes(self) -> list[DevNode]:
        """Every device node, depth first from the root in tree order (a
        loop, not recursion: a tree may be as deep as the format allows)."""
        out: list[DevNode] = []
        stack = list(reversed(self.devinfo))
        while stack:
            n = stack.pop()
            out.append(n)
            stack.extend(reversed(n.children))
        return out

    def global_props_of(self, n: DevNode) -> "Major | None":
        """The driver whose global property list N holds (devi_global_prop_list):
        its major's, once the node is DS_INITIALIZED (devcfg.c add_global_props)."""
        m = self.major_by_num.get(n.major) if n.major is not None else None
        return m if m is not None and m.prop_count and n.node_state >= DS_INITIALIZED else None

    def proc_children(self) -> dict[int, list[Proc]]:
        """Each pid's child processes, newest first: fork puts a child at
        the head of its parent's p_child list. Newest is the later ``start``
        (processes without one count as older), then the higher pid (pids
        are handed out in increasing order), then the later in the dump.
        The process images' p_child/p_sibling links and the ``proc`` walk
        both come from this one order."""
        return self._proc_tree()[0]

    def proc_walk_order(self) -> list[Proc]:
        """The processes in the order of mdb's ``proc`` walk (genunix.c
        proc_walk_step): depth first from p0 (pid 0) down p_child, then
        p_sibling. Processes the tree does not reach (a ppid the dump does
        not have, a cycle of ppids) follow, in the dump's order."""
        return self._proc_tree()[1]

    def _proc_tree(self) -> "tuple[dict[int, list[Proc]], list[Proc]]":
        if self._tree is None:
            from kdb.target.proctree import proc_tree
            self._tree = proc_tree(self.procs, self.proc_by_pid.get(0))
        return self._tree

    def sobj_ops(self, kind: str | None) -> int:
        """The address of the ops vector of a sync object type (a blocked
        thread's t_sobj_ops), 0 for none."""
        name = SOBJ_OPS.get(kind or "")
        sym = self.symbols.lookup(name) if name else None
        return sym.addr if sym is not None else 0

    def break_cycles(self) -> None:
        """Take a dropped dump apart. Processes and threads are untracked by
        the collector (they are many), so the cycle between a thread and its
        process is invisible to it: a dump that is dropped must be unlinked
        or its processes and threads are never freed. The dump is empty
        afterwards."""
        for t in self.threads:
            t.proc = None
            t.frames_cache = None
            t.stack_items = None
        for p in self.procs:
            p.threads = []
            p.zone = None
            p.resolver = None
            p.unpack_stack = None
        for n in self.devnode_by_addr.values():
            n.parent = None
        # and empty the dump itself: whatever still points at it (a target,
        # a cached session) then holds an empty shell, not the whole dump
        for field in attrs.fields(type(self)):
            value = getattr(self, field.name)
            if isinstance(value, (list, dict)):
                value.clear()
